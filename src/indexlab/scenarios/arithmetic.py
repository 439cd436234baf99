"""Scenario arithmetic on arrays, and how its amounts and prices are written.

``P = s * T / S`` (:func:`prices_at_tiers`), ``T* = P* * S / s`` (:func:`tiers_for_prices`)
and ``S = S0 * (1 + g) ** (days / 365)`` (:func:`grown_supply`); see :mod:`indexlab.scenarios`.
"""

from __future__ import annotations

import math

import numpy as np

DAYS_PER_YEAR = 365  # supply growth compounds over calendar days / 365, as CAGR does
SUFFIXES = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}


def prices_at_tiers(tiers_usd: np.ndarray, shares: np.ndarray, supply: float) -> np.ndarray:
    """Price of each (tier, case): ``P[i, j] = shares[j] * tiers_usd[i] / supply``."""
    return np.multiply.outer(np.asarray(tiers_usd, float), np.asarray(shares, float)) / supply


def tiers_for_prices(target_prices: np.ndarray, shares: np.ndarray, supply: float) -> np.ndarray:
    """Total market cap at which each (target, case) is reached:
    ``T[k, j] = target_prices[k] * supply / shares[j]``."""
    return np.divide.outer(np.asarray(target_prices, float) * supply, np.asarray(shares, float))


def grown_supply(supply: float, annual_rate: float, days: float) -> float:
    """Supply after ``days`` at ``annual_rate``: ``S0 * (1 + g) ** (days / 365)``."""
    return supply * (1.0 + annual_rate) ** (days / DAYS_PER_YEAR)


def ordinal(q: float) -> str:
    """``25th``, ``50th``, ``1st``, ``12.5th``: a percentile as words say it."""
    number = f"{q:g}"
    if not number.isdigit():
        return f"{number}th"
    tail = int(number) % 100
    suffix = "th" if 11 <= tail <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(tail % 10, "th")
    return number + suffix


def format_amount(value: float, digits: int = 3) -> str:
    """``3.43T``, ``26.5B``, ``17.0T``, ``950M``: a large amount to ``digits`` significant
    digits, trailing zeros kept, so that amounts printed side by side have the same
    decimals (``$17.0T`` next to ``$23.2T``, never ``$17T``)."""
    if not math.isfinite(value):
        return "–"
    scaled, suffix = _scaled(value)
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(scaled)))) if scaled else 0
    text = f"{scaled:.{decimals}f}"
    if abs(float(text)) >= 1000 and suffix != "T":  # 999.96B rounds up to the next unit
        return format_amount(math.copysign(1000 * SUFFIXES.get(suffix, 1.0), value), digits)
    return text + suffix


def format_amounts(values: np.ndarray, digits: int = 6) -> list[str]:
    """Amounts of one list (the tiers of a table or an axis), each shown to at most
    ``digits`` significant digits, with as many decimals as the most precise among
    those of the same unit needs: ``1.5T, 8.0T, 16.0T``, ``8T, 16T, 23T``."""
    scaled = [_scaled(float(value)) for value in values]
    decimals: dict[str, int] = {}
    for number, suffix in scaled:
        exact = f"{number:.{digits}g}"
        needed = len(exact.partition(".")[2]) if "e" not in exact else 0
        decimals[suffix] = max(decimals.get(suffix, 0), needed)
    return [f"{number:.{decimals[suffix]}f}{suffix}" for number, suffix in scaled]


def _scaled(value: float) -> tuple[float, str]:
    """``value`` in its largest unit (K, M, B, T) not above it, and the unit's suffix."""
    for suffix, unit in reversed(SUFFIXES.items()):
        if abs(value) >= unit:
            return value / unit, suffix
    return value, ""


def format_price(value: float) -> str:
    """``$1,234``, ``$1.31``, ``$0.339``, ``$0.0000123``: three significant digits below $1."""
    if not math.isfinite(value):
        return "–"
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 1:
        return f"${value:,.2f}"
    return f"${value:.{2 - math.floor(math.log10(value))}f}"
