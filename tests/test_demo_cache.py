"""The demo market's cached panels (issue 17, item 6) give the market the generator
gives, are made again when missing, damaged or made by another generator, and never
stop a run: no folder, an unwritable one, or the cache turned off all still work."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab.sources import demo, demo_cache

STRATEGY = Path(__file__).resolve().parents[1] / "strategies" / "top100-mcap-monthly.toml"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("INDEXLAB_CACHE_DIR", str(folder))
    return folder


@pytest.fixture(scope="module")
def fresh():
    return demo.demo_market()


def _assert_same_market(expected, actual) -> None:
    for field in dataclasses.fields(expected):
        want, got = getattr(expected, field.name), getattr(actual, field.name)
        if isinstance(want, pd.DataFrame):
            pd.testing.assert_frame_equal(got, want, check_exact=True)
            assert got.index.dtype == want.index.dtype and got.columns.equals(want.columns)
        else:
            assert got == want, field.name


def _no_generating(monkeypatch) -> None:
    def fail(seed=7):
        raise AssertionError("the demo market was generated, not read from the cache")

    monkeypatch.setattr(demo, "demo_market", fail)


def test_the_cached_market_is_the_generated_one_and_runs_the_same(cache, fresh, monkeypatch):
    written = demo_cache.cached_demo_market()
    (path,) = cache.glob("demo-market-seed7-*.npz")
    _no_generating(monkeypatch)
    read = demo_cache.cached_demo_market()
    _assert_same_market(fresh, written)
    _assert_same_market(fresh, read)
    strategy = indexlab.Strategy.from_toml(STRATEGY)
    expected = indexlab.run(strategy, fresh, warn=False).equity
    pd.testing.assert_frame_equal(
        indexlab.run(strategy, read, warn=False).equity, expected, check_exact=True
    )
    assert list(cache.iterdir()) == [path]  # no temporary file left


@pytest.mark.parametrize("damage", ["truncated", "garbage", "wrong shape"])
def test_a_damaged_file_is_made_again(cache, fresh, damage):
    demo_cache.cached_demo_market()
    (path,) = cache.glob("demo-market-*.npz")
    if damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "garbage":
        path.write_bytes(b"not a numpy file")
    else:
        with np.load(path) as stored:
            arrays = {name: stored[name] for name in stored.files}
        arrays["close"] = arrays["close"][:, :-1]
        np.savez(path, **arrays)
    _assert_same_market(fresh, demo_cache.cached_demo_market())
    with np.load(path) as stored:  # written again, whole
        assert stored["close"].shape == fresh.close.T.shape


def test_another_generator_or_seed_gets_its_own_file_and_the_old_one_goes(
    cache, fresh, monkeypatch
):
    demo_cache.cached_demo_market()
    (old,) = cache.glob("demo-market-*.npz")
    monkeypatch.setattr(demo_cache, "_key", lambda seed: f"seed{seed}-changed")
    _assert_same_market(fresh, demo_cache.cached_demo_market())
    assert [p.name for p in cache.iterdir()] == ["demo-market-seed7-changed.npz"]
    assert not old.exists()


def test_no_cache_folder_or_an_unusable_one_still_gives_the_market(tmp_path, fresh, monkeypatch):
    monkeypatch.setenv("INDEXLAB_CACHE_DIR", "")
    assert demo_cache.cache_folder() is None
    _assert_same_market(fresh, demo_cache.cached_demo_market())
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("INDEXLAB_CACHE_DIR", str(blocked / "cache"))
    _assert_same_market(fresh, demo_cache.cached_demo_market())


def test_the_default_folder_follows_xdg(tmp_path, monkeypatch):
    monkeypatch.delenv("INDEXLAB_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert demo_cache.cache_folder() == tmp_path / "indexlab"
