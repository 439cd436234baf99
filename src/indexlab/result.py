"""The Result of a backtest: pandas objects for notebooks, and what the CLI writes."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from indexlab import metrics
from indexlab.coverage import DEMO_LABEL, data_label  # noqa: F401 (DEMO_LABEL re-exported)
from indexlab.holdings import Holdings
from indexlab.market import Market
from indexlab.spec import Strategy

# Why a trade happened, by the kernel's TRADE_* codes.
TRADE_REASONS = ("scheduled", "drift", "risk-off", "risk-on", "first price")

# How a Result shows itself (HTML in a notebook, formatted stats, figures): that is the
# report layer's work, above this one, so the report installs it here when imported
# (``import indexlab`` does), the way pandas finds its plotting backend.
_PRESENTERS: list = []


def install_presenter(presenter) -> None:
    """Make ``presenter`` (an object with ``html(result)``, ``stats(result, risk_free)``
    and ``plot(result, kind, **options)``) the way every Result shows itself."""
    _PRESENTERS[:] = [presenter]


def _presenter():
    if not _PRESENTERS:  # looked up by name, as pandas finds its plotting backend
        importlib.import_module("indexlab.report.notebook")
    return _PRESENTERS[0]


def _bridges():
    """The bridges to vectorbt and quantstats (outputs layer, above this one), looked up
    by module name like the presenter: a plugin lookup, no upward import."""
    return importlib.import_module("indexlab.bridges")


@dataclass(frozen=True, eq=False)
class PortfolioRun:
    """The engine's output for one portfolio (the strategy or one benchmark), as
    arrays; the pandas views are made when first asked for.

    Positions are compact, one record per rebalance over the assets held only
    (:class:`~indexlab.holdings.Holdings`): a daily run on a wide market stays small.
    ``units_post``, ``weights_post`` and ``target_weights`` give the dense (rebalances x
    assets) arrays, built when first asked for: for small markets only; nothing in
    indexlab reads them."""

    dates: pd.DatetimeIndex  # the run's dates
    market_dates: pd.DatetimeIndex  # the market's, for last valid dates
    start_pos: int  # the run's first row in the market
    equity_values: np.ndarray  # (days)
    assets: pd.Index  # the assets of the weight and unit columns
    targets: Holdings  # per rebalance: the target weights decided from the snapshot
    held_weights: Holdings  # per rebalance: weights held after the trade
    rebalance_rows: np.ndarray  # rows of the run window
    held_units: Holdings  # per rebalance: units held after the trade (held_weights' columns)
    # (rebalances x 4): value before, traded notional, cost, one-way turnover
    trade_values: np.ndarray
    trade_reasons: np.ndarray  # (rebalances) index into TRADE_REASONS
    liquidation_rows: np.ndarray  # (liquidations x 2): row, asset column
    liquidation_values: np.ndarray  # (liquidations x 2): units, price
    last_valid: np.ndarray  # each asset's last valid row in the data, relative to the run
    # per day, the value held at a carried close (engine.stale), when the kernel gave it
    stale_values: np.ndarray | None = None

    @cached_property
    def equity(self) -> pd.Series:
        return pd.Series(self.equity_values, index=self.dates, name="equity")

    @cached_property
    def units_post(self) -> np.ndarray:
        """Dense (rebalances x assets) units held after each trade (small markets only)."""
        return self.held_units.dense(len(self.assets))

    @cached_property
    def weights_post(self) -> np.ndarray:
        """Dense (rebalances x assets) weights held after each trade (small markets only)."""
        return self.held_weights.dense(len(self.assets))

    @cached_property
    def target_weights(self) -> np.ndarray:
        """Dense (rebalances x assets) target weights (small markets only)."""
        return self.targets.dense(len(self.assets))

    @cached_property
    def trades(self) -> pd.DataFrame:
        """Per trade: value before, traded notional, one-way turnover (half the sum of
        absolute weight changes, cash counted as a position: a full rotation, the
        initial buy and a move to cash are each 1), two-way turnover (traded notional
        over the value before: buys plus sells), cost, number of assets held after it,
        and why it happened."""
        value, traded, cost, one_way = self.trade_values.T
        return pd.DataFrame(
            {
                "value_pre_trade": value,
                "traded_notional": traded,
                "turnover": one_way,
                "turnover_two_way": np.divide(
                    traded, value, out=np.zeros_like(traded), where=value > 0
                ),
                "cost": cost,
                "n_assets": self.held_weights.count(positive=True),
                "reason": np.asarray(TRADE_REASONS, dtype=object)[self.trade_reasons],
            },
            index=pd.DatetimeIndex(self.dates[self.rebalance_rows], name="date"),
        )

    @cached_property
    def liquidations(self) -> pd.DataFrame:
        """Positions turned into cash, fee-free, at their last close because the data
        stop there (delistings): date, asset, last valid date, units, price, value; by
        date, then asset. A position sold on a day without a valid close is a trade
        (with costs), not a liquidation."""
        rows, columns = self.liquidation_rows.T
        units, price = self.liquidation_values.T
        frame = pd.DataFrame(
            {
                "date": self.dates[rows],
                "asset": self.assets[columns],
                "last_valid_date": self.market_dates[self.last_valid[columns] + self.start_pos],
                "units": units,
                "price": price,
                "value": units * price,
            }
        )
        # The kernel settles a segment's delistings together: list them by date, then
        # asset (the columns' order).
        frame["_column"] = columns
        frame = frame.sort_values(["date", "_column"], kind="stable", ignore_index=True)
        return frame.drop(columns="_column")


@dataclass(frozen=True, eq=False)
class Result:
    """A backtest of a strategy and its benchmarks over the same dates and costs.

    Equity is in units of the initial capital C0 (multiply by
    ``strategy.initial_capital`` for money). The first column of :attr:`equity` is the
    strategy, then one column per benchmark.
    """

    strategy: Strategy
    market: Market
    dates: pd.DatetimeIndex
    portfolios: dict[str, PortfolioRun]
    benchmark_assets: dict[str, str] = field(default_factory=dict)
    # BTC held over the run (for beta and correlation), or how to compute it when first
    # asked for: most uses of a Result never need it.
    reference: pd.Series | Callable[[], pd.Series] | None = None
    notes: tuple[str, ...] = ()
    periods_per_year: int = metrics.PERIODS_PER_YEAR
    # How to explain the planning afterwards (kind -> frame); set by the engine.
    explanation: Callable[[str], pd.DataFrame] | None = None

    @cached_property
    def reference_equity(self) -> pd.Series | None:
        """Equity of BTC held over the run with the strategy's lag and costs, if the
        market has BTC."""
        return self.reference() if callable(self.reference) else self.reference

    @property
    def name(self) -> str:
        return self.strategy.name

    @property
    def _main(self) -> PortfolioRun:
        return self.portfolios[self.strategy.name]

    @cached_property
    def equity(self) -> pd.DataFrame:
        """Date x portfolio: E_t after that day's trades and costs, in units of C0."""
        runs = self.portfolios.values()
        if all(run.dates is self.dates or run.dates.equals(self.dates) for run in runs):
            # The usual case, all on the run's dates: one array, no index alignment.
            frame = pd.DataFrame(
                np.column_stack([run.equity_values for run in runs]),
                index=self.dates.copy(),
                columns=list(self.portfolios),
            )
        else:
            frame = pd.DataFrame({name: run.equity for name, run in self.portfolios.items()})
        frame.index.name = "date"
        frame.columns.name = "portfolio"
        return frame

    @property
    def value(self) -> pd.DataFrame:
        """Equity in money: E_t times the initial capital."""
        return self.equity * self.strategy.initial_capital

    @property
    def returns(self) -> pd.DataFrame:
        """Simple daily returns of every portfolio (the first date dropped)."""
        return metrics.returns(self.equity)

    def _rebalance_frame(self, values: Holdings) -> pd.DataFrame:
        """Rebalance date x the assets with a value > 0 at some rebalance."""
        run = self._main
        held = values.held_columns(positive=True)
        return pd.DataFrame(
            values.on_columns(held),
            index=pd.DatetimeIndex(self.dates[run.rebalance_rows], name="date"),
            columns=run.assets[held],
        )

    @cached_property
    def weights(self) -> pd.DataFrame:
        """Rebalance date x asset weights of the strategy right after each rebalance
        (assets ever held; the rest of each row is cash)."""
        return self._rebalance_frame(self._main.held_weights)

    @cached_property
    def target_weights(self) -> pd.DataFrame:
        """The weights the rules decided at each rebalance, from the decision snapshot.
        They differ from :attr:`weights` only where an asset had no price to trade at."""
        return self._rebalance_frame(self._main.targets)

    @cached_property
    def daily_weights(self) -> pd.DataFrame:
        """Date x asset weights of the strategy at every close, drifting with prices
        between rebalances (assets ever held; the rest of each row is cash)."""
        run = self._main
        held = run.held_units.held_columns()
        n_days = len(self.dates)
        # Units after the latest rebalance on or before each day (none before the first).
        latest = np.searchsorted(run.rebalance_rows, np.arange(n_days), side="right") - 1
        held_units = run.held_units.on_columns(held)
        units = np.where(latest[:, None] >= 0, held_units[np.maximum(latest, 0)], 0.0)
        column = {asset: k for k, asset in enumerate(run.assets[held])}
        for day, asset in zip(run.liquidations["date"], run.liquidations["asset"], strict=True):
            t = self.dates.get_loc(day)
            following = run.rebalance_rows[run.rebalance_rows > t]
            stop = int(following[0]) if len(following) else n_days
            units[t:stop, column[asset]] = 0.0
        start = self.market.dates.get_loc(self.dates[0])
        prices = (
            self.market.close[run.assets[held]]
            .iloc[: start + n_days]
            .ffill()
            .iloc[start:]
            .to_numpy()
        )
        values = np.where(units != 0, units * prices, 0.0)
        weights = values / run.equity.to_numpy()[:, None]
        frame = pd.DataFrame(weights, index=self.dates, columns=run.assets[held])
        frame.index.name = "date"
        return frame

    @property
    def weights_long(self) -> pd.DataFrame:
        """``date, asset, weight`` rows for every weight > 0, largest first per date."""
        run = self._main
        held = run.held_weights.in_column_order()
        positive = held.values > 0  # by date, then asset column: the rows weights.stack() gave
        stacked = pd.DataFrame(
            {
                "date": self.dates[run.rebalance_rows][held.records()[positive]],
                "asset": run.assets[held.columns[positive]],
                "weight": held.values[positive],
            }
        )
        return stacked.sort_values(["date", "weight", "asset"], ascending=[True, False, True])

    @property
    def trades(self) -> pd.DataFrame:
        """Per rebalance of the strategy: value before trading, traded notional,
        one-way turnover (traded / value), cost and the number of assets held, in
        units of C0."""
        return self._main.trades

    def universe(self) -> pd.DataFrame:
        """Who was eligible at each review, and why not: one row per review date and
        asset listed then (``date``, ``snapshot``, ``asset``, ``eligible``, ``reason``,
        ``market_cap``, ``measure``). Computed when asked for."""
        return self._explain("universe")

    def selection(self) -> pd.DataFrame:
        """Who was selected at each review, and why (rank within the top N, kept by
        the buffer, not seasoned, ...): one row per review date and eligible asset or
        member (``date``, ``asset``, ``rank``, ``measure``, ``member_before``,
        ``selected``, ``reason``). Answers "why is X in the index on date D?"."""
        return self._explain("selection")

    def _explain(self, kind: str) -> pd.DataFrame:
        if self.explanation is None:
            raise ValueError("this Result was not made by indexlab.run: nothing to explain")
        return self.explanation(kind)

    @property
    def liquidations(self) -> pd.DataFrame:
        """Positions of the strategy whose asset's data stopped (delistings): ``value``
        at the last close, and the ``proceeds`` the strategy's delisting
        assumption (``costs.delisting``) gave for it (the value under ``last_close``,
        0 under ``zero``, (1 - h) x value under a haircut h)."""
        frame = self._main.liquidations.copy()
        frame["proceeds"] = frame["value"] * self.strategy.costs.delisting_keep
        return frame

    @cached_property
    def stale_weight(self) -> pd.Series:
        """Per date, the share of the strategy's value held in assets without a valid
        close that day, valued at their last close carried forward (gaps, or members
        known only from monthly snapshots); ``.mean()`` and ``.max()`` are what the
        run's note states (:mod:`indexlab.engine.stale`)."""
        from indexlab.engine.stale import stale_weight_series

        return stale_weight_series(self._main, self.market)

    def metrics(self, risk_free: float = 0.0) -> pd.DataFrame:
        """One row per portfolio, one column per metric (DESIGN section 4)."""
        return metrics.summary(
            self.equity,
            reference_equity=self.reference_equity,
            trades={name: run.trades for name, run in self.portfolios.items()},
            risk_free=risk_free,
            periods=self.periods_per_year,
        )

    @property
    def data_label(self) -> str:
        """The data source as every output states it."""
        return data_label(self.market)

    def assumptions(self, risk_free: float = 0.0) -> dict[str, str]:
        """The run's assumptions, as reports print them: the data and dates of the run,
        the strategy's design in words (:func:`indexlab.spec.describe`: every key set to
        a non-default value appears), N and the annual risk-free rate the metrics used,
        and the benchmarks actually run."""
        from indexlab.spec.describe import describe, risk_free_words

        design = describe(self.strategy)
        design.pop("Period", None)  # the dates the run actually covers, below
        design.pop("Benchmarks", None)  # the ones actually run, below
        return {
            "Data": self.data_label,
            "Period": f"{self.dates[0].date()} to {self.dates[-1].date()} ({len(self.dates)} days)",
            **design,
            "Annualisation": f"N = {self.periods_per_year} periods per year; "
            f"{risk_free_words(risk_free)}",
            "Benchmarks": ", ".join(self.benchmark_assets) or "none",
        }

    def stats(self, risk_free: float = 0.0) -> pd.DataFrame:
        """:meth:`metrics` as the report prints them: one row per metric (its heading),
        one column per portfolio, values as text (percentages, ratios, days)."""
        return _presenter().stats(self, risk_free)

    def plot(self, kind: str = "growth", **options):
        """One of the tearsheet's figures as a ``matplotlib.figure.Figure``: ``growth``,
        ``drawdown``, ``rolling``, ``annual``, ``monthly``, ``allocation`` or
        ``rebalances`` (``options``: ``brand=`` a :class:`~indexlab.report.Brand`)."""
        return _presenter().plot(self, kind, **options)

    def to_vectorbt(self, portfolio: str | None = None, sizing: str = "units"):
        """The strategy (or the benchmark ``portfolio``) as a ``vectorbt.Portfolio``,
        orders at the engine's trade dates; ``sizing="units"`` reproduces the equity
        exactly, ``"weights"`` lets vectorbt size the orders by its fee convention (see
        :func:`indexlab.bridges.to_vectorbt`). Needs ``pip install 'indexlab[vectorbt]'``."""
        return _bridges().to_vectorbt(self, portfolio=portfolio, sizing=sizing)

    def to_quantstats(
        self,
        path,
        benchmark: str | None = None,
        portfolio: str | None = None,
        include_initial_buy: bool = True,
    ):
        """Write quantstats' HTML report of the strategy (or ``portfolio``) against the
        portfolio ``benchmark`` (e.g. ``"BTC"``) with N = 365, the returns counted from
        the initial capital (see :func:`indexlab.bridges.write_quantstats`); returns the
        path. Needs ``pip install 'indexlab[quantstats]'``."""
        return _bridges().write_quantstats(
            self,
            path,
            benchmark=benchmark,
            portfolio=portfolio,
            include_initial_buy=include_initial_buy,
        )

    def _repr_html_(self) -> str:
        """How a notebook shows a Result: what ran, its notes and the metrics table."""
        return _presenter().html(self)

    def __repr__(self) -> str:
        return (
            f"Result({self.name!r}, {self.dates[0].date()} .. {self.dates[-1].date()}, "
            f"portfolios={list(self.portfolios)}, data={self.data_label!r})"
        )
