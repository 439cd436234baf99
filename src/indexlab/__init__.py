"""indexlab: backtesting crypto indices.

>>> import indexlab
>>> market = indexlab.demo_market()
>>> strategy = indexlab.Strategy.from_toml("strategies/top100-mcap-monthly.toml")
>>> result = indexlab.run(strategy, market)
>>> result.metrics()

Beyond backtests: ``indexlab.signals`` (signal flips, price cards),
``indexlab.scenario`` (price bands at total-market tiers), ``indexlab.report``
(tearsheets, marketing figures), ``indexlab.export``, and
``indexlab.sweep(path_or_spec, market)`` (grids of strategies, one row each).
"""

from indexlab import metrics, signals, sweep
from indexlab.engine import run
from indexlab.errors import DataError, IndexlabError, SpecError, UniverseError
from indexlab.market import Market
from indexlab.result import Result
from indexlab.scenarios import Scenario, scenario
from indexlab.sources import demo_market, load_market
from indexlab.spec import Costs, Rebalance, Strategy, Universe, Weighting
from indexlab.version import __version__

__all__ = [
    "Costs",
    "DataError",
    "IndexlabError",
    "Market",
    "Rebalance",
    "Result",
    "Scenario",
    "SpecError",
    "Strategy",
    "Universe",
    "UniverseError",
    "Weighting",
    "__version__",
    "demo_market",
    "load_market",
    "metrics",
    "run",
    "scenario",
    "signals",
    "sweep",
]
