"""Parameter sweeps: many configurations of a strategy through the batched engine.

    >>> table = indexlab.sweep("sweeps/top-n-study.toml", market)  # one row per configuration
    >>> spec = indexlab.sweep.read_sweep("sweeps/top-n-study.toml")
    >>> table = indexlab.sweep.sweep(spec, market, out="runs/top-n", memory="1GB")

The module itself is callable: ``indexlab.sweep(spec_or_path, market, **options)`` is
:func:`run_sweep`, that is :func:`indexlab.sweep.runner.sweep` with a sweep file's path
accepted for the spec and the demo market as the default market.

See :mod:`indexlab.sweep.spec` for the sweep file and :mod:`indexlab.sweep.runner`
for chunking, resuming and executors.
"""

import sys
import types
from pathlib import Path
from typing import Any

import pandas as pd

from indexlab.sweep.batch import run_configs
from indexlab.sweep.runner import best, heatmap_table, parse_memory, read_parts, sweep
from indexlab.sweep.spec import Config, EntryStudy, SweepSpec, config_id, read_sweep

__all__ = [
    "Config",
    "EntryStudy",
    "SweepSpec",
    "best",
    "config_id",
    "heatmap_table",
    "parse_memory",
    "read_parts",
    "read_sweep",
    "run_configs",
    "run_sweep",
    "sweep",
]


class _CallableModule(types.ModuleType):
    """``indexlab.sweep`` is both this package and the function that runs a sweep.

    One name serves both, so the module object gets a ``__call__`` through its class,
    the customisation Python documents for modules; docs/architecture.md says why a
    root-level function or a proxy would be worse. It adds no other behaviour."""

    def __call__(self, spec: SweepSpec | str | Path, market: Any = None, **options: Any):
        return run_sweep(spec, market, **options)


def run_sweep(spec: SweepSpec | str | Path, market: Any = None, **options: Any) -> pd.DataFrame:
    """Run a sweep (a :class:`SweepSpec` or the path of a sweep file) on ``market`` (the
    demo market if None); ``options`` are those of :func:`indexlab.sweep.runner.sweep`
    (``out``, ``memory``, ``executor``, ``progress``, ...). One row per configuration."""
    if not isinstance(spec, SweepSpec):
        spec = read_sweep(spec)
    if market is None:
        from indexlab.sources import demo_market

        market = demo_market()
    return sweep(spec, market, **options)


sys.modules[__name__].__class__ = _CallableModule
