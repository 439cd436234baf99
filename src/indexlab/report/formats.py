"""How the report writes numbers: percentages, ratios, counts and the metrics table's
cells (the tearsheet, the notebook display and the terminal's table share them).
Nothing here loads matplotlib, so the command line prints its tables without it."""

from __future__ import annotations

import math
from collections.abc import Callable

MISSING = "–"


def _number(value: float | None, spec: str, scale: float = 1.0, suffix: str = "") -> str:
    """``value * scale`` in the format ``spec``; NaN, infinity or None as a dash."""
    if value is None or not math.isfinite(value):
        return MISSING
    return f"{value * scale:{spec}}{suffix}"


def format_percent(value: float, decimals: int = 1) -> str:
    """A fraction as a percentage (``-0.1234`` -> ``-12.3%``)."""
    return _number(value, f",.{decimals}f", 100.0, "%")


def format_ratio(value: float) -> str:
    """A ratio to 2 decimals."""
    return _number(value, ",.2f")


def format_integer(value: float) -> str:
    """A count or a number of days."""
    return _number(value, ",.0f")


def _format_other(value: float) -> str:
    return _number(value, ",.4g")


# metric column -> (heading, formatter); a column not listed is shown under its own name.
METRIC_FORMATS: dict[str, tuple[str, Callable[[float], str]]] = {
    "total_return": ("Total return", format_percent),
    "cagr": ("CAGR", format_percent),
    "volatility": ("Volatility", format_percent),
    "sharpe": ("Sharpe", format_ratio),
    "sortino": ("Sortino", format_ratio),
    "max_drawdown": ("Max drawdown", format_percent),
    "longest_drawdown_days": ("Longest drawdown (days)", format_integer),
    "calmar": ("Calmar", format_ratio),
    "best_day": ("Best day", format_percent),
    "worst_day": ("Worst day", format_percent),
    "beta_btc": ("Beta to BTC", format_ratio),
    "correlation_btc": ("Correlation to BTC", format_ratio),
    "avg_turnover": ("Avg one-way turnover per rebalance", lambda v: format_percent(v, 2)),
    "total_cost": ("Wealth lost to costs", lambda v: format_percent(v, 2)),
    "n_rebalances": ("Rebalances", format_integer),
}


def format_metric(column: str, value: float) -> str:
    """One cell of the metrics table, formatted the way the report shows it."""
    return METRIC_FORMATS.get(column, (column, _format_other))[1](float(value))
