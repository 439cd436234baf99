"""Trading signals and how their flips performed.

    >>> from indexlab import signals
    >>> market = indexlab.demo_market()
    >>> rule = signals.parse_rule("sma-cross:50,200")
    >>> signal = rule.signal(market, ["tron"])            # or signals.read_signal(path, market)
    >>> analysis = signals.analyze_flips(market.close["tron"], signal.series("tron"))
    >>> analysis.flips, analysis.hit_rate, analysis.return_since_last_flip
    >>> signals.price_card(market, "TRX", "2025-06-01", signal=signal)
    >>> signals.exposure(signal.on(market.dates), lag_days=1)   # weights an engine holds

A signal dated t is traded at the close of t + ``lag_days`` (DESIGN section 3).
"""

from indexlab.signals.card import PriceCard, price_card
from indexlab.signals.exposure import exposure, held_direction
from indexlab.signals.flips import FLIP_COLUMNS, FlipAnalysis, analyze_flips
from indexlab.signals.follow import follow_equity, post_trade_value
from indexlab.signals.rules import RULES, Rule, above_sma, momentum, parse_rule, sma, sma_cross
from indexlab.signals.values import (
    RATING_LABELS,
    RatingBands,
    Signal,
    read_signal,
    signal_from_long,
)

__all__ = [
    "FLIP_COLUMNS",
    "RATING_LABELS",
    "RULES",
    "FlipAnalysis",
    "PriceCard",
    "RatingBands",
    "Rule",
    "Signal",
    "above_sma",
    "analyze_flips",
    "exposure",
    "follow_equity",
    "held_direction",
    "momentum",
    "parse_rule",
    "post_trade_value",
    "price_card",
    "read_signal",
    "signal_from_long",
    "sma",
    "sma_cross",
]
