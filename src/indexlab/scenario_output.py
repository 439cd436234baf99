"""What a scenario writes: ``scenario.csv``, ``inverse.csv``, ``scenario.json`` and
``scenario.png`` (see :mod:`indexlab.scenarios` for the arithmetic).

Every output states the as-of date, the supply, where each share comes from and the data
source; outputs made from the demo market say "synthetic demo data". The figure is built
in the house style of :mod:`indexlab.report.style`, on its own Agg canvas (no pyplot).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import textwrap
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import (
    FixedFormatter,
    FixedLocator,
    FuncFormatter,
    LogLocator,
    NullFormatter,
    NullLocator,
)
from matplotlib.transforms import ScaledTranslation

from indexlab.paths import safe_component
from indexlab.report import style
from indexlab.report.frame import figure_footer, figure_title, synthetic_badge
from indexlab.scenarios import (
    Scenario,
    format_amount,
    format_price,
    prices_at_tiers,
)
from indexlab.version import __version__

SUBTITLE_CHARS = 115  # at SUBTITLE_SIZE, about the width of the plot
LEGEND_DROP_IN = 0.46  # from the bottom of the plot to the top of the legend, in inches
TICK_LINE_IN = 0.16  # a second line of tick labels
MANIFEST = "manifest.json"  # marks the folder as indexlab's, so a new run may replace it


def default_out_dir(asset: str) -> Path:
    """``runs/scenario-ASSET``, the asset id made one safe path component (an id from a
    data file never chooses where files go: docs/bad-input.md)."""
    return Path("runs") / f"scenario-{safe_component(asset, fallback='asset')}"


def write_scenario(result: Scenario, out_dir: str | Path) -> Path:
    """Write the scenario's files into ``out_dir``, replacing it only once all are written
    (``inverse.csv`` only when there are targets)."""
    from indexlab.output import atomic_folder

    out_dir = Path(out_dir)
    with atomic_folder(out_dir) as staging:
        result.table.to_csv(staging / "scenario.csv", index=False, float_format="%.12g")
        written = ["scenario.csv"]
        if len(result.inverse):
            result.inverse.to_csv(staging / "inverse.csv", index=False, float_format="%.12g")
            written.append("inverse.csv")
        text = json.dumps(scenario_json(result), indent=2, allow_nan=False)
        (staging / "scenario.json").write_text(text + "\n", encoding="utf-8")
        scenario_figure(result).savefig(
            staging / "scenario.png", format="png", dpi=style.DPI, facecolor="white"
        )
        written += ["scenario.json", "scenario.png"]
        manifest = {
            "indexlab_version": __version__,
            "created_utc": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
            "command": "scenario",
            "files": written,
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return out_dir


def scenario_json(result: Scenario) -> dict:
    """Everything the scenario assumed and computed, as plain JSON values (NaN -> null)."""
    prices = result.table[["tier", "total_market_cap", "case", "share", "price", "multiple"]]
    inverse = result.inverse[
        ["case", "share", "target_price", "total_market_cap", "total_multiple", "price_multiple"]
    ]
    return _plain(
        {
            "asset": result.asset,
            "symbol": result.symbol,
            "as_of": result.as_of.date().isoformat(),
            "price_as_of": result.price_as_of,
            "market_cap_as_of": result.market_cap_as_of,
            "total_market_cap_as_of": result.total_as_of,
            "share_as_of": result.share_as_of,
            "share_notes": list(result.share_notes),
            "formula": "price = share * total_market_cap / supply; "
            "total_market_cap_for_target = target_price * supply / share",
            "supply": {
                "as_of": result.supply_as_of,
                "used": result.supply,
                "annual_growth": result.supply_growth,
                "horizon": None if result.horizon is None else result.horizon.date().isoformat(),
                "source": result.supply_text,
            },
            "shares": [
                {
                    "case": case.name,
                    "how": case.how,
                    "percentile": case.percentile,
                    "share": share,
                    "source": source,
                }
                for case, share, source in zip(
                    result.cases, result.shares, result.share_sources, strict=True
                )
            ],
            "lookback": {"years": result.lookback_years, "window": result.lookback_text},
            "data": {
                "source": result.data_source,
                "synthetic": result.synthetic,
                "path": result.data_path,
                "sha256": result.data_sha256,
                "notes": list(result.notes),
            },
            "total_market": {"source": result.total_source},
            "prices": prices.to_dict(orient="records"),
            "inverse": inverse.to_dict(orient="records"),
        }
    )


def _plain(value: object) -> object:
    """Numpy scalars as Python numbers and NaN as None, recursively."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def scenario_figure(result: Scenario) -> Figure:
    """Price bands on log-log axes: one line per share case across the tiers (a price is
    proportional to the total at a fixed share), each tier's prices labelled, today's
    price and total marked, targets drawn. No pyplot, no global state."""
    figure = style.new_figure()
    ax = figure.add_subplot()
    tiers = result.table["total_market_cap"].unique()
    today_known = math.isfinite(result.total_as_of)
    left = min(tiers.min(), result.total_as_of if today_known else np.inf) / 1.35
    right = tiers.max() * 1.6  # room for the price labels right of the last tier
    totals = np.geomspace(left, right, 64)
    lines = prices_at_tiers(totals, result.shares, result.supply)
    ax.fill_between(
        totals, lines.min(axis=1), lines.max(axis=1), color=style.STRATEGY_COLOR, alpha=0.07, lw=0
    )
    for tier in tiers:
        ax.axvline(tier, color=style.SPINE, linewidth=0.8, zorder=1)
    _draw_cases(ax, result, tiers, totals, lines)
    _draw_today(ax, result, today_known)
    targets = _draw_targets(ax, result)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(left, right)
    low = min(lines.min(), result.price_as_of, *targets) / 1.3
    high = max(lines.max(), result.price_as_of, *targets) * 1.3
    ax.set_ylim(low, high)
    apart = _tick_axes(ax, result, tiers, today_known, low, high)
    style.style_axes(ax)
    ax.grid(False, axis="x")  # the tiers' own lines are the vertical grid
    ax.set_xlabel("Total crypto market cap (log scale)", fontsize=style.LABEL_SIZE)
    ax.set_ylabel(f"{result.symbol} price in USD (log scale)", fontsize=style.LABEL_SIZE)
    ax.set_title(
        textwrap.fill(
            f"price = share × total market cap ÷ supply; supply {result.supply_text}",
            width=SUBTITLE_CHARS,
        ),
        loc="left",
        fontsize=style.SUBTITLE_SIZE,
        color=style.MUTED_INK,
        pad=8,
    )
    _legend_below(figure, ax, apart, two_columns=bool(len(targets)))
    _frame(figure, result)
    return figure


def _draw_cases(
    ax: Axes, result: Scenario, tiers: np.ndarray, totals: np.ndarray, lines: np.ndarray
) -> None:
    """One line per share case across ``totals``, each tier's price marked and labelled."""
    prices = prices_at_tiers(tiers, result.shares, result.supply)
    colors = _case_colors(len(result.cases))
    for j, case in enumerate(result.cases):
        label = f"{case.name}: {result.shares[j]:.3%} share ({result.short_source(case)})"
        ax.plot(totals, lines[:, j], color=colors[j], linewidth=1.8, label=label, zorder=3)
        ax.plot(tiers, prices[:, j], "o", color=colors[j], markersize=5.5, zorder=4)
        for tier, price in zip(tiers, prices[:, j], strict=True):
            ax.annotate(
                format_price(price),
                (tier, price),
                xytext=(8, 0),
                textcoords="offset points",
                va="center",
                fontsize=style.TICK_SIZE,
                color=colors[j],
                fontweight="bold",
                parse_math=False,
                # Readable where a label crosses another case's line.
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.2, "alpha": 0.85},
                zorder=5,
            )


def _draw_today(ax: Axes, result: Scenario, today_known: bool) -> None:
    """Today's price as a dashed line, and today's total on it as a diamond."""
    today = f"today, {result.as_of.date()}: {format_price(result.price_as_of)}"
    if today_known:
        today += (
            f" at a ${format_amount(result.total_as_of)} total (share {result.share_as_of:.3%})"
        )
        ax.plot([result.total_as_of], [result.price_as_of], "D", color=style.INK, zorder=6)
    ax.axhline(result.price_as_of, color=style.INK, linewidth=1.0, linestyle=(0, (4, 3)), zorder=2)
    # The legend's entry: the dashed line with the diamond on it.
    ax.plot([], [], color=style.INK, linestyle=(0, (4, 3)), marker="D", label=today)


def _draw_targets(ax: Axes, result: Scenario) -> np.ndarray:
    """A dotted line per target price, labelled with the totals that reach it."""
    targets = result.inverse["target_price"].unique()
    for target in targets:
        reached = result.inverse[result.inverse["target_price"] == target]
        where = ", ".join(
            f"${format_amount(total)} ({name})"
            for name, total in zip(reached["case"], reached["total_market_cap"], strict=True)
        )
        ax.axhline(
            target,
            color=style.MUTED_INK,
            linewidth=1.1,
            linestyle=":",
            zorder=2,
            label=f"{format_price(target)} reached at {where}",
        )
    return targets


def _tick_axes(
    ax: Axes, result: Scenario, tiers: np.ndarray, today_known: bool, low: float, high: float
) -> bool:
    """Tiers as the x ticks (and today's total, unless it would print over a tier's);
    plain prices on y. Returns whether today's total has its own tick."""
    apart = today_known and np.abs(np.log(tiers / result.total_as_of)).min() > np.log(1.4)
    ticks = [*tiers, result.total_as_of] if apart else list(tiers)
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    labels = [*result.tier_labels, f"${format_amount(result.total_as_of)}\ntoday"]
    ax.xaxis.set_major_formatter(FixedFormatter(labels[: len(ticks)]))
    ax.xaxis.set_minor_locator(NullLocator())
    subs = (1.0, 2.0, 5.0) if math.log10(high / low) <= 3 else (1.0,)
    ax.yaxis.set_major_locator(LogLocator(base=10.0, subs=subs))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: _price_tick(v)))
    ax.yaxis.set_minor_formatter(NullFormatter())
    return bool(apart)


def _legend_below(figure: Figure, ax: Axes, apart: bool, *, two_columns: bool) -> None:
    """Under the axis label, where it can hide nothing: the cases and today in the first
    column, the targets in the second. The tick labels take two lines with "today"."""
    drop_in = LEGEND_DROP_IN + (TICK_LINE_IN if apart else 0.0)
    below_axis_label = ScaledTranslation(0, -drop_in, figure.dpi_scale_trans)
    legend = ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=ax.transAxes + below_axis_label,
        ncols=2 if two_columns else 1,
        fontsize=style.LEGEND_SIZE,
        frameon=False,
        handlelength=2.6,
        columnspacing=2.0,
    )
    for text in legend.get_texts():
        text.set_parse_math(False)  # "$" is a dollar here
        text.set_color(style.INK)


def _frame(figure: Figure, result: Scenario) -> None:
    """The title, the footer with the data and the assumptions, and the demo badge."""
    figure_title(
        figure, f"{result.label}: price at total crypto market cap tiers", result.synthetic
    )
    footer = [
        f"Data: {result.data_source}",
        *([f"Share history: {result.lookback_text}"] if result.lookback_text else []),
        f"Total market cap: {result.total_source}",
        "Scenario arithmetic, not a forecast: shares and supply are assumptions.",
    ]
    figure_footer(
        figure, "\n".join(textwrap.fill(line, width=style.FOOTER_WRAP_CHARS) for line in footer)
    )
    if result.synthetic:
        synthetic_badge(figure)


def _case_colors(n: int) -> list[str]:
    if n == 1:
        return [style.STRATEGY_COLOR]
    palette = ("#c96f6a", style.STRATEGY_COLOR, "#4f8a5f", "#a37bab", "#d9913a", "#8c8c8c")
    return [palette[i % len(palette)] for i in range(n)]


def _price_tick(value: float) -> str:
    """Plain prices on a log axis: $0.05, $0.50, $1, $2, $1,000."""
    if value >= 1:
        return f"${value:,.0f}" if value == round(value) else f"${value:,.2f}"
    if value >= 0.01:
        return f"${value:.2f}"
    return f"${value:.{1 - math.floor(math.log10(value))}f}"
