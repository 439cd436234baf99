"""Bridges to the tools users already live in: a Result as a ``vectorbt.Portfolio``, and
a run's portfolios as quantstats HTML reports.

Both libraries are optional (``pip install 'indexlab[vectorbt]'`` or
``'indexlab[quantstats]'``) and imported only when a bridge is used. ``Result`` finds
this module by name (:meth:`indexlab.result.Result.to_vectorbt`), so the engine layer
imports nothing from here.
"""

from __future__ import annotations

import importlib
import logging
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from indexlab import metrics
from indexlab.errors import IndexlabError

if TYPE_CHECKING:
    from indexlab.report.rundata import RunData
    from indexlab.result import PortfolioRun, Result

SIZINGS = ("units", "weights")


def _require(module: str, extra: str) -> Any:
    """Import an optional library, or say how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError:
        raise IndexlabError(
            f"this needs {module}, which is not installed: pip install 'indexlab[{extra}]' "
            f"(or pip install {module})"
        ) from None


def _portfolio_name(names: list[str], portfolio: str | None, what: str = "portfolio") -> str:
    if portfolio is None:
        return names[0]
    if portfolio not in names:
        raise IndexlabError(f"{what} {portfolio!r} is not in the run: use one of {names}")
    return portfolio


# ----------------------------------------------------------------------- vectorbt
def to_vectorbt(result: Result, portfolio: str | None = None, sizing: str = "units") -> Any:
    """The strategy (or the benchmark ``portfolio``) as a ``vectorbt.Portfolio``.

    One ``Portfolio.from_orders`` call, all assets in one group with shared cash
    (``group_by=True, cash_sharing=True, call_seq="auto"``: sells before buys), the
    initial capital as ``init_cash``, valued at the last valid close (closes filled
    forward, as the engine values a gap), with an order on each of the engine's trade
    dates (scheduled, drift, risk-off and risk-on rebalances, first-price fills) for
    every asset held before or after it, and ``fees`` = (fee_bps + slippage_bps) / 1e4
    on each order's notional. A position the data stop pricing (a delisting) is sold
    on the engine's liquidation date with no fee, as the engine turns it into cash.

    ``sizing`` says how the orders are sized, and so which fee convention holds:

    - ``"units"`` (default): ``size_type="targetamount"``, the units the engine held
      after each trade. indexlab solves the post-trade value V' = V - c * sum_i
      |V' w_i - h_i| exactly (``engine.policies.post_trade_value``), so the units
      already carry the costs, and vectorbt's per-order fees add up to exactly
      V - V': the Portfolio's value equals indexlab's equity (about 1e-14 relative),
      with or without fees.
    - ``"weights"``: ``size_type="targetpercent"``, the engine's weights after each
      trade, and vectorbt sizes the orders itself, as a vectorbt user would write
      it. vectorbt computes every target from the value *before* the day's fees and
      charges the fees order by order, so the last buys of a rebalance are cut short
      by the fees already paid: its equity drifts from indexlab's by a small
      fraction of the costs, growing with turnover (at 15 bps, monthly, over
      2018-2025 of the CoinGecko collection: 3e-4 relative for top-100 market-cap
      weights, 4e-3 for top-100 equal weights). Without fees the two are the same
      (about 1e-14).

    Equity is ``portfolio.value() / strategy.initial_capital``.
    """
    vbt = _require("vectorbt", "vectorbt")
    if sizing not in SIZINGS:
        raise IndexlabError(f"sizing {sizing!r}: use one of {', '.join(SIZINGS)}")
    name = _portfolio_name(list(result.portfolios), portfolio)
    run = result.portfolios[name]
    capital = float(result.strategy.initial_capital)
    costs = result.strategy.costs
    size, fees, prices = vectorbt_orders(result, run, sizing, capital)
    fees *= (costs.fee_bps + costs.slippage_bps) / 1e4
    return vbt.Portfolio.from_orders(
        prices,
        size,
        size_type="targetamount" if sizing == "units" else "targetpercent",
        group_by=True,
        cash_sharing=True,
        call_seq="auto",
        fees=fees,
        freq="1D",
        init_cash=capital,
    )


def vectorbt_orders(
    result: Result, run: PortfolioRun, sizing: str, capital: float
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """``from_orders`` inputs of one portfolio: sizes (``NaN``: no order), a fee factor
    per cell (1, or 0 for a delisting's fee-free sale) and the filled-forward closes,
    each date x asset over the assets the portfolio ever held."""
    held = run.held_units.held_columns()  # over the assets ever held, never all of them
    units = run.held_units.on_columns(held)
    targets = units * capital if sizing == "units" else run.held_weights.on_columns(held)
    size = np.full((len(run.dates), len(held)), np.nan)
    before = np.zeros(len(held))
    for k, row in enumerate(run.rebalance_rows):
        # Orders for what was held before or is held after (a 0 target sells): vectorbt
        # refuses a 0 target in an asset valued below its 1e-12 tolerance.
        ordered = (before != 0) | (units[k] != 0)
        size[row, ordered] = targets[k, ordered]
        before = units[k]
    fees = np.ones_like(size)
    column = {int(asset): j for j, asset in enumerate(held)}
    for row, asset in run.liquidation_rows:
        j = column[int(asset)]
        if np.isnan(size[row, j]):
            size[row, j] = 0.0
        if size[row, j] == 0.0:  # (a rebuy the same day keeps the fee, on the net order)
            fees[row, j] = 0.0
    assets = run.assets[held]
    close = result.market.close[assets]
    close = close.where(np.isfinite(close) & (close > 0))
    stop = run.start_pos + len(run.dates)
    prices = close.iloc[:stop].ffill().iloc[run.start_pos :]
    prices.index = run.dates
    return pd.DataFrame(size, index=run.dates, columns=assets), fees, prices


# --------------------------------------------------------------------- quantstats
def quantstats_returns(equity: pd.Series, include_initial_buy: bool = True) -> pd.Series:
    """Daily returns for quantstats from an equity curve in units of the initial
    capital C0 (its ``NaN`` days, before a portfolio starts, dropped).

    With ``include_initial_buy`` (the default), the first return is E_0 / C0 - 1 on
    the first date, the cost of the initial buy (DESIGN section 3: total return is
    E_T / C0 - 1), so quantstats' cumulative return is indexlab's total return.
    Its ratios then average T + 1 returns where indexlab's metrics average the T
    returns E_t / E_(t-1) - 1 from the first close (DESIGN section 4): Sharpe,
    Sortino and volatility differ by that one observation (Sharpe 4e-4 to 1e-3
    relative over four to eight years at 15 bps). Without it, the returns are
    :func:`indexlab.metrics.returns`, and quantstats' Sharpe, Sortino, volatility and
    max drawdown are indexlab's (1e-12).
    """
    equity = equity.dropna()
    if include_initial_buy:
        returns = equity / equity.shift(1, fill_value=1.0) - 1.0
    else:
        returns = metrics.returns(equity)
    if len(returns) and returns.min() >= 0 and returns.max() > 1:
        # quantstats reads such a series as prices and would take its changes.
        raise IndexlabError(
            f"{equity.name}: every daily return is >= 0 and one is above 100 %: quantstats "
            "would read these returns as prices; no report written"
        )
    returns.index = pd.DatetimeIndex(returns.index).tz_localize(None)
    return returns.rename(equity.name)


def write_quantstats(
    source: Result | RunData,
    path: str | Path,
    benchmark: str | None = None,
    portfolio: str | None = None,
    include_initial_buy: bool = True,
) -> Path:
    """quantstats' HTML report of one portfolio (default: the strategy) of a Result or
    a run folder's :class:`~indexlab.report.rundata.RunData`, against ``benchmark``
    (another portfolio of the run, e.g. ``"BTC"``; None: no benchmark), with
    ``periods_per_year`` = the run's N (365), over every date of the run
    (``match_dates=False``). Returns as :func:`quantstats_returns`."""
    qs = _require("quantstats", "quantstats")
    equity = source.equity
    names = list(equity.columns)
    name = _portfolio_name(names, portfolio)
    returns = quantstats_returns(equity[name], include_initial_buy)
    other = None
    if benchmark is not None:
        other = quantstats_returns(
            equity[_portfolio_name(names, benchmark, "benchmark")], include_initial_buy
        )
        # On the strategy's dates (quantstats re-derives a misaligned one), 0 where the
        # benchmark has no equity.
        other = other.reindex(returns.index).fillna(0.0)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A RunData's title, or a Result's strategy's.
    title = getattr(source, "display_title", None) or source.strategy.display_title
    if name != names[0]:
        title = f"{name} (benchmark of {title})"
    font_log = logging.getLogger("matplotlib.font_manager")
    level = font_log.level
    font_log.setLevel(logging.ERROR)  # quantstats asks for fonts the machine may lack
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # quantstats' and pandas' deprecations
            qs.reports.html(
                returns.to_frame(name),
                benchmark=other,
                periods_per_year=source.periods_per_year,
                output=str(path),
                title=title,
                benchmark_title=benchmark,
                # Both cover the run's dates; matching would start both at the later
                # first non-zero return (a benchmark bought at its first close, or a
                # fee-free initial buy), leaving days of the run out of the report.
                match_dates=False,
            )
    finally:
        font_log.setLevel(level)
    return path


def write_quantstats_reports(
    source: Result | RunData, folder: str | Path, benchmark: str | None = None
) -> list[Path]:
    """One quantstats report per portfolio of the run, ``folder/<portfolio>.html``,
    each against ``benchmark`` (the benchmark's own report has none)."""
    from indexlab.paths import safe_component

    written = []
    for name in source.equity.columns:
        against = None if benchmark == name else benchmark
        path = Path(folder) / f"{safe_component(str(name))}.html"
        written.append(write_quantstats(source, path, benchmark=against, portfolio=name))
    return written
