"""The simulation engine: numba kernels on arrays (kernels, policies), the thin pandas
layer around them (arrays, portfolio), the one planning path (configure, plan) and
``run``."""

from indexlab.engine.configure import Configuration, configure
from indexlab.engine.run import run

__all__ = ["Configuration", "configure", "run"]
