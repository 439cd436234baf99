"""Issue 14, items 3-5 (the parts of the analysis figures): allocation colours that mean
no portfolio, the house frame on the signal and scenario figures, and honest scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from indexlab.report import charts, style, tables
from indexlab.report.brand import HOUSE, Brand


# ---------------------------------------------------------------- allocation colours
def _bands(n_holdings: int) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=5, freq="D")
    names = ["BTC", "ETH", "SOL", "XRP", "BNB", "TRX", "ADA", "DOGE", "TON", "LINK", "AVAX"]
    weights = {name: np.full(5, 0.9 / n_holdings) for name in names[:n_holdings]}
    weights[tables.OTHER] = np.full(5, 0.06)
    weights[tables.CASH] = np.full(5, 0.04)
    return pd.DataFrame(weights, index=dates)


def _band_colors(bands: pd.DataFrame, brand: Brand) -> dict[str, str]:
    figure = style.new_figure()
    ax = figure.add_subplot()
    charts.draw_allocation(ax, bands, brand)
    return {
        str(name): to_hex(collection.get_facecolor()[0])
        for name, collection in zip(bands.columns, ax.collections, strict=True)
    }


@pytest.mark.parametrize("n_holdings", [2, 10])
def test_allocation_bands_never_take_a_portfolio_colour(n_holdings: int) -> None:
    """BTC held was drawn in the strategy's blue and ETH in the BTC benchmark's ochre:
    every holding's colour is now far from the strategy's and every benchmark's."""
    colors = _band_colors(_bands(n_holdings), HOUSE)
    portfolio_colors = (HOUSE.strategy, *HOUSE.benchmarks)
    for name, color in colors.items():
        if name in (tables.OTHER, tables.CASH):
            continue
        closest = min(style.color_distance(color, other) for other in portfolio_colors)
        assert closest >= style.ALLOCATION_MIN_DISTANCE, (name, color, closest)
    holdings = [c for n, c in colors.items() if n not in (tables.OTHER, tables.CASH)]
    assert len(set(holdings)) == len(holdings)  # ten holdings, ten colours
    assert colors[tables.OTHER] == style.OTHER_COLOR
    assert colors[tables.CASH] == style.CASH_COLOR


def test_allocation_palette_is_distinct_from_the_house_and_within_itself() -> None:
    palette = style.HOLDING_COLORS
    for k, color in enumerate(palette):
        for other in (style.STRATEGY_COLOR, *style.BENCHMARK_COLORS, *palette[k + 1 :]):
            assert style.color_distance(color, other) >= style.ALLOCATION_MIN_DISTANCE


def test_allocation_skips_a_band_colour_that_a_brand_uses_for_a_portfolio() -> None:
    """A brand whose strategy is the palette's teal: the first holding is not teal."""
    brand = Brand(strategy=style.HOLDING_COLORS[0], benchmarks=(style.HOLDING_COLORS[1],))
    colors = _band_colors(_bands(3), brand)
    assert colors["BTC"] == style.HOLDING_COLORS[2]
    assert style.HOLDING_COLORS[0] not in colors.values()
    assert style.HOLDING_COLORS[1] not in colors.values()


def test_color_distance_is_delta_e_1976() -> None:
    """Hand values: white to black is 100 (L only); a colour to itself is 0."""
    assert style.color_distance("#ffffff", "#000000") == pytest.approx(100.0, abs=0.05)
    assert style.color_distance("#0b4f9c", "#0b4f9c") == 0.0
