"""indexlab: backtesting crypto indices.

>>> import indexlab
>>> market = indexlab.demo_market()
>>> strategy = indexlab.Strategy.from_toml("strategies/top100-mcap-monthly.toml")
>>> result = indexlab.run(strategy, market)
>>> result.metrics()          # or just ``result`` in a notebook; result.plot("growth")
>>> indexlab.compare([result, other]).stats()

Beyond backtests: ``indexlab.signals`` (signal flips, price cards),
``indexlab.scenario`` (price bands at total-market tiers), ``indexlab.report``
(tearsheets, marketing figures), ``indexlab.export``, and
``indexlab.sweep(path_or_spec, market)`` (grids of strategies, one row each).
"""

from indexlab import metrics, signals, sweep
from indexlab.engine import run
from indexlab.errors import DataError, IndexlabError, IndexlabWarning, SpecError, UniverseError
from indexlab.market import Market
from indexlab.report import notebook as _notebook  # noqa: F401  (how a Result shows itself)
from indexlab.report.compare import Comparison, compare
from indexlab.result import Result
from indexlab.scenarios import Scenario, scenario
from indexlab.sources import demo_market, load_market
from indexlab.spec import Costs, Rebalance, Strategy, Universe, Weighting
from indexlab.version import __version__

__all__ = [
    "Comparison",
    "Costs",
    "DataError",
    "IndexlabError",
    "IndexlabWarning",
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
    "compare",
    "demo_market",
    "load_market",
    "metrics",
    "run",
    "scenario",
    "signals",
    "sweep",
]
