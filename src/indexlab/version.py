"""The version of indexlab, read from the installed package's metadata.

One source for the number: ``version`` in ``pyproject.toml``, which the installer copies
into the metadata. Modules that print or record it (the CLI's ``--version``, manifests,
report footers, the CoinGecko client's User-Agent) import :data:`__version__` from here,
never from the package root, so that nothing low in the layers imports the top.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("indexlab")
except PackageNotFoundError:  # a source tree on sys.path that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
