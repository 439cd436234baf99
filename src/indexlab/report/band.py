"""The survivorship band as a figure (issue 16, item 6): the strategy's growth under
the optimistic (``last_close``) and the pessimistic (``zero`` or a haircut) delisting
assumption, the area between them shaded, the benchmarks as in the growth figure.

``band_figure(indexlab.survivorship_band(strategy, market))`` returns a
``matplotlib.figure.Figure`` in the house frame (title, subtitle, footer with the data
and the assumptions, the red badge on synthetic or survivors-only data).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from indexlab.coverage import survivorship_caveat
from indexlab.engine.band import SurvivorshipBand
from indexlab.report import charts, style
from indexlab.report.brand import HOUSE, Brand
from indexlab.report.frame import frame_figure

# The pessimistic line: the strategy's colour lightened, dashed and drawn on top, so no
# benchmark colour is reused and the dashes show where the two lines coincide.
PESSIMISTIC_DASH = (0, (6, 2))
PESSIMISTIC_LIGHTEN = 0.55  # the share of white mixed into the strategy's colour
BAND_ALPHA = 0.16


def _lightened(color: str, share: float) -> tuple[float, float, float]:
    from matplotlib.colors import to_rgb

    return tuple(c + (1.0 - c) * share for c in to_rgb(color))


def _final(series: pd.Series) -> str:
    values = series.where(series > 0).dropna()
    return f"{values.iloc[-1]:,.2f}×" if len(values) else "–"


def band_figure(band: SurvivorshipBand, brand: Brand = HOUSE, benchmarks: bool = True) -> Figure:
    """Growth of 1 (log scale) under both delisting assumptions, shaded between; the
    benchmarks (held assets, the same under both) unless ``benchmarks=False``."""
    figure = style.new_figure()
    ax = figure.add_subplot()
    charts.style_axes(ax, brand)
    equity = band.equity
    high, low = (equity[c].where(equity[c] > 0) for c in equity.columns)
    x = equity.index
    ax.fill_between(x, low.to_numpy(np.float64), high.to_numpy(np.float64),
                    color=brand.strategy, alpha=BAND_ALPHA, linewidth=0, zorder=3,
                    label="survivorship band")  # fmt: skip
    ax.plot(x, high.to_numpy(np.float64), color=brand.strategy, zorder=5,
            linewidth=style.STRATEGY_LINE_WIDTH,
            label=f"{band.labels[0]}  ({_final(high)})")  # fmt: skip
    ax.plot(x, low.to_numpy(np.float64), color=_lightened(brand.strategy, PESSIMISTIC_LIGHTEN),
            zorder=6, linewidth=style.STRATEGY_LINE_WIDTH, linestyle=PESSIMISTIC_DASH,
            label=f"{band.labels[1]}  ({_final(low)})")  # fmt: skip
    shown = [high, low]
    if benchmarks:
        for position, name in enumerate(band.benchmarks.columns, start=1):
            curve = band.benchmarks[name].where(band.benchmarks[name] > 0)
            charts.plot_portfolio(ax, curve, f"{name}  ({_final(curve)})", position, brand)
            shown.append(curve)
    ax.axhline(1.0, color=brand.muted, linewidth=0.9, linestyle=(0, (4, 3)), zorder=1)
    ax.set_yscale("log")
    charts.log_ticks(ax, pd.concat(shown, axis=1).to_numpy(np.float64), lambda v: f"{v:,.4g}")
    ax.set_ylabel("Growth of 1 (log scale)", fontsize=style.LABEL_SIZE, color=brand.text)
    charts.date_axis(ax, x)
    result = band.optimistic
    costs = result.strategy.costs
    n = len(band.delistings)
    frame_figure(
        figure,
        ax,
        title=f"{result.strategy.display_title}: Survivorship band",
        subtitle=(
            "Growth of 1, log scale; legend: final value. The same strategy with delisted "
            "positions turned into cash at their last close (solid) or "
            f"{band.labels[1].removeprefix('pessimistic (').rstrip(')')} (dashed): "
            f"{n} delisting(s) while held."
        ),
        footer=f"Data: {result.data_label}  ·  Period: {x[0].date()} to {x[-1].date()} "
        f"({len(x)} days)  ·  Costs: {costs.fee_bps:g} + {costs.slippage_bps:g} bps  ·  "
        f"Lag: {result.strategy.lag_days} day(s)  ·  Benchmarks held buy-and-hold.",
        synthetic=result.market.synthetic,
        caveat=survivorship_caveat(result.market),
    )
    charts.legend_outside(ax, brand)
    charts.apply_font(figure, brand.font_family)
    return figure
