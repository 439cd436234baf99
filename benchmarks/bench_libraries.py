"""The same index strategies written for indexlab, vectorbt and bt.

A strategy here is a :class:`Config`: the top ``top_n`` assets by market cap on each
rebalance date, weighted by market cap, square-root market cap or equally, rebalanced
on the first date of the run and of each month (or ISO week), no fees, trades at the
close of the decision day (indexlab's ``lag_days = 0``, the convention of bt and
vectorbt). Each runner returns the equity curve in units of the initial capital.

vectorbt and bt get their target weights from :func:`pandas_target_weights`, the
pandas a user of those libraries would write; its time counts for them. Neither can
value a position on a day without a price, so they get forward-filled closes (the
last valid close, which is also how indexlab values a gap or a delisted asset).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from bench_measure import Phases

import indexlab
from indexlab.market import Market

if TYPE_CHECKING:
    import bt

# vectorbt compares values with an absolute tolerance of 1e-12, so small portfolios
# lose precision; bt's fractional-share search compares with np.isclose's absolute
# 1e-8 and stops converging once a position is worth more than ~1e8. Each library
# gets a capital it handles well; equity is compared in units of it.
VECTORBT_CAPITAL = 1e6
BT_CAPITAL = 1.0


@dataclass(frozen=True)
class Config:
    """One index strategy of the benchmark."""

    top_n: int
    weighting: str  # market_cap | sqrt_market_cap | equal (indexlab's scheme names)
    rebalance: str  # monthly | weekly

    @property
    def label(self) -> str:
        return f"top{self.top_n}-{self.weighting}-{self.rebalance}"


CASE_A = Config(top_n=100, weighting="market_cap", rebalance="monthly")

# Case B: 20 sizes x 5 (weighting, schedule) pairs = 100 configurations.
GRID_RULES = (
    ("market_cap", "monthly"),
    ("sqrt_market_cap", "monthly"),
    ("equal", "monthly"),
    ("market_cap", "weekly"),
    ("equal", "weekly"),
)
GRID_TOP_N = tuple(range(10, 201, 10))
GRID = tuple(Config(n, w, r) for w, r in GRID_RULES for n in GRID_TOP_N)
# bt is timed on 10 of them when the whole grid would take too long: each
# (weighting, schedule) pair once with a small and once with a large top_n, the ten
# sizes spread over the range and centred on the grid's mean (bt's time grows
# faster than linearly with top_n, so a subset of small sizes would flatter it).
GRID_SUBSET = tuple(
    Config(size, w, r)
    for p, (w, r) in enumerate(GRID_RULES)
    for size in (GRID_TOP_N[2 * p], GRID_TOP_N[-1 - 2 * p])
)
GRID_DESCRIPTION = (
    f"{len(GRID)} configurations: top_n {GRID_TOP_N[0]}..{GRID_TOP_N[-1]} by "
    f"{GRID_TOP_N[1] - GRID_TOP_N[0]} x (" + ", ".join(f"{w} {r}" for w, r in GRID_RULES) + ")"
)


def _restart(phases: Phases | None) -> None:
    if phases is not None:
        phases.restart()


def _mark(phases: Phases | None, name: str) -> None:
    if phases is not None:
        phases.mark(name)


# ----------------------------------------------------------------------- indexlab
def indexlab_strategy(config: Config) -> indexlab.Strategy:
    return indexlab.Strategy(
        name=config.label,
        universe=indexlab.Universe(top_n=config.top_n),
        weighting=indexlab.Weighting(scheme=config.weighting),
        rebalance=indexlab.Rebalance(frequency=config.rebalance),
        lag_days=0,
        benchmarks=(),
    )


def run_indexlab(market: Market, config: Config) -> pd.Series:
    """``indexlab.run`` and the strategy's equity column."""
    result = indexlab.run(indexlab_strategy(config), market)
    return result.equity[config.label]


# ------------------------------------------------------------ pandas target weights
_PANDAS_PERIODS = {"monthly": "M", "weekly": "W-SUN"}  # W-SUN: weeks Monday..Sunday


def pandas_target_weights(
    close: pd.DataFrame, market_cap: pd.DataFrame, config: Config
) -> pd.DataFrame:
    """Rebalance date x asset target weights; ``NaN`` where an asset is not held.

    Candidates have a close and a market cap on the day; the top ``top_n`` by market
    cap are kept, ties going to the first column (asset ids are sorted), as indexlab
    breaks them.
    """
    periods = close.index.to_period(_PANDAS_PERIODS[config.rebalance])
    first_of_period = ~periods.duplicated()
    cap = market_cap[first_of_period].where(close[first_of_period].notna())
    top = cap.rank(axis=1, ascending=False, method="first").le(config.top_n)
    if config.weighting == "market_cap":
        measure = cap
    elif config.weighting == "sqrt_market_cap":
        measure = np.sqrt(cap)
    elif config.weighting == "equal":
        measure = cap.notna().astype(float)
    else:
        raise ValueError(f"unknown weighting {config.weighting!r}")
    raw = measure.where(top)
    return raw.div(raw.sum(axis=1), axis=0)


# ----------------------------------------------------------------------- vectorbt
def vectorbt_orders(weights: pd.DataFrame, index: pd.DatetimeIndex) -> pd.DataFrame:
    """``from_orders`` sizes: target weights on rebalance rows, ``NaN`` (no order) elsewhere.

    Only the new and the previous index members get an order (a 0 target sells). A 0
    target for an asset never held would be a no-op, except that vectorbt raises when
    its valuation price is below its 1e-12 tolerance, and one CoinGecko coin
    (neon-exchange) has closes near 1e-40 for a few weeks of 2021.
    """
    members = weights.notna()
    orders = weights.fillna(0.0).where(members | members.shift(1, fill_value=False))
    return orders.reindex(index)


def run_vectorbt(
    close: pd.DataFrame,
    market_cap: pd.DataFrame,
    configs: Sequence[Config],
    phases: Phases | None = None,
    close_ffill: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One ``Portfolio.from_orders`` call with one column group per config.

    Returns date x config-label equity. With one config this is the plain call:
    ``group_by=True``, one group of all assets.
    """
    import vectorbt as vbt

    _restart(phases)
    if close_ffill is None:
        close_ffill = close.ffill()
    sizes = [
        vectorbt_orders(pandas_target_weights(close, market_cap, c), close.index) for c in configs
    ]
    if len(configs) == 1:
        size, prices, group_by = sizes[0], close_ffill, True
    else:
        keys = pd.Index([c.label for c in configs], name="config")
        size = pd.concat(sizes, axis=1, keys=keys)
        prices = close_ffill.vbt.tile(len(configs), keys=keys)
        group_by = "config"
    del sizes
    _mark(phases, "weights and inputs (pandas)")
    portfolio = vbt.Portfolio.from_orders(
        prices,
        size,
        size_type="targetpercent",
        group_by=group_by,
        cash_sharing=True,
        call_seq="auto",
        freq="1D",
        init_cash=VECTORBT_CAPITAL,
    )
    _mark(phases, "from_orders (simulation)")
    value = portfolio.value() / VECTORBT_CAPITAL
    _mark(phases, "value() (equity)")
    if isinstance(value, pd.Series):
        value = value.to_frame(configs[0].label)
    value.columns = [c.label for c in configs]
    return value


# ----------------------------------------------------------------------------- bt
def bt_strategy(market_cap: pd.DataFrame, weights: pd.DataFrame, config: Config) -> bt.Strategy:
    """RunMonthly/RunWeekly -> top N by market cap -> WeighTarget -> Rebalance.

    ``WeighTarget`` sets the frame's row for the day as the target (bt does not
    intersect it with the selection); the frame is ``NaN`` outside the same top N,
    so ``SelectN``'s pick and the weights agree.
    """
    import bt

    schedule = bt.algos.RunMonthly() if config.rebalance == "monthly" else bt.algos.RunWeekly()
    return bt.Strategy(
        config.label,
        [
            schedule,
            bt.algos.SetStat(market_cap),
            bt.algos.SelectN(config.top_n),
            bt.algos.WeighTarget(weights),
            bt.algos.Rebalance(),
        ],
    )


def run_bt(
    close: pd.DataFrame,
    market_cap: pd.DataFrame,
    config: Config,
    phases: Phases | None = None,
    close_ffill: pd.DataFrame | None = None,
) -> pd.Series:
    """``bt.Backtest(...).run()`` with fractional positions; equity in units of capital."""
    import bt

    _restart(phases)
    if close_ffill is None:
        close_ffill = close.ffill()
    weights = pandas_target_weights(close, market_cap, config)
    eligible_cap = market_cap.where(close.notna())
    _mark(phases, "weights and inputs (pandas)")
    backtest = bt.Backtest(
        bt_strategy(eligible_cap, weights, config),
        close_ffill,
        initial_capital=BT_CAPITAL,
        integer_positions=False,
    )
    backtest.run()
    _mark(phases, "Backtest.run (simulation)")
    # bt prepends a day before the first date holding the initial capital.
    values = backtest.strategy.values.iloc[1:] / BT_CAPITAL
    return values.rename(config.label)
