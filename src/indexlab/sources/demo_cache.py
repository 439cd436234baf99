"""The demo market's panels kept in a file, so that ``indexlab run`` without ``--data``
does not generate them each time (issue 17, item 6: a third of a second or more of
every such run).

:func:`cached_demo_market` returns what :func:`~indexlab.sources.demo.demo_market`
returns for the same seed, the panels read from a file when one was written before:

* where: ``$INDEXLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/indexlab``, else
  ``~/.cache/indexlab``; ``INDEXLAB_CACHE_DIR=""`` turns the cache off;
* the file's name carries a key: the seed, indexlab's, numpy's and pandas's versions
  and the SHA-256 of the generator's source files, so a changed generator or library
  never reads panels made by another (the files of other keys are removed);
* written to a temporary file in the same folder and renamed into place, so a file
  under the final name is always whole; read without pickles (``allow_pickle=False``)
  and checked (arrays, shapes, types); a file that fails is made again;
* nothing here is required: a folder that cannot be made or written means the market
  is generated, as without a cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from indexlab.market import Market
from indexlab.sources import demo, demo_assets
from indexlab.version import __version__

PANELS = ("close", "market_cap", "volume")
_PREFIX = "demo-market-"


def cache_folder() -> Path | None:
    """Where indexlab keeps files it can make again (see the module); None: nowhere."""
    chosen = os.environ.get("INDEXLAB_CACHE_DIR")
    if chosen is not None:
        return Path(chosen).expanduser() if chosen.strip() else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(base).expanduser() / "indexlab"


def cached_demo_market(seed: int = 7) -> Market:
    """``demo_market(seed)``, its panels read from the cache when they are there, and
    written to it when not."""
    folder = cache_folder()
    if folder is None:
        return demo.demo_market(seed)
    path = folder / f"{_PREFIX}{_key(seed)}.npz"
    with contextlib.suppress(Exception):  # missing, partial, not ours (BadZipFile, ...)
        return _read(path)
    market = demo.demo_market(seed)
    with contextlib.suppress(OSError, ValueError):
        _write(path, market)
    return market


def _key(seed: int) -> str:
    digest = hashlib.sha256(f"{seed}|{__version__}|{np.__version__}|{pd.__version__}".encode())
    for module in (demo, demo_assets):
        digest.update(Path(module.__file__).read_bytes())
    return f"seed{seed}-{digest.hexdigest()[:24]}"


def _read(path: Path) -> Market:
    with np.load(path, allow_pickle=False) as stored:
        arrays = {name: stored[name] for name in stored.files}
    dates = pd.date_range(demo_assets.START, demo.END, freq="D", name="date")
    assets = pd.Index(arrays["asset"].astype(str), name="asset")
    shape = (len(assets), len(dates))
    for name in PANELS:
        if arrays[name].shape != shape or arrays[name].dtype != np.float64:
            raise ValueError(f"{path}: {name} is not a {shape} float64 panel")
    names = pd.DataFrame(
        {"symbol": arrays["symbol"].astype(str), "name": arrays["name"].astype(str)}, assets
    )
    tags: dict[str, set[str]] = {}
    for asset, tag in zip(arrays["tag_asset"].astype(str), arrays["tag"].astype(str), strict=True):
        tags.setdefault(asset, set()).add(tag)
    # As demo_market hands them over: asset x day arrays, transposed without a copy.
    panels = [
        pd.DataFrame(arrays[name].T, index=dates, columns=assets, copy=False) for name in PANELS
    ]
    return Market.from_panels(
        *panels,
        assets=names,
        tags=tags,
        source=str(arrays["source"]),
        synthetic=True,
    )


def _write(path: Path, market: Market) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    tagged = sorted((asset, tag) for asset, kinds in market.tags.items() for tag in kinds)
    arrays = {name: np.ascontiguousarray(getattr(market, name).to_numpy().T) for name in PANELS}
    arrays |= {
        "asset": market.close.columns.to_numpy(dtype=str),
        "symbol": market.assets["symbol"].reindex(market.close.columns).to_numpy(dtype=str),
        "name": market.assets["name"].reindex(market.close.columns).to_numpy(dtype=str),
        "tag_asset": np.array([asset for asset, _ in tagged], dtype=str),
        "tag": np.array([tag for _, tag in tagged], dtype=str),
        "source": np.array(market.source),
    }
    handle, temporary = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    for other in path.parent.glob(f"{_PREFIX}*.npz"):
        if other != path:
            with contextlib.suppress(OSError):
                other.unlink()
