"""What a scenario writes: ``scenario.csv``, ``inverse.csv``, ``scenario.json`` and
``scenario.png`` (``.svg``, ``.pdf`` as asked; see :mod:`indexlab.scenarios` for the
arithmetic).

Every output states the as-of date, the supply, where each share comes from and the data
source; outputs made from the demo market say "synthetic demo data", and when today's
share lies outside every case, the outputs say that too. The figure is 16:9 in the house
frame of the marketing figures (:mod:`indexlab.report.house`), on its own Agg canvas (no
pyplot), and names no local path.
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
from indexlab.report import house, style
from indexlab.report.brand import Brand
from indexlab.report.house import (
    LABEL_SIZE,
    LEGEND_SIZE,
    TICK_SIZE,
    FigureOptions,
    HouseFigure,
    published,
    warnings,
)
from indexlab.scenarios import (
    Scenario,
    format_amount,
    format_price,
    prices_at_tiers,
)
from indexlab.version import __version__

NOTE_CHARS = 70  # the share note's line, at LEGEND_SIZE: about half the plot's width
LEGEND_DROP_IN = 0.46  # from the bottom of the plot to the top of the legend, in inches
TICK_LINE_IN = 0.16  # a second line of tick labels
MANIFEST = "manifest.json"  # marks the folder as indexlab's, so a new run may replace it


def default_out_dir(asset: str) -> Path:
    """``runs/scenario-ASSET``, the asset id made one safe path component (an id from a
    data file never chooses where files go: docs/bad-input.md)."""
    return Path("runs") / f"scenario-{safe_component(asset, fallback='asset')}"


def write_scenario(
    result: Scenario, out_dir: str | Path, options: FigureOptions | None = None
) -> Path:
    """Write the scenario's files into ``out_dir``, replacing it only once all are written
    (``inverse.csv`` only when there are targets); ``options`` frame the figure and choose
    its formats and resolution (default: ``scenario.png``, 1920 x 1080 px)."""
    from indexlab.output import atomic_folder

    options = options or FigureOptions()
    out_dir = Path(out_dir)
    with atomic_folder(out_dir) as staging:
        result.table.to_csv(staging / "scenario.csv", index=False, float_format="%.12g")
        written = ["scenario.csv"]
        if len(result.inverse):
            result.inverse.to_csv(staging / "inverse.csv", index=False, float_format="%.12g")
            written.append("inverse.csv")
        text = json.dumps(scenario_json(result), indent=2, allow_nan=False)
        (staging / "scenario.json").write_text(text + "\n", encoding="utf-8")
        metadata = {"Title": _title(result, options), "Source": source_line(result, options.source)}
        figure = scenario_figure(result, options)
        figures = house.save(
            figure, staging, "scenario", options, metadata, style.SCENARIO_DISCLOSURE
        )
        written += ["scenario.json", *(path.name for path in figures)]
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


def scenario_figure(result: Scenario, options: FigureOptions | None = None) -> Figure:
    """Price bands on log-log axes: one line per share case across the tiers (a price is
    proportional to the total at a fixed share), each tier's prices labelled, today's
    price and total marked, targets drawn, and a note when today's share lies outside
    every case. 16:9 in the house frame (:mod:`indexlab.report.house`); ``options`` give
    the title, subtitle, source and brand. No pyplot, no global state."""
    options = options or FigureOptions()
    brand = options.brand
    canvas = HouseFigure(brand)
    canvas.frame(
        _title(result, options),
        options.subtitle
        if options.subtitle is not None
        else f"price = share × total market cap ÷ supply; supply {result.supply_text}",
        source_line(result, options.source),
        warnings(result.synthetic),
        style.SCENARIO_DISCLOSURE,  # a scenario is no backtest: no "backtested" there
    )
    (ax,) = canvas.axes(1)
    tiers = result.tiers
    today_known = math.isfinite(result.total_as_of)
    left = min(tiers.min(), result.total_as_of if today_known else np.inf) / 1.35
    right = tiers.max() * 1.6  # room for the price labels right of the last tier
    totals = np.geomspace(left, right, 64)
    lines = prices_at_tiers(totals, result.shares, result.supply)
    ax.fill_between(
        totals, lines.min(axis=1), lines.max(axis=1), color=brand.strategy, alpha=0.07, lw=0
    )
    for tier in tiers:
        ax.axvline(tier, color=brand.axis, linewidth=0.8, zorder=1)
    _draw_cases(ax, result, totals, lines, brand)
    _draw_today(ax, result, today_known, brand)
    targets = _draw_targets(ax, result, brand)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(left, right)
    low = min(lines.min(), result.price_as_of, *targets) / 1.3
    high = max(lines.max(), result.price_as_of, *targets) * 1.3
    ax.set_ylim(low, high)
    apart = _tick_axes(ax, result, tiers, today_known, low, high)
    ax.grid(False, axis="x")  # the tiers' own lines are the vertical grid
    label = {"fontsize": LABEL_SIZE, "color": brand.text}
    ax.set_xlabel("Total crypto market cap (log scale)", **label)
    ax.set_ylabel(f"{result.symbol} price in USD (log scale)", **label)
    _share_note(ax, result, brand)
    _legend_below(canvas.figure, ax, apart, two_columns=bool(len(targets)), brand=brand)
    canvas.fit([ax])
    return canvas.figure


def source_line(result: Scenario, source: str | None = None) -> str:
    """The data, the total market cap and the share history, never a local path."""
    parts = [f"Source: {source or published(result.data_source)}."]
    parts.append(f"Total market cap: {published(result.total_source)}.")
    if result.lookback_text:
        parts.append(f"Share history: {result.lookback_text}.")
    parts.append("Scenario arithmetic, not a forecast: shares and supply are assumptions.")
    return " ".join(parts)


def _title(result: Scenario, options: FigureOptions) -> str:
    return options.title or f"{result.label}: price at total crypto market cap tiers"


def _share_note(ax: Axes, result: Scenario, brand: Brand) -> None:
    """Today's share outside every case, said on the chart (top left, where the rising
    lines leave room), as plainly as in the table."""
    for note in result.share_notes:
        ax.text(
            0.012,
            0.975,
            textwrap.fill(note, width=NOTE_CHARS),
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize=LEGEND_SIZE,
            fontweight="bold",
            color=style.SYNTHETIC_COLOR,
            parse_math=False,
            zorder=7,
            gid="share-note",
            bbox={
                "boxstyle": "round,pad=0.4",
                "facecolor": brand.background,
                "edgecolor": style.SYNTHETIC_COLOR,
                "linewidth": 0.8,
            },
        )


def _draw_cases(
    ax: Axes, result: Scenario, totals: np.ndarray, lines: np.ndarray, brand: Brand
) -> None:
    """One line per share case across ``totals``, each tier's price marked and labelled."""
    tiers = result.tiers
    prices = prices_at_tiers(tiers, result.shares, result.supply)
    colors = _case_colors(len(result.cases), brand)
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
                fontsize=TICK_SIZE,
                color=colors[j],
                fontweight="bold",
                parse_math=False,
                # Readable where a label crosses another case's line.
                bbox={
                    "facecolor": brand.background,
                    "edgecolor": "none",
                    "pad": 0.2,
                    "alpha": 0.85,
                },
                zorder=5,
            )


def _draw_today(ax: Axes, result: Scenario, today_known: bool, brand: Brand) -> None:
    """Today's price as a dashed line, and today's total on it as a diamond."""
    today = f"today, {result.as_of.date()}: {format_price(result.price_as_of)}"
    if today_known:
        today += (
            f" at a ${format_amount(result.total_as_of)} total (share {result.share_as_of:.3%})"
        )
        ax.plot([result.total_as_of], [result.price_as_of], "D", color=brand.text, zorder=6)
    ax.axhline(result.price_as_of, color=brand.text, linewidth=1.0, linestyle=(0, (4, 3)), zorder=2)
    # The legend's entry: the dashed line with the diamond on it.
    ax.plot([], [], color=brand.text, linestyle=(0, (4, 3)), marker="D", label=today)


def _draw_targets(ax: Axes, result: Scenario, brand: Brand) -> np.ndarray:
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
            color=brand.muted,
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


def _legend_below(
    figure: Figure, ax: Axes, apart: bool, *, two_columns: bool, brand: Brand
) -> None:
    """Under the axis label, where it can hide nothing: the cases and today in the first
    column, the targets in the second. The tick labels take two lines with "today"."""
    drop_in = LEGEND_DROP_IN + (TICK_LINE_IN if apart else 0.0)
    below_axis_label = ScaledTranslation(0, -drop_in, figure.dpi_scale_trans)
    legend = ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        bbox_transform=ax.transAxes + below_axis_label,
        ncols=2 if two_columns else 1,
        fontsize=LEGEND_SIZE,
        frameon=False,
        handlelength=2.6,
        columnspacing=2.0,
    )
    for text in legend.get_texts():
        text.set_parse_math(False)  # "$" is a dollar here
        text.set_color(brand.text)


def _case_colors(n: int, brand: Brand) -> list[str]:
    if n == 1:
        return [brand.strategy]
    palette = ("#c96f6a", brand.strategy, "#4f8a5f", "#a37bab", "#d9913a", "#8c8c8c")
    return [palette[i % len(palette)] for i in range(n)]


def _price_tick(value: float) -> str:
    """Plain prices on a log axis: $0.05, $0.50, $1, $2, $1,000."""
    if value >= 1:
        return f"${value:,.0f}" if value == round(value) else f"${value:,.2f}"
    if value >= 0.01:
        return f"${value:.2f}"
    return f"${value:.{1 - math.floor(math.log10(value))}f}"
