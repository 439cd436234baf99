"""Performance statistics (DESIGN section 4) as pure functions.

Every function accepts a ``Series`` (returns a float), a ``DataFrame`` with one
column per portfolio (returns a ``Series``), or an ``ndarray`` (1-D: a float; 2-D:
one value per column). Equity is in units of the initial capital ``C0`` (so
``C0 = 1`` unless ``initial`` says otherwise); returns are simple daily returns
``r_t = E_t / E_{t-1} - 1`` for t = 1..T. ``periods`` is the number of periods per
year, N = 365 for a market that trades every day.

:mod:`indexlab.metrics.stats` holds one function per metric, with its formula;
:mod:`indexlab.metrics.table` the summary of many portfolios at once.
"""

from indexlab.metrics.stats import (
    PERIODS_PER_YEAR,
    best_day,
    beta,
    cagr,
    calmar,
    correlation,
    drawdown,
    drawdown_periods,
    longest_drawdown_days,
    longest_drawdown_spans,
    max_drawdown,
    returns,
    sharpe,
    sortino,
    total_return,
    volatility,
    worst_day,
)
from indexlab.metrics.table import METRIC_COLUMNS, summary, summary_arrays, trade_statistics

__all__ = [
    "METRIC_COLUMNS",
    "PERIODS_PER_YEAR",
    "best_day",
    "beta",
    "cagr",
    "calmar",
    "correlation",
    "drawdown",
    "drawdown_periods",
    "longest_drawdown_days",
    "longest_drawdown_spans",
    "max_drawdown",
    "returns",
    "sharpe",
    "sortino",
    "summary",
    "summary_arrays",
    "total_return",
    "trade_statistics",
    "volatility",
    "worst_day",
]
