"""Every strategy in strategies/ runs end to end on the demo market and on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab import cli

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "strategies").glob("*.toml"))
LIBRARY = {
    "cci30-like",
    "bitwise10-like",
    "mvda100-like",
    "cd20-like",
    "bgci-like",
    "tm-global100-like",
    "top100-equal-monthly",
}


def test_the_library_is_complete_and_documented():
    names = {p.stem for p in FILES}
    assert LIBRARY <= names
    for path in FILES:
        text = path.read_text()
        assert text.startswith("#"), f"{path.name} starts without a comment"
        if path.stem.endswith("-like"):
            assert "Cannot reproduce from our data" in text, path.name


@pytest.fixture(scope="module")
def demo():
    return indexlab.demo_market()


def check(result: indexlab.Result, strategy: indexlab.Strategy) -> None:
    equity = result.equity[strategy.name]
    assert np.isfinite(equity).all() and (equity > 0).all()
    weights = result.weights
    assert (weights.to_numpy() >= -1e-15).all()
    assert (weights.sum(axis=1) <= 1 + 1e-9).all()
    u, w = strategy.universe, strategy.weighting
    held = (weights > 0).sum(axis=1)
    if u.top_n is not None:
        assert held.max() <= u.top_n + len(w.fixed)
    bound = (
        max(x for x in (w.cap, w.cap_largest) if x is not None)
        if (w.cap or w.cap_largest)
        else None
    )
    if bound is not None:
        # Where the bounds could hold (enough members), no weight exceeds them.
        feasible = held * (w.cap or 1) >= 1
        assert (weights[feasible].max(axis=1) <= bound + 1e-9).all()
    if w.floor is not None:
        positive = weights.where(weights > 0)
        assert (positive.min(axis=1).dropna() >= w.floor - 1e-9).all()


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_runs_on_the_demo_market(path, demo):
    strategy = indexlab.Strategy.from_toml(path)
    check(indexlab.run(strategy, demo), strategy)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_runs_on_real_data_since_2018(path, real_market):
    strategy = indexlab.Strategy.from_toml(path).replace(start="2018-01-01", end="2025-07-07")
    result = indexlab.run(strategy, real_market)
    check(result, strategy)
    assert result.dates[0] == pd.Timestamp("2018-01-01")


def test_strategies_command_lists_the_library(capsys):
    assert cli.main(["strategies", str(ROOT / "strategies")]) == 0
    out = capsys.readouterr().out
    for path in FILES:
        assert path.stem in out
    assert "CCi30-like" in out
