"""Runs for the report tests: a small market written as a data file, and checks of
what a person would see in a figure (texts that overlap, texts off the canvas)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.text import Text

ASSETS = {  # id -> (symbol, starting price, market cap per unit of price)
    "bitcoin": ("BTC", 9000.0, 5e6),
    "ethereum": ("ETH", 300.0, 4e7),
    "tron": ("TRX", 0.05, 4e10),
    "alpha-coin": ("ALP", 2.0, 3e8),
    "beta-coin": ("BET", 5.0, 1e8),
    "gamma-coin": ("GAM", 1.0, 2e8),
}

STRATEGY_TOML = """
name = "small-top4"
description = "Top 4 of a small <test> market"
lag_days = 1
initial_capital = 10000.0
benchmarks = ["BTC", "TRX"]

[universe]
top_n = 4

[weighting]
scheme = "market_cap"
cap = 0.5

[rebalance]
frequency = "monthly"

[costs]
fee_bps = 10.0
slippage_bps = 5.0
"""


def small_market_table(days: int = 800, seed: int = 3) -> pd.DataFrame:
    """A long table (DESIGN section 2) of random walks from 2021-03-10 (runs start on the
    11th, a day of lag later): partial first and
    last years, more than 365 days for the rolling statistics."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2021-03-10", periods=days, freq="D")
    rows = []
    for asset, (symbol, price, units) in ASSETS.items():
        path = price * np.exp(np.cumsum(rng.normal(0.0005, 0.04, days)))
        rows.append(
            pd.DataFrame(
                {
                    "date": dates.strftime("%Y-%m-%d"),
                    "asset": asset,
                    "symbol": symbol,
                    "close": path,
                    "market_cap": path * units,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


# A title, symbols and a legend longer than real ones (issue 14, item 4).
LONG_TITLE = ("A very long display title for a crypto index that a marketing team wrote " * 5)[:300]


def survivors_table(n_assets: int = 24, days: int = 500, symbol_chars: int = 3) -> pd.DataFrame:
    """A long table of ``n_assets`` random walks that all live to the last day: data
    that hold only survivors. Symbols of ``symbol_chars`` letters (BTC and TRX kept)."""
    rng = np.random.default_rng(11)
    dates = pd.date_range("2022-01-01", periods=days, freq="D").strftime("%Y-%m-%d")
    rows = []
    for i in range(n_assets):
        symbol = {0: "BTC", 1: "TRX"}.get(i, (f"S{i:02d}" + "X" * symbol_chars)[:symbol_chars])
        path = (10.0 + i) * np.exp(np.cumsum(rng.normal(0.0005, 0.04, days)))
        rows.append(
            pd.DataFrame(
                {
                    "date": dates,
                    "asset": f"asset-{i:02d}",
                    "symbol": symbol,
                    "close": path,
                    "market_cap": path * 1e7 * (n_assets - i),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def long_texts_strategy():
    """A strategy of twelve holdings with a 300-character title and a long name (the
    legend): with ``survivors_table(symbol_chars=70)``, every text of a figure long."""
    import indexlab

    return indexlab.Strategy(
        name="a-rather-long-strategy-name-that-fills-the-legend-of-every-figure-x",
        title=LONG_TITLE,
        universe=indexlab.Universe(top_n=12),
        benchmarks=("BTC", "TRX"),
    )


def write_inputs(folder: Path) -> tuple[Path, Path]:
    """The market as CSV and the strategy as TOML, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / "market.csv"
    small_market_table().to_csv(data, index=False)
    strategy = folder / "small.toml"
    strategy.write_text(STRATEGY_TOML, encoding="utf-8")
    return data, strategy


# ---------------------------------------------------------------- what a person sees
def visible_texts(figure: Figure) -> list[Text]:
    """Every text drawn on the canvas: figure texts, titles, labels, legends, the
    tick labels inside the view, texts in the axes."""
    figure.canvas.draw()
    texts: list[Text] = list(figure.texts)
    for ax in figure.axes:
        if not ax.get_visible() or not ax.axison:
            continue
        texts += [ax.title, ax._left_title, ax._right_title, ax.xaxis.label, ax.yaxis.label]
        for axis in (ax.xaxis, ax.yaxis):  # only the ticks inside the view are drawn
            texts += [tick.label1 for tick in axis._update_ticks()]
        texts += list(ax.texts)
        legend = ax.get_legend()
        if legend is not None:
            texts += legend.get_texts()
    for legend in figure.legends:
        texts += legend.get_texts()
    if figure._suptitle is not None:
        texts.append(figure._suptitle)
    if figure._supxlabel is not None:
        texts.append(figure._supxlabel)
    unique = list({id(t): t for t in texts}.values())  # suptitles are figure texts too
    return [t for t in unique if t.get_visible() and t.get_text().strip()]


def overlapping_texts(figure: Figure) -> list[tuple[str, str]]:
    """Pairs of visible texts whose boxes overlap by more than a pixel."""
    renderer = figure.canvas.get_renderer()
    boxes = [
        (t.get_text(), t.get_window_extent(renderer).expanded(1.0, 1.0))
        for t in visible_texts(figure)
    ]
    clashes = []
    for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
        width = min(box_a.x1, box_b.x1) - max(box_a.x0, box_b.x0)
        height = min(box_a.y1, box_b.y1) - max(box_a.y0, box_b.y0)
        if width > 1.0 and height > 1.0:
            clashes.append((a, b))
    return clashes


def texts_off_canvas(figure: Figure) -> list[str]:
    """Visible texts that stick out of the figure."""
    renderer = figure.canvas.get_renderer()
    canvas = figure.bbox
    off = []
    for text in visible_texts(figure):
        box = text.get_window_extent(renderer)
        if box.x0 < canvas.x0 - 0.5 or box.y0 < canvas.y0 - 0.5:
            off.append(text.get_text())
        elif box.x1 > canvas.x1 + 0.5 or box.y1 > canvas.y1 + 0.5:
            off.append(text.get_text())
    return off
