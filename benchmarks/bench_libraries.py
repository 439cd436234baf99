"""The same index strategies written for indexlab, vectorbt and bt.

A strategy here is a :class:`Config`: the top ``top_n`` assets by market cap on each
rebalance date, weighted by market cap, square-root market cap or equally, optionally
capped per name (iterative pro-rata redistribution), rebalanced on the first date of
the run and of each month (or ISO week), with a proportional fee, trading at the
close of the decision day (indexlab's ``lag_days = 0``, the convention of bt and
vectorbt). Each runner returns the equity curve in units of the initial capital.

vectorbt and bt get their target weights from :func:`pandas_target_weights`, the
pandas a user of those libraries would write; its time counts for them. Neither can
value a position on a day without a price, so they get forward-filled closes (the
last valid close, which is also how indexlab values a gap or a delisted asset).

Fees follow each library's own convention (the cross-check explains the
differences): vectorbt charges ``fees`` on each order, at targets computed from the
value before the day's orders, so the last buys are cut short by the fees paid;
bt's ``Rebalance`` spends (or raises) each name's target change including its
commission; indexlab solves the post-fee value V' = V - c * sum |V' w_i - h_i| exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from bench_measure import Phases

import indexlab
import indexlab.sweep
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
    cap: float | None = None  # largest weight of a name; None: no cap
    fee_bps: float = 0.0  # on traded notional

    @property
    def label(self) -> str:
        label = f"top{self.top_n}-{self.weighting}-{self.rebalance}"
        if self.cap is not None:
            label += f"-cap{self.cap:g}"
        if self.fee_bps:
            label += f"-fee{self.fee_bps:g}bps"
        return label

    @property
    def cost_rate(self) -> float:
        return self.fee_bps / 1e4

    @classmethod
    def of_sweep(cls, config: indexlab.sweep.Config) -> Config:
        """The benchmark config of one configuration of :func:`sweep_spec`."""
        p = config.params
        return cls(
            top_n=int(p["universe.top_n"]),
            weighting=p["weighting.scheme"],
            rebalance=p["rebalance.frequency"],
            cap=p["weighting.cap"],
            fee_bps=float(p["costs.fee_bps"]),
        )


CASE_A = Config(top_n=100, weighting="market_cap", rebalance="monthly")

# The sweep: 20 sizes x 3 weightings x 6 caps x 2 schedules x 2 fees = 1,440
# combinations, of which the constraints keep exactly 1,000: a cap must be feasible
# for the size (cap * top_n >= 1), and equal weights take no cap (it would change
# nothing).
SWEEP_GRID: dict[str, tuple] = {
    "universe.top_n": tuple(range(10, 201, 10)),
    "weighting.scheme": ("market_cap", "sqrt_market_cap", "equal"),
    "weighting.cap": (None, 0.25, 0.15, 0.1, 0.05, 0.02),
    "rebalance.frequency": ("monthly", "weekly"),
    "costs.fee_bps": (0, 10),
}
SWEEP_CONSTRAINTS = (
    "weighting.cap == none or weighting.cap * universe.top_n >= 1",
    "weighting.scheme != 'equal' or weighting.cap == none",
)
SWEEP_DESCRIPTION = (
    "top_n 10..200 by 10 x weighting (market_cap, sqrt_market_cap, equal) x cap (none, "
    "0.25, 0.15, 0.1, 0.05, 0.02) x rebalance (monthly, weekly ISO) x fee (0, 10 bps), "
    "where cap * top_n >= 1 and equal weights are uncapped"
)
SAMPLE_SEED = 20261127


def sweep_spec() -> indexlab.sweep.SweepSpec:
    """The 1,000-configuration sweep (base: case A)."""
    return indexlab.sweep.SweepSpec(
        base=indexlab_strategy(CASE_A),
        grid=SWEEP_GRID,
        name="benchmark-sweep",
        constraints=SWEEP_CONSTRAINTS,
    )


def warmup_spec() -> indexlab.sweep.SweepSpec:
    """A small sweep through the same code paths (caps, weekly, fees): a warm-up."""
    grid = {**SWEEP_GRID, "universe.top_n": (50,), "weighting.cap": (None, 0.1)}
    return indexlab.sweep.SweepSpec(
        base=indexlab_strategy(CASE_A), grid=grid, constraints=SWEEP_CONSTRAINTS
    )


def sample_configs(configs: Sequence[indexlab.sweep.Config], size: int = 20) -> list:
    """A seeded random sample of the sweep, stratified: the same number from each
    (schedule, fee) pair, so that half the sample has no fee (the 1e-12 cross-check)
    and half rebalances weekly (as in the sweep)."""
    rng = np.random.default_rng(SAMPLE_SEED)
    strata: dict[tuple, list[int]] = {}
    for i, c in enumerate(configs):
        key = (c.params["rebalance.frequency"], c.params["costs.fee_bps"])
        strata.setdefault(key, []).append(i)
    per_stratum = size // len(strata)
    picks = [rng.choice(rows, per_stratum, replace=False) for rows in strata.values()]
    # Interleave the strata so that any prefix of the sample mixes them.
    order = [int(p[i]) for i in range(per_stratum) for p in picks]
    return [configs[i] for i in order]


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
        # The same work as vectorbt and bt: no exclusions, the fee only.
        universe=indexlab.Universe(top_n=config.top_n, exclude=()),
        weighting=indexlab.Weighting(scheme=config.weighting, cap=config.cap),
        rebalance=indexlab.Rebalance(frequency=config.rebalance),
        costs=indexlab.Costs(fee_bps=config.fee_bps, slippage_bps=0.0),
        lag_days=0,
        benchmarks=(),
    )


def run_indexlab(market: Market, config: Config) -> pd.Series:
    """``indexlab.run`` and the strategy's equity column."""
    result = indexlab.run(indexlab_strategy(config), market)
    return result.equity[config.label]


# ------------------------------------------------------------ pandas target weights
_PANDAS_PERIODS = {"monthly": "M", "weekly": "W-SUN"}  # W-SUN: weeks Monday..Sunday


def cap_weights(weights: pd.DataFrame, cap: float) -> pd.DataFrame:
    """Each row's weights capped at ``cap`` by iterative pro-rata redistribution: names
    above it are set to it and the excess goes to the uncapped names in proportion to
    their weights, until none exceeds it. Rows with n * cap < 1 cannot hold the cap
    and get equal weights (indexlab's rule)."""
    held = weights.notna().to_numpy()
    w = weights.fillna(0.0).to_numpy(copy=True)
    capped = np.zeros_like(held)
    for _ in range(w.shape[1]):
        over = (w > cap) & ~capped
        if not over.any():
            break
        excess = np.where(over, w - cap, 0.0).sum(axis=1)
        w[over] = cap
        capped |= over
        free = held & ~capped
        free_total = np.where(free, w, 0.0).sum(axis=1)
        share = np.divide(excess, free_total, out=np.zeros_like(excess), where=free_total > 0)
        w += np.where(free, w * share[:, None], 0.0)
    n = held.sum(axis=1)
    infeasible = (n > 0) & (n * cap < 1.0 - 1e-12)
    w[infeasible] = np.where(held[infeasible], 1.0 / np.maximum(n[infeasible], 1)[:, None], 0.0)
    return pd.DataFrame(np.where(held, w, np.nan), index=weights.index, columns=weights.columns)


def pandas_target_weights(
    close: pd.DataFrame, market_cap: pd.DataFrame, config: Config
) -> pd.DataFrame:
    """Rebalance date x asset target weights; ``NaN`` where an asset is not held.

    Candidates have a close and a market cap on the day; the top ``top_n`` by market
    cap are kept, ties going to the first column (asset ids are sorted), as indexlab
    breaks them. Then the cap, if any.
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
    weights = raw.div(raw.sum(axis=1), axis=0)
    return weights if config.cap is None else cap_weights(weights, config.cap)


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
    ``group_by=True``, one group of all assets. Fees are per column (each group's).
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
        fees = configs[0].cost_rate
    else:
        keys = pd.Index([c.label for c in configs], name="config")
        size = pd.concat(sizes, axis=1, keys=keys)
        prices = close_ffill.vbt.tile(len(configs), keys=keys)
        group_by = "config"
        fees = np.repeat([c.cost_rate for c in configs], close.shape[1])[None, :]
    del sizes
    _mark(phases, "weights and inputs (pandas)")
    portfolio = vbt.Portfolio.from_orders(
        prices,
        size,
        size_type="targetpercent",
        group_by=group_by,
        cash_sharing=True,
        call_seq="auto",
        min_size=0.0,
        fees=fees,
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
    """``bt.Backtest(...).run()`` with fractional positions and the config's fee as a
    commission on each trade's notional; equity in units of capital."""
    import bt

    _restart(phases)
    if close_ffill is None:
        close_ffill = close.ffill()
    weights = pandas_target_weights(close, market_cap, config)
    eligible_cap = market_cap.where(close.notna())
    _mark(phases, "weights and inputs (pandas)")
    rate = config.cost_rate
    backtest = bt.Backtest(
        bt_strategy(eligible_cap, weights, config),
        close_ffill,
        initial_capital=BT_CAPITAL,
        commissions=(lambda quantity, price: abs(quantity) * price * rate) if rate else None,
        integer_positions=False,
    )
    backtest.run()
    _mark(phases, "Backtest.run (simulation)")
    # bt prepends a day before the first date holding the initial capital.
    values = backtest.strategy.values.iloc[1:] / BT_CAPITAL
    return values.rename(config.label)
