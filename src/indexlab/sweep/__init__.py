"""Parameter sweeps: many configurations of a strategy through the batched engine.

    >>> spec = indexlab.sweep.read_sweep("sweeps/top-n-study.toml")
    >>> table = indexlab.sweep.sweep(spec, market)      # one row per configuration

See :mod:`indexlab.sweep.spec` for the sweep file and :mod:`indexlab.sweep.runner`
for chunking, resuming and executors.
"""

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
    "sweep",
]
