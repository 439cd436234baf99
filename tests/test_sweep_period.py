"""Sweeps that say what they ran (issue 14, item 12): --start/--end, the period in the
manifest, metrics printed as percentages, equivalent configurations marked; and saved
rows are resumed only by the same sweep on the same data and period."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from panels import panel_market, random_panel

import indexlab
from indexlab import cli
from indexlab.sweep import SweepSpec, sweep

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def market():
    close, caps = random_panel(7, 300, 8, start="2019-01-01")
    return panel_market(
        close.rename(columns={"A00": "bitcoin"}), caps.rename(columns={"A00": "bitcoin"})
    )


def _spec(**base) -> SweepSpec:
    strategy = indexlab.Strategy(
        name="b", universe=indexlab.Universe(top_n=3), benchmarks=(), **base
    )
    return SweepSpec(base=strategy, grid={"universe.top_n": (2, 3, 4)})


def test_rows_of_another_period_or_data_are_not_resumed(market, tmp_path):
    first = sweep(_spec(), market, out=tmp_path)
    # The same sweep file over another period: not the saved rows.
    with pytest.raises(indexlab.SpecError, match="saved rows.*another sweep.*--fresh"):
        sweep(_spec(start=pd.Timestamp("2019-05-01")), market, out=tmp_path)
    close, caps = random_panel(8, 300, 8, start="2019-01-01")
    with pytest.raises(indexlab.SpecError, match="saved rows.*another sweep"):
        sweep(_spec(), panel_market(close, caps), out=tmp_path)
    # The same sweep and data: resumed, nothing rerun.
    ran = []
    again = sweep(_spec(), market, out=tmp_path, on_chunk=lambda n, f: ran.append(n))
    assert ran == [] and again.equals(first)


def test_equivalent_configurations_are_marked(market):
    spec = SweepSpec(
        base=indexlab.Strategy(name="b", universe=indexlab.Universe(top_n=3), benchmarks=()),
        # Equal weights of 3 members are 1/3 each: a cap of 0.5 or 0.9 changes nothing.
        grid={"weighting.scheme": ("equal", "market_cap"), "weighting.cap": (None, 0.5, 0.9)},
    )
    table = sweep(spec, market)
    equal = table[table["weighting.scheme"] == "equal"]
    assert equal["same_as"].isna().sum() == 1
    leader = equal.loc[equal["same_as"].isna(), "config_id"].iloc[0]
    assert set(equal["same_as"].dropna()) == {leader}
    capped = table[(table["weighting.scheme"] == "market_cap")]
    # Market-cap weights under different caps differ (unless no cap binds): not marked.
    assert capped["same_as"].isna().sum() >= 2


def test_the_command_takes_a_period_and_says_it(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text(
        f'name = "p"\nbase = "{ROOT / "strategies" / "top100-mcap-monthly.toml"}"\n'
        '[grid]\n"universe.top_n" = [10, 30]\n'
    )
    out = tmp_path / "out"
    args = ["sweep", str(path), "--out", str(out), "--start", "2021-01-01", "--end", "2022-12-31"]
    assert cli.main(args) == 0
    printed = capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["period"] == {"start": "2021-01-01", "end": "2022-12-31"}
    table = pd.read_parquet(out / "sweep.parquet")
    single = indexlab.run(
        indexlab.Strategy.from_toml(ROOT / "strategies" / "top100-mcap-monthly.toml").replace(
            start="2021-01-01", end="2022-12-31", universe=indexlab.Universe(top_n=10)
        ),
        indexlab.demo_market(),
        warn=False,
    )
    row = table[table["universe.top_n"] == 10].iloc[0]
    assert row["cagr"] == pytest.approx(single.metrics().iloc[0]["cagr"], rel=1e-9)
    # Metrics as percentages in the printed table.
    assert f"{100 * row['cagr']:,.1f}%" in printed
    assert "2021-01-01 to 2022-12-31" in printed
    # Another period into the same folder is refused in one line.
    args[-3] = "2021-06-01"
    assert cli.main(args) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--fresh" in err
