"""Built-in signals, computed from closes without look-ahead.

Each rule maps a price Series (or a date x asset DataFrame) to +1 bullish, -1
bearish, 0 neutral and ``NaN`` while there is not enough history. The value dated t
uses closes up to and including the close of t and nothing later; a day without a
valid close counts at the last valid close before it (as the engine values a gap).
Executing on that value follows DESIGN section 3: it first changes a position at the
close of t + ``lag_days``.

=================  ==========================  ==============================================
rule               parameters (defaults)       bullish when (bearish when the reverse)
=================  ==========================  ==============================================
``sma-cross``      fast, slow (50, 200)        SMA(fast) > SMA(slow) of the close
``momentum``       lookback_days (90)          close_t > close_{t - lookback_days}
``above-sma``      window (200)                close_t > SMA(window)
=================  ==========================  ==============================================

SMA(n) at t is the mean of the n closes t - n + 1 .. t (``NaN`` before n of them).
Where the two sides are equal (to 1e-12 relative) the signal is neutral.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd

from indexlab.errors import SpecError
from indexlab.market import Market
from indexlab.signals.values import Signal

Prices = TypeVar("Prices", pd.Series, pd.DataFrame)
TIE_TOLERANCE = 1e-12


def _known_prices(close: Prices) -> Prices:
    """Closes with each gap at the last valid close before it: only the past is used."""
    valid = close.where(np.isfinite(close) & (close > 0))
    return valid.ffill()


def _direction(left: Prices, right: Prices) -> Prices:
    """+1 where left > right, -1 where left < right, 0 where equal (relatively to
    1e-12: rolling sums carry rounding), NaN where either is unknown."""
    difference = left - right
    tie = np.abs(difference) <= TIE_TOLERANCE * np.abs(right)
    return np.sign(difference).mask(tie & difference.notna(), 0.0)


def sma(close: Prices, window: int) -> Prices:
    """Simple moving average of the last ``window`` closes (NaN before ``window``)."""
    return _known_prices(close).rolling(window, min_periods=window).mean()


def sma_cross(close: Prices, fast: int = 50, slow: int = 200) -> Prices:
    """Bullish while the ``fast``-day SMA is above the ``slow``-day SMA, bearish below."""
    _check_windows(fast=fast, slow=slow)
    return _direction(sma(close, fast), sma(close, slow))


def momentum(close: Prices, lookback_days: int = 90) -> Prices:
    """Time-series momentum: bullish while the close is above the close
    ``lookback_days`` days earlier, bearish below."""
    _check_windows(lookback_days=lookback_days)
    prices = _known_prices(close)
    return _direction(prices, prices.shift(lookback_days))


def above_sma(close: Prices, window: int = 200) -> Prices:
    """Bullish while the close is above its ``window``-day SMA, bearish below."""
    _check_windows(window=window)
    return _direction(_known_prices(close), sma(close, window))


def _check_windows(**windows: int) -> None:
    for name, value in windows.items():
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
            raise SpecError(f"{name}: must be a whole number of days >= 1, got {value!r}")
    if "fast" in windows and windows["fast"] >= windows["slow"]:
        raise SpecError(
            f"sma-cross: fast ({windows['fast']}) must be shorter than slow ({windows['slow']})"
        )


RULES: dict[str, tuple[Callable[..., pd.Series], tuple[str, ...], tuple[int, ...]]] = {
    "sma-cross": (sma_cross, ("fast", "slow"), (50, 200)),
    "momentum": (momentum, ("lookback_days",), (90,)),
    "above-sma": (above_sma, ("window",), (200,)),
}


@dataclass(frozen=True)
class Rule:
    """A built-in signal with its parameters, e.g. ``Rule("sma-cross", (50, 200))``."""

    name: str
    params: tuple[int, ...]

    def __post_init__(self) -> None:
        if self.name not in RULES:
            raise SpecError(
                f"signal rule: unknown {self.name!r}; built in: {', '.join(RULES)} "
                "(e.g. sma-cross:50,200, momentum:90, above-sma:200)"
            )
        names = RULES[self.name][1]
        if len(self.params) != len(names):
            raise SpecError(
                f"signal rule {self.name}: takes {len(names)} parameter(s) "
                f"({', '.join(names)}), got {len(self.params)}"
            )
        _check_windows(**dict(zip(names, self.params, strict=True)))

    @property
    def spec(self) -> str:
        """As written on the command line: ``sma-cross:50,200``."""
        return f"{self.name}:{','.join(map(str, self.params))}"

    @property
    def label(self) -> str:
        """As written in reports: ``sma-cross 50/200``."""
        return f"{self.name} {'/'.join(map(str, self.params))}"

    def __call__(self, close: Prices) -> Prices:
        function, names, _ = RULES[self.name]
        return function(close, **dict(zip(names, self.params, strict=True)))

    def signal(self, market: Market, assets: list[str] | None = None) -> Signal:
        """The rule on the closes of ``market`` (all assets, or ``assets``)."""
        close = market.close if assets is None else market.close[assets]
        return Signal(values=self(close).astype(np.float64), source=self.label)


def parse_rule(text: str) -> Rule:
    """``"sma-cross:50,200"``, ``"momentum:90"``, ``"above-sma:200"``, or a name alone
    for its default parameters."""
    name, _, params = text.strip().partition(":")
    name = name.strip().lower().replace("_", "-")
    if name not in RULES:
        Rule(name, ())  # raises the error that lists the rules
    if not params.strip():
        return Rule(name, RULES[name][2])
    values: list[int] = []
    for part in params.split(","):
        try:
            values.append(int(part.strip()))
        except ValueError:
            raise SpecError(
                f"signal rule {text!r}: {part.strip()!r} is not a whole number of days"
            ) from None
    return Rule(name, tuple(values))
