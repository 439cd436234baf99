"""What a Market covers, and what every use of it should know: survivorship (only
coins alive at download time) and feeds that stop just before the end (files
downloaded on different days). Data-layer facts, used by runs, sweeps and reports."""

from __future__ import annotations

from pathlib import PurePath

import pandas as pd

from indexlab.market import Market

DEMO_LABEL = "synthetic demo data"
# The caveat every figure and report of survivors-only data carries, in a red badge
# like the demo data's (kept short: it sits beside the title).
SURVIVORSHIP_CAVEAT = "survivorship bias: coins that died are missing"


def data_label(market: Market) -> str:
    """The data source as every output states it (the one place that decides how data
    are named): the market's provenance (vendor and download date, from the file's
    import metadata or ``load_market(path, source=...)``), else its source, never with
    a local folder (a file's name only), and ``synthetic demo data`` when it is."""
    label = market.provenance or market.source
    if market.source_path and not market.provenance:
        label = PurePath(label).name or label  # what is published names no local folder
    if market.synthetic and DEMO_LABEL not in label.lower():
        return f"{label} ({DEMO_LABEL})"
    return label


def survivorship_caveat(market: Market) -> str:
    """:data:`SURVIVORSHIP_CAVEAT` when the data seem to hold only survivors
    (:func:`survivorship_notes`), else ``""``: what figures and reports show."""
    return SURVIVORSHIP_CAVEAT if survivorship_notes(market) else ""


def survivorship_notes(market: Market, window_days: int = 30) -> list[str]:
    """A note when almost no asset stops before the end: data holding only the coins
    alive at download time, so that backtests on them suffer survivorship bias."""
    last = market.last_valid_positions()
    listed = last >= 0
    early = listed & (last < len(market.dates) - 1 - window_days)
    if listed.sum() >= 20 and early.sum() < 0.05 * listed.sum():
        return [
            f"only {int(early.sum())} of {int(listed.sum())} assets stop before the last "
            f"{window_days} days of {data_label(market)}: the data seem to hold only coins alive "
            "at download time, so backtests on them suffer survivorship bias"
        ]
    return []


def late_end_notes(
    market: Market, window_days: int = 30, until: pd.Timestamp | None = None
) -> list[str]:
    """A note when many assets stop just before the end: files downloaded on different
    days, which a backtest would read as delistings. ``until``: the last date of a run;
    a run that ends before the earliest of those stops is not concerned."""
    last = market.last_valid_positions()
    end = len(market.dates) - 1
    late = (last >= end - window_days) & (last < end)
    if late.sum() >= max(5, 0.05 * (last >= 0).sum()):
        earliest = market.dates[int(last[late].min())]
        if until is not None and until <= earliest:
            return []
        earliest = earliest.date()
        return [
            f"{int(late.sum())} assets' data stop within the last {window_days} days before "
            f"{market.end.date()} (the earliest on {earliest}), as when files are downloaded "
            f"on different days; runs treat them as delisted there: end runs on {earliest} "
            "to compare like with like"
        ]
    return []


def coverage_notes(market: Market, until: pd.Timestamp | None = None) -> list[str]:
    """What every use of this data should know about which assets it covers
    (``until``: the last date of a run, if it ends before the data do)."""
    return [*survivorship_notes(market), *late_end_notes(market, until=until)]
