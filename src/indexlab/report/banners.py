"""The red banners at the top of report.html, as visible as the figures' red badge:
synthetic demo data, and data that hold only survivors (survivorship bias)."""

from __future__ import annotations

from html import escape

from indexlab.coverage import DEMO_LABEL
from indexlab.report.rundata import RunData


def banners(data: RunData) -> str:
    """Every banner that applies to ``data``, in HTML ("" when none does)."""
    return "\n".join(part for part in (synthetic_banner(data), survivorship_banner(data)) if part)


def synthetic_banner(data: RunData) -> str:
    if not data.synthetic:
        return ""
    return (
        f'<div class="banner" role="note">{escape(DEMO_LABEL)}: these results come from a '
        "generated market, not from real prices. Use real data (--data on the command line, "
        "indexlab.load_market in Python) for real results.</div>"
    )


def survivorship_banner(data: RunData) -> str:
    if not data.survivorship:
        return ""
    return (
        f'<div class="banner" role="note" id="survivorship-banner">'
        f"{escape(data.survivorship[:1].upper() + data.survivorship[1:])}. The data hold "
        "only coins alive when they were downloaded, so every result here is flattered: "
        "the losses on coins that died are not in them. Use a collection that keeps dead "
        "coins for results to publish.</div>"
    )
