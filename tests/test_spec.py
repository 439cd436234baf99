"""Strategy files: every shipped file loads; bad files name the file and the key."""

from __future__ import annotations

import pickle
from pathlib import Path

import pandas as pd
import pytest

import indexlab
from indexlab import SpecError
from indexlab.spec import defaults

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("path", sorted((ROOT / "strategies").glob("*.toml")), ids=lambda p: p.name)
def test_shipped_strategies_load(path):
    s = indexlab.Strategy.from_toml(path)
    assert s.name == path.stem
    assert s.benchmarks == ("BTC", "TRX")
    # The shipped designs use the default benchmarks: skipped, with a note, on data
    # without them, so every design runs on any market.
    assert s.benchmarks_are_default


def test_default_strategy_is_the_top_100_monthly_index():
    s = indexlab.Strategy.from_toml(ROOT / "strategies" / "top100-mcap-monthly.toml")
    assert (s.universe.top_n, s.weighting.scheme, s.rebalance.frequency) == (
        100,
        "market_cap",
        "monthly",
    )
    assert "stablecoin" in s.universe.exclude


def test_round_trip_through_to_dict():
    s = indexlab.Strategy.from_toml(ROOT / "strategies" / "top10-capped-monthly.toml")
    again = indexlab.Strategy.from_dict(s.to_dict())
    assert again == s


def test_replace_with_dotted_names():
    s = indexlab.Strategy()
    t = s.replace(**{"universe.top_n": 20, "costs.fee_bps": 10.0, "start": "2020-01-01"})
    assert (
        t.universe.top_n == 20 and t.costs.fee_bps == 10.0 and t.start == pd.Timestamp("2020-01-01")
    )
    with pytest.raises(SpecError, match="universe.top_n: must be an integer >= 1"):
        s.replace(**{"universe.top_n": 0})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'name = "x"\n[universe]\ntopn = 5\n',
            r"bad.toml: universe.topn: unknown key in \[universe\] .*did you mean 'top_n'\?",
        ),
        ('name = "x"\nfee_bps = 5\n', r"bad.toml: fee_bps: unknown key at the top level"),
        (
            '[universe]\ntop_n = "ten"\n',
            r"bad.toml: universe.top_n: expected an integer, got 'ten'",
        ),
        ("[universe]\ntop_n = 0\n", r"bad.toml: universe.top_n: must be an integer >= 1, got 0"),
        (
            '[weighting]\nscheme = "cap"\n',
            r"bad.toml: weighting.scheme: 'cap' is not one of 'market_cap', 'sqrt_market_cap', 'power', 'equal', 'file'",
        ),
        (
            "[weighting]\ncap = 1.5\n",
            r"bad.toml: weighting.cap: must be a number in \(0, 1\], got 1.5",
        ),
        (
            '[rebalance]\nfrequency = "yearly"\n',
            r"bad.toml: rebalance.frequency: 'yearly' is not one of",
        ),
        ('[costs]\nfee_bps = "ten"\n', r"bad.toml: costs.fee_bps: expected a number, got 'ten'"),
        ("[costs]\nfee_bps = -1\n", r"bad.toml: costs.fee_bps: must be in \[0, 5000\)"),
        ("lag_days = 1.5\n", r"bad.toml: lag_days: expected an integer, got 1.5"),
        ('start = "2020-13-01"\n', r"bad.toml: start: expected a date YYYY-MM-DD"),
        (
            "start = 2021-01-01\nend = 2020-01-01\n",
            r"bad.toml: end: 2020-01-01 is before start 2021-01-01",
        ),
        ("benchmarks = [1, 2]\n", r"bad.toml: benchmarks\[0\]: expected a string, got 1"),
        ("universe = 5\n", r"bad.toml: universe: must be a table"),
        ('name = "x\n', r"bad.toml: not valid TOML"),
        ('name = "a/b"\n', r"bad.toml: name: 'a/b' cannot be used as a folder name"),
    ],
)
def test_bad_strategy_files(tmp_path, text, message):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(SpecError, match=message):
        indexlab.Strategy.from_toml(path)


def test_missing_strategy_file(tmp_path):
    with pytest.raises(SpecError, match="no such strategy file"):
        indexlab.Strategy.from_toml(tmp_path / "nope.toml")


def test_dates_as_toml_dates_or_strings(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('start = 2020-01-01\nend = "2021-06-30"\n')
    s = indexlab.Strategy.from_toml(path)
    assert s.start == pd.Timestamp("2020-01-01") and s.end == pd.Timestamp("2021-06-30")


# ---------------------------------------------------------------- one set of defaults
def test_python_and_files_share_the_defaults(tmp_path):
    """The README's example: top 20 in code equals top 20 in a file, and both exclude
    stablecoins, wrapped and staked tokens and pay 10 + 5 bps."""
    in_code = indexlab.Strategy(name="top20", universe=indexlab.Universe(top_n=20))
    path = tmp_path / "top20.toml"
    path.write_text("[universe]\ntop_n = 20\n")
    in_file = indexlab.Strategy.from_toml(path)
    assert in_code == in_file
    for s in (in_code, in_file, indexlab.Strategy()):
        assert s.universe.exclude == ("stablecoin", "wrapped", "staked")
        assert (s.costs.fee_bps, s.costs.slippage_bps) == (10.0, 5.0)
        assert s.benchmarks == ("BTC", "TRX") and s.benchmarks_are_default
        assert (s.lag_days, s.initial_capital, s.universe.top_n) == (1, 1.0, s.universe.top_n)
    assert in_file.universe.top_n == 20 and indexlab.Strategy().universe.top_n == defaults.TOP_N


def test_shipped_default_strategy_only_restates_the_defaults():
    s = indexlab.Strategy.from_toml(ROOT / "strategies" / "top100-mcap-monthly.toml")
    plain = indexlab.Strategy(
        name=s.name, title=s.title, description=s.description, initial_capital=10000.0
    )
    assert s == plain  # apart from naming its benchmarks


def test_the_readme_example_holds_no_stablecoin_and_pays_costs():
    market = indexlab.demo_market()
    stable = {"tether", "usd-coin", "dai", "binance-usd", "wrapped-bitcoin"}
    assert stable & set(market.asset_ids)  # the demo market has some
    s = indexlab.Strategy(name="top20", universe=indexlab.Universe(top_n=20), benchmarks=())
    result = indexlab.run(s, market)
    assert not stable & set(result.weights.columns)
    assert (result.trades["cost"] > 0).all()


def test_one_name_is_one_asset(tmp_path):
    assert indexlab.Strategy(benchmarks="BTC").benchmarks == ("BTC",)
    assert indexlab.Universe(exclude="memecoin").exclude == ("memecoin",)
    path = tmp_path / "s.toml"
    path.write_text('benchmarks = "BTC"\n[universe]\nexclude = "memecoin"\n')
    s = indexlab.Strategy.from_toml(path)
    assert s.benchmarks == ("BTC",) and s.universe.exclude == ("memecoin",)


def test_default_benchmarks_are_marked_as_defaults_through_every_copy():
    s = indexlab.Strategy()
    assert s.benchmarks_are_default
    assert s.replace(name="x", **{"universe.top_n": 5}).benchmarks_are_default
    assert pickle.loads(pickle.dumps(s)).benchmarks_are_default  # sweeps on Dask workers
    assert "benchmarks" not in s.to_dict()  # read back as the defaults
    assert indexlab.Strategy.from_dict(s.to_dict()).benchmarks_are_default
    named = s.replace(benchmarks=("BTC", "TRX"))
    assert named == s and not named.benchmarks_are_default
    assert named.to_dict()["benchmarks"] == ["BTC", "TRX"]
    assert not indexlab.Strategy.from_dict(named.to_dict()).benchmarks_are_default
    assert not indexlab.Strategy(benchmarks=()).benchmarks_are_default


def test_replace_takes_file_keys_and_names_unknown_ones():
    s = indexlab.Strategy()
    assert s.replace(**{"ranking.measure": "market_cap_ema"}).ranking.kind == "market_cap_ema"
    with pytest.raises(SpecError, match=r"universe.topn: unknown key in \[universe\].*'top_n'"):
        s.replace(**{"universe.topn": 5})
