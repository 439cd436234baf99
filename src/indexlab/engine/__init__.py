"""The simulation engine: numba kernels on arrays, and a pandas wrapper around them."""

from indexlab.engine.simulate import run

__all__ = ["run"]
