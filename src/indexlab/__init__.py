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

import importlib

from indexlab.errors import DataError, IndexlabError, IndexlabWarning, SpecError, UniverseError

# The rest is imported when first used (PEP 562), so that ``indexlab --help`` and the
# CLI's argument errors do not wait for pandas, numba and matplotlib, and a run without
# its report never loads matplotlib (a Result finds its notebook display,
# indexlab.report.notebook, when first shown).
_PUBLIC = {
    "Comparison": "indexlab.report.compare",
    "compare": "indexlab.report.compare",
    "Costs": "indexlab.spec",
    "Rebalance": "indexlab.spec",
    "Strategy": "indexlab.spec",
    "Universe": "indexlab.spec",
    "Weighting": "indexlab.spec",
    "Market": "indexlab.market",
    "Result": "indexlab.result",
    "Scenario": "indexlab.scenarios",
    "scenario": "indexlab.scenarios",
    "demo_market": "indexlab.sources",
    "load_market": "indexlab.sources",
    "run": "indexlab.engine",
    "SurvivorshipBand": "indexlab.engine.band",
    "survivorship_band": "indexlab.engine.band",
}
_SUBMODULES = ("metrics", "signals", "sweep")


def __getattr__(name: str):
    if name == "__version__":  # read from the installed metadata: ~50 ms
        from indexlab.version import __version__

        return __version__
    if name in _SUBMODULES:
        return importlib.import_module(f"indexlab.{name}")
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'indexlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


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
    "SurvivorshipBand",
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
    "survivorship_band",
    "sweep",
]
