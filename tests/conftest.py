"""Shared fixtures: where the real datasets and the reference results live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run, so CI cannot turn red on a new
# random draw that a local run never saw; INDEXLAB_HYPOTHESIS=explore draws fresh ones
# (run it before adding a property, and now and then to look for new failures).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("INDEXLAB_HYPOTHESIS", "ci"))

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """The demo market's cache (indexlab.sources.demo_cache) of every test, and of every
    command a test starts, in a folder of this session, never the user's ~/.cache."""
    previous = os.environ.get("INDEXLAB_CACHE_DIR")
    os.environ["INDEXLAB_CACHE_DIR"] = str(tmp_path_factory.mktemp("indexlab-cache"))
    yield
    if previous is None:
        os.environ.pop("INDEXLAB_CACHE_DIR", None)
    else:
        os.environ["INDEXLAB_CACHE_DIR"] = previous


@pytest.fixture(scope="session", autouse=True)
def no_server():
    """Commands a test starts run in their own process, never in a warm server the user
    may have running (indexlab.cli.server); tests/test_cli_server.py starts its own."""
    previous = os.environ.get("INDEXLAB_SERVER")
    os.environ["INDEXLAB_SERVER"] = "0"
    yield
    if previous is None:
        os.environ.pop("INDEXLAB_SERVER", None)
    else:
        os.environ["INDEXLAB_SERVER"] = previous


def shared_data_dir() -> Path | None:
    """``$INDEXLAB_SHARED_DATA`` (set by .ci/run), or None when unset."""
    value = os.environ.get("INDEXLAB_SHARED_DATA")
    return Path(value) if value else None


def reference_dir() -> Path | None:
    """``../shared/checks/reference``: beside the shared data, or beside the project."""
    candidates = []
    data = shared_data_dir()
    if data is not None:
        candidates.append(data.parent / "checks" / "reference")
    candidates.append(ROOT.parent / "shared" / "checks" / "reference")
    return next((c for c in candidates if (c / "market.parquet").is_file()), None)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("INDEXLAB_SHARED_DATA is unset: the real datasets of ../shared/data are needed")
    if not path.is_dir():
        pytest.fail(f"INDEXLAB_SHARED_DATA={path} is not a folder")
    return path


@pytest.fixture(scope="session")
def reference_root() -> Path:
    path = reference_dir()
    if path is None:
        pytest.skip("../shared/checks/reference (the reference backtests) is not on this machine")
    return path


@pytest.fixture(scope="session")
def real_market_file(shared_data: Path, tmp_path_factory) -> Path:
    """The CoinGecko collection of ../shared/data imported once per test session."""
    from indexlab.sources.coingecko import import_coingecko, write_long_table

    frame, summary = import_coingecko(shared_data / "coingecko-2025" / "coins")
    return write_long_table(frame, tmp_path_factory.mktemp("real") / "market.parquet", summary)


@pytest.fixture(scope="session")
def real_market(real_market_file: Path, shared_data: Path):
    """That collection as a Market, with the total market cap beside it."""
    import indexlab

    total = shared_data / "total-market-cap" / "total_market_cap.csv"
    return indexlab.load_market(real_market_file, total_market=total)
