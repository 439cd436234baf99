"""Readers that turn files and generators into a :class:`~indexlab.market.Market`."""

from indexlab.sources.demo import demo_market
from indexlab.sources.long_table import load_market, market_from_long

__all__ = ["demo_market", "load_market", "market_from_long"]
