"""How a signal's flips performed: segments, hit rate, and the equity of following it.

A *segment* is a run of days over which the position behind the signal keeps one
direction. With the lag of DESIGN section 3, a signal value dated s is traded at the
close of s + ``lag_days``, so a segment starts at the close of the flip's execution
date e_k (``date``) and ends at the close of the next flip's execution date
e_{k+1} (``next_date``):

    return_k       = P(e_{k+1}) / P(e_k) - 1                (the price's return)
    days_k         = e_{k+1} - e_k                           (calendar days)
    max_drawdown_k = min over e_k <= t <= e_{k+1} of P_t / max_{e_k <= s <= t} P_s - 1

The last segment is open: it runs to the last date, and its return is the return
since the last flip. The first segment starts on the first date the signal is known
(and the price exists), which is not a flip (``previous`` is empty there).

A *hit* is a closed bullish segment whose price rose or a closed bearish segment
whose price fell; the hit rate is hits over closed bullish and bearish segments.

Following the signal holds the asset while bullish and cash otherwise (or -1 while
bearish, with ``short``), trading at the close of each flip's execution date with the
engine's costs (see :mod:`indexlab.signals.follow`); buy and hold buys at the first
close of the analysis with the same costs.

Prices: the price's life runs from its first to its last valid close (finite, > 0);
a day without a valid close inside it counts at the last valid close, as the engine
values a gap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from indexlab import metrics
from indexlab.errors import DataError
from indexlab.signals.exposure import check_calendar, check_lag, exposure, held_direction
from indexlab.signals.follow import cost_rate, follow_equity
from indexlab.signals.values import (
    DIRECTION_NAMES,
    check_dates,
    direction_name,
    hold_on,
    parse_directions,
)

FLIP_COLUMNS = (
    "signal_date",
    "date",
    "direction",
    "previous",
    "price",
    "next_date",
    "next_price",
    "return",
    "days",
    "max_drawdown",
    "open",
)
SIGNAL, BUY_AND_HOLD = "signal", "buy_and_hold"


# ---------------------------------------------------------------- segments
def _segments(
    dates: pd.DatetimeIndex, prices: np.ndarray, held: np.ndarray, lag: int
) -> pd.DataFrame:
    """The flip table of a window whose held direction is known on every row."""
    starts = np.flatnonzero(np.concatenate(([True], held[1:] != held[:-1])))
    ends = np.concatenate((starts[1:], [len(prices) - 1]))
    is_open = np.arange(len(starts)) == len(starts) - 1
    names = np.array([DIRECTION_NAMES[v] for v in held[starts]], dtype=object)
    drawdowns = [
        float(np.min(path / np.maximum.accumulate(path) - 1.0))
        for path in (prices[s : e + 1] for s, e in zip(starts, ends, strict=True))
    ]
    table = pd.DataFrame(
        {
            "signal_date": dates[starts] - pd.Timedelta(days=lag),
            "date": dates[starts],
            "direction": pd.array(names, dtype="str"),
            "previous": pd.array(np.concatenate(([None], names[:-1])), dtype="str"),
            "price": prices[starts],
            "next_date": dates[ends].where(~is_open, pd.NaT),
            "next_price": np.where(is_open, np.nan, prices[ends]),
            "return": prices[ends] / prices[starts] - 1.0,
            "days": ((dates[ends] - dates[starts]) // pd.Timedelta(days=1)).to_numpy(np.int64),
            "max_drawdown": np.array(drawdowns),
            "open": is_open,
        },
        index=pd.RangeIndex(len(starts), name="segment"),
    )
    return table


def _signal_on(signal: pd.Series, calendar: pd.DatetimeIndex) -> pd.Series:
    """The signal's values (+1 / -1 / 0, NaN before the first) on a daily calendar
    starting at or before the signal's first date."""
    check_dates(signal.index, "signal")
    values = pd.Series(parse_directions(signal), index=signal.index).sort_index()
    start = min(values.index[0], calendar[0]) if len(values) else calendar[0]
    full = pd.date_range(start, calendar[-1], freq="D")
    return hold_on(values, full)


def _window(
    price: pd.Series, start: pd.Timestamp | None, end: pd.Timestamp | None, where: str
) -> tuple[pd.Series, list[str]]:
    """The price's life within [start, end], gaps at the last valid close."""
    check_calendar(price.index, where)
    notes = []
    values = price.astype(np.float64)
    values = values.where(np.isfinite(values) & (values > 0))
    if end is not None:
        values = values[values.index <= end]
    valid = values.dropna()
    if valid.empty:
        until = f" on or before {end.date()}" if end is not None else ""
        raise DataError(f"{where}: no valid price{until}")
    life = values.loc[valid.index[0] : valid.index[-1]]
    gaps = int(life.isna().sum())
    if gaps:
        notes.append(f"{gaps} day(s) without a valid close counted at the last close")
    life = life.ffill()
    if start is not None:
        life = life[life.index >= start]
        if life.empty:
            raise DataError(
                f"{where}: no valid price from {start.date()} (the last is on "
                f"{valid.index[-1].date()})"
            )
    return life, notes


@dataclass(frozen=True, eq=False)
class FlipAnalysis:
    """The flips of a signal on one price series and the result of following it.

    Attributes:
        name: what the price is (an asset, an index).
        price: the analysed closes (gaps at the last close), from the first date the
            signal is known + ``lag_days``.
        signal: the signal's values dated on those dates (+1 / -1 / 0), not lagged.
        held: the direction behind the position after each close (the signal lagged).
        flips: one row per segment (see the module docstring; columns ``FLIP_COLUMNS``).
        equity: date x [``signal``, ``buy_and_hold``], in units of the initial capital.
        exposure: the weight of the asset held after each close when following.
        trades: the follower's trades: ``date, weight_before, weight_after,
            value_pre_trade, traded_notional, cost`` (units of C0).
    """

    name: str
    price: pd.Series
    signal: pd.Series
    held: pd.Series
    flips: pd.DataFrame
    equity: pd.DataFrame
    exposure: pd.Series
    trades: pd.DataFrame
    lag_days: int
    fee_bps: float
    slippage_bps: float
    short: bool
    notes: tuple[str, ...] = field(default=())

    # ---------------------------------------------------------------- the latest
    @property
    def as_of(self) -> pd.Timestamp:
        return self.price.index[-1]

    @property
    def last_flip(self) -> pd.Series:
        """The open segment: the last flip (or the first signal, if it never flipped)."""
        return self.flips.iloc[-1]

    @property
    def return_since_last_flip(self) -> float:
        """P(as_of) / P(last flip's execution) - 1."""
        return float(self.last_flip["return"])

    @property
    def current_signal(self) -> str:
        """The signal dated :attr:`as_of` (its position may still be pending)."""
        return direction_name(float(self.signal.iloc[-1]))  # type: ignore[return-value]

    @property
    def pending(self) -> pd.Series | None:
        """A flip dated within the last ``lag_days`` days, not yet traded: its
        ``signal_date``, ``date`` (execution, after :attr:`as_of`) and ``direction``."""
        values = self.signal.to_numpy()
        if values[-1] == self.held.iloc[-1]:
            return None
        changed = np.flatnonzero(np.concatenate(([True], values[1:] != values[:-1])))
        signal_date = self.signal.index[changed[-1]]
        return pd.Series(
            {
                "signal_date": signal_date,
                "date": signal_date + pd.Timedelta(days=self.lag_days),
                "direction": direction_name(float(values[-1])),
            }
        )

    # ---------------------------------------------------------------- statistics
    @property
    def closed(self) -> pd.DataFrame:
        """The closed segments."""
        return self.flips[~self.flips["open"]]

    def _hits(self) -> pd.Series:
        closed = self.closed
        rose = closed["return"] > 0
        fell = closed["return"] < 0
        return (closed["direction"] == "bullish") & rose | (closed["direction"] == "bearish") & fell

    @property
    def hit_rate(self) -> float:
        """Closed bullish segments that rose plus closed bearish ones that fell, over
        the closed bullish and bearish segments (NaN if there are none)."""
        counted = self.closed["direction"].isin(["bullish", "bearish"])
        return float(self._hits()[counted].mean()) if counted.any() else np.nan

    def segment_stats(self) -> pd.DataFrame:
        """Per direction over the closed segments: ``segments``, ``hits``, ``hit_rate``,
        ``mean_return`` and ``median_return`` (of the price over the segment) and
        ``mean_days``; the row ``all`` counts bullish and bearish segments together
        (its hit rate is :attr:`hit_rate`; it has no mean return)."""
        closed = self.closed
        hits = self._hits()
        rows = {}
        for label, chosen in (
            ("bullish", closed["direction"] == "bullish"),
            ("bearish", closed["direction"] == "bearish"),
            ("neutral", closed["direction"] == "neutral"),
            ("all", closed["direction"].isin(["bullish", "bearish"])),
        ):
            part = closed[chosen]
            counted = label != "neutral"
            # Price returns of bullish and bearish segments together mean nothing.
            one_direction = label != "all" and len(part) > 0
            rows[label] = {
                "segments": len(part),
                "hits": int(hits[chosen].sum()) if counted else np.nan,
                "hit_rate": float(hits[chosen].mean()) if counted and len(part) else np.nan,
                "mean_return": float(part["return"].mean()) if one_direction else np.nan,
                "median_return": float(part["return"].median()) if one_direction else np.nan,
                "mean_days": float(part["days"].mean()) if len(part) else np.nan,
            }
        table = pd.DataFrame.from_dict(rows, orient="index")
        table.index.name = "direction"
        return table

    def metrics(self, risk_free: float = 0.0) -> pd.DataFrame:
        """Following the signal and buy-and-hold: the metrics of DESIGN section 4 (one
        row each), ``n_trades`` and ``total_cost`` (sum of cost over value before
        each trade)."""
        trades = {}
        for column, frame in ((SIGNAL, self.trades), (BUY_AND_HOLD, self._hold_trade())):
            trades[column] = frame.assign(
                turnover=frame["traded_notional"] / frame["value_pre_trade"]
            )
        table = metrics.summary(self.equity, trades=trades, risk_free=risk_free)
        table = table.drop(columns=["beta_btc", "correlation_btc", "avg_turnover"])
        return table.rename(columns={"n_rebalances": "n_trades"})

    def _hold_trade(self) -> pd.DataFrame:
        rate = cost_rate(self.fee_bps, self.slippage_bps)
        value = 1.0 / (1.0 + rate)
        return pd.DataFrame(
            {"value_pre_trade": [1.0], "traded_notional": [value], "cost": [1.0 - value]},
            index=self.equity.index[:1],
        )

    def assumptions(self) -> dict[str, str]:
        """What every output of the analysis states."""
        follow = (
            "long when bullish, short when bearish, cash when neutral"
            if self.short
            else ("long when bullish, cash otherwise")
        )
        dates = self.price.index
        return {
            "Period": f"{dates[0].date()} to {dates[-1].date()} ({len(dates)} days)",
            "Lag": f"{self.lag_days} day(s): a signal dated t is traded at the close of "
            f"t + {self.lag_days}",
            "Following": f"{follow}; cash earns 0",
            "Costs": f"fee {self.fee_bps:g} bps + slippage {self.slippage_bps:g} bps on "
            "traded notional, per flip",
            "Annualisation": f"N = {metrics.PERIODS_PER_YEAR} periods per year; risk-free rate 0",
        }


def _traded_window(
    price: pd.Series,
    signal: pd.Series,
    start: pd.Timestamp | None,
    end: pd.Timestamp | None,
    lag: int,
    label: str,
) -> tuple[pd.Series, pd.Series, pd.Series, list[str]]:
    """The price's life within [start, end] from the first date on which a signal is
    known and traded (a note says so when that is later), the direction held on those
    dates, the signal on the price's dates, and notes; an error when there is none."""
    life, notes = _window(price, start, end, label)
    values = _signal_on(signal, price.index)
    held = held_direction(values, lag).reindex(life.index)
    known = held.notna().to_numpy()
    if not known.any():
        first = values.first_valid_index()
        detail = f"its first value is dated {first.date()}" if first is not None else "it is empty"
        raise DataError(
            f"{label}: the signal is known on no date from {held.index[0].date()} to "
            f"{held.index[-1].date()} with lag_days={lag} ({detail})"
        )
    k0 = int(np.argmax(known))
    if k0 > 0:
        notes.append(
            f"analysis starts on {held.index[k0].date()}, the first date a signal is known "
            f"and traded (lag {lag})"
        )
    return life.iloc[k0:], held.iloc[k0:], values, notes


def analyze_flips(
    price: pd.Series,
    signal: pd.Series,
    *,
    lag_days: int = 1,
    fee_bps: float = 10.0,
    slippage_bps: float = 5.0,
    short: bool = False,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
    name: str | None = None,
) -> FlipAnalysis:
    """Analyse the flips of ``signal`` on ``price`` as of ``end`` (default: the last
    date), and follow it with costs against buy-and-hold.

    Args:
        price: closes (an asset's, or a portfolio's equity) on a contiguous daily
            calendar; values that are not finite and > 0 are gaps.
        signal: +1 / -1 / 0 or bullish / bearish / neutral, dated; a value holds until
            the next one, so it may list every day or only the changes. Dates may start
            before the price (a value dated before it is in force on its first day).
        lag_days: a signal dated t is traded at the close of t + ``lag_days``.
        fee_bps, slippage_bps: costs on traded notional, per flip.
        short: hold -1 while bearish instead of cash.
        start: first date of the analysis (default: the first date the signal is
            known + ``lag_days``, or the price's first valid close if later).
        end: the as-of date: data after it are not used.
        name: what ``price`` is, for reports (default: its Series name).
    """
    lag = check_lag(lag_days)
    rate = cost_rate(fee_bps, slippage_bps)
    label = name or str(price.name or "price")
    start_ts = None if start is None else pd.Timestamp(start)
    end_ts = None if end is None else pd.Timestamp(end)
    life, held, values, notes = _traded_window(price, signal, start_ts, end_ts, lag, label)
    dates = pd.DatetimeIndex(life.index, name="date")
    prices = life.to_numpy(dtype=np.float64)
    flips = _segments(dates, prices, held.to_numpy(dtype=np.float64), lag)
    weights = exposure(values, lag, short=short).reindex(dates).to_numpy(dtype=np.float64)
    frame, trades = _follow(dates, prices, weights, rate, notes)
    return FlipAnalysis(
        name=label,
        price=life.rename(label).rename_axis("date"),
        signal=values.reindex(dates).rename("signal"),
        held=held.rename("held").set_axis(dates),
        flips=flips,
        equity=frame,
        exposure=pd.Series(weights, index=dates, name="exposure"),
        trades=trades,
        lag_days=lag,
        fee_bps=float(fee_bps),
        slippage_bps=float(slippage_bps),
        short=short,
        notes=tuple(notes),
    )


def _follow(
    dates: pd.DatetimeIndex, prices: np.ndarray, weights: np.ndarray, rate: float, notes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The equity of following the signal (``weights``) and of buy and hold, both with
    costs at ``rate``, and the signal's trades by date; a note if a short was ruined."""
    equity, trades, ruin = follow_equity(prices, weights, rate)
    hold, _, _ = follow_equity(prices, np.ones_like(prices), rate)
    if ruin is not None:
        notes.append(f"the short lost the whole equity on {dates[ruin].date()}; it stays at 0")
    trades.insert(0, "date", dates[trades.pop("row").to_numpy()])
    frame = pd.DataFrame({SIGNAL: equity, BUY_AND_HOLD: hold}, index=dates)
    frame.columns.name = "portfolio"
    return frame, trades
