"""Strategy specs: typed sections, a TOML reader, validation with precise errors.

A strategy file (see strategies/ for commented examples)::

    name = "top100-mcap-monthly"
    description = "Top 100 by market cap, market-cap weighted, rebalanced monthly"
    start = "2018-01-01"          # optional; default: first date with a decision snapshot
    end = "2025-06-30"            # optional; default: last date of the data
    lag_days = 1                  # decisions use data up to the close of t - lag_days
    initial_capital = 10000.0
    benchmarks = ["BTC", "TRX"]   # asset ids, unambiguous symbols, or "total-market"

    [universe]                    # who may be held (reviewed on [reconstitution])
    top_n = 100                   # or rank_band = [11, 30], or coverage = 0.8 (+ max_n)
    exclude = ["stablecoin", "wrapped", { tag = "memecoin", from = 2023-05-01 }]
    min_market_cap = 10e6         # newcomers; members stay down to min_market_cap_members
    entry_rank = 80               # buffers: newcomers need rank <= 80, members stay
    exit_rank = 120               #   while ranked <= 120

    [ranking]                     # what "largest" means
    measure = "market_cap"        # market_cap | market_cap_sma | market_cap_ema
    window_days = 30              # SMA length, EMA span; or halflife_days = 10 (EMA)

    [weighting]
    scheme = "market_cap"         # market_cap | sqrt_market_cap | power | equal | file
    cap = 0.25                    # cap_largest, floor, fixed = { bitcoin = 0.4 }, ...

    [rebalance]                   # when weights go back to target
    frequency = "monthly"         # daily | weekly | monthly | quarterly | dates | none
    drift_threshold = 0.05        # and/or when a weight drifts this far

    [reconstitution]              # optional: membership on its own schedule
    frequency = "quarterly"

    [costs]
    fee_bps = 10.0
    slippage_bps = 5.0

Every key is documented in docs/index-rules.md; keys left out take the defaults of
:mod:`indexlab.spec.defaults`, the same in a file and in Python.
:func:`describe` puts a strategy into words (the reports' assumptions block).
"""

from indexlab.spec.describe import describe
from indexlab.spec.model import (
    FREQUENCIES,
    MEASURES,
    WEIGHTING_SCHEMES,
    Costs,
    Exclusion,
    Measure,
    Rebalance,
    Reconstitution,
    RiskOff,
    Schedule,
    Universe,
    Weighting,
)
from indexlab.spec.strategy import Strategy

__all__ = [
    "FREQUENCIES",
    "MEASURES",
    "WEIGHTING_SCHEMES",
    "Costs",
    "Exclusion",
    "Measure",
    "Rebalance",
    "Reconstitution",
    "RiskOff",
    "Schedule",
    "Strategy",
    "Universe",
    "Weighting",
    "describe",
]
