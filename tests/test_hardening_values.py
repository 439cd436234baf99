"""Absurd values (issue 13, items 7-9): out-of-range prints and dates are errors that
name the file, row and column; bad prints (x1000 and back) are notes that name the
asset and dates, which ``data validate`` and ``run`` report alike; non-finite numbers
in a strategy are errors and manifests are strict JSON."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab import DataError, SpecError, cli
from indexlab.sources import market_from_long


def table(days: int = 40, **changes: float) -> str:
    """A long table of three assets over ``days`` days from 2021-01-01; ``changes``
    maps ``asset_i`` (i = day number) to a close replacing that day's."""
    rows = ["date,asset,close,market_cap,volume"]
    for i in range(days):
        date = (pd.Timestamp("2021-01-01") + pd.Timedelta(days=i)).date()
        for asset, price, supply in (
            ("bitcoin", 30000.0, 18.6e6),
            ("coin", 2.0, 1e9),
            ("tron", 0.03, 7e10),
        ):
            price = float(price * (1 + 0.01 * np.sin(i + len(asset))))
            price = changes.get(f"{asset}_{i}", price)
            rows.append(f"{date},{asset},{price!r},{price * supply!r},1e6")
    return "\n".join(rows) + "\n"


def write(tmp_path: Path, text: str, name: str = "m.csv") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def strategy(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "s.toml"
    path.write_text(f'name = "s"\nbenchmarks = ["bitcoin"]\n{extra}\n[universe]\ntop_n = 2\n')
    return path


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_line_error(code: int, err: str, fault: str) -> None:
    assert code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert fault in lines[0], lines[0]
    assert "internal error" not in err and "Traceback" not in err


# ------------------------------------------------------------ item 7: out of range
@pytest.mark.parametrize(
    ("line", "column", "value", "fault"),
    [
        (
            "2021-01-02,coin,1e300,2e9,1e6",
            "close",
            "1e300",
            "line 3, column 'close': 1e+300 is outside the valid range (0, 1e+12]",
        ),
        (
            "2021-01-02,coin,2.0,1e308,1e6",
            "market_cap",
            "1e308",
            "line 3, column 'market_cap': 1e+308 is outside the valid range [0, 1e+15]",
        ),
        (
            "2021-01-02,coin,2.0,inf,1e6",
            "market_cap",
            "inf",
            "line 3, column 'market_cap': inf is outside the valid range [0, 1e+15]",
        ),
        (
            "2021-01-02,coin,2.0,2e9,inf",
            "volume",
            "inf",
            "line 3, column 'volume': inf is outside the valid range [0, 1e+15]",
        ),
    ],
)
def test_out_of_range_values_are_errors_naming_file_row_column(
    tmp_path, capsys, line, column, value, fault
):
    data = write(
        tmp_path, "date,asset,close,market_cap,volume\n2021-01-01,coin,2.0,2e9,1e6\n" + line + "\n"
    )
    with pytest.raises(
        DataError,
        match=f"m.csv, {fault}".replace("(", r"\(")
        .replace(")", r"\)")
        .replace("[", r"\[")
        .replace("]", r"\]")
        .replace("+", r"\+"),
    ):
        indexlab.load_market(data)
    code, _, err = run_cli(
        ["run", str(strategy(tmp_path)), "--data", str(data), "--out", str(tmp_path / "o")], capsys
    )
    one_line_error(code, err, fault)
    assert not (tmp_path / "o").exists()


def test_one_close_of_1e300_in_a_run_is_an_error_not_a_300_digit_return(tmp_path, capsys):
    data = write(tmp_path, table(coin_20=1e300))
    code, _, err = run_cli(
        ["run", str(strategy(tmp_path)), "--data", str(data), "--out", str(tmp_path / "o")], capsys
    )
    one_line_error(code, err, "column 'close': 1e+300 is outside the valid range (0, 1e+12]")


def test_market_caps_of_1e308_are_an_error_in_python_too(tmp_path):
    text = table().replace(",2.0", ",2.0", 1)
    frame = pd.read_csv(write(tmp_path, text))
    frame.loc[frame["asset"] == "coin", "market_cap"] = 1e308
    with pytest.raises(DataError, match=r"column 'market_cap': 1e\+308 is outside"):
        market_from_long(frame)


def test_market_caps_of_1e308_in_panels_are_an_error():
    # Market.from_panels reads non-finite values as missing (its contract), but a
    # finite 1e308 is no market cap: it used to make the index 100 % cash silently.
    dates = pd.date_range("2021-01-01", periods=3, name="date")
    close = pd.DataFrame({"a": [1.0, 1.1, 1.2], "b": [2.0, 2.1, 2.2]}, index=dates)
    caps = close * 1e9
    caps.iloc[1, 1] = 1e308
    with pytest.raises(DataError, match=r"market_cap of 'b' on 2021-01-02: 1e\+308 is outside"):
        indexlab.Market.from_panels(close, caps)
    caps.iloc[1, 1] = np.inf
    assert np.isnan(indexlab.Market.from_panels(close, caps).market_cap.iloc[1, 1])


def test_tiny_but_real_prices_load(tmp_path):
    # 1e-8 meme coins and sub-1e-12 prints are prices, not errors.
    m = indexlab.load_market(
        write(tmp_path, table(days=5, **{f"tron_{i}": 3e-13 * (1 + i / 10) for i in range(5)}))
    )
    assert m.close["tron"].min() < 1e-12


# ------------------------------------------------------------- item 7: bad prints
def test_a_x1000_print_and_back_is_a_note_naming_asset_and_dates(tmp_path):
    m = indexlab.load_market(write(tmp_path, table(coin_10=2500.0, coin_11=2600.0)))
    notes = [n for n in m.notes if "bad print" in n]
    assert len(notes) == 1, m.notes
    assert "coin" in notes[0] and "2021-01-11 .. 2021-01-12" in notes[0]
    assert "close" in notes[0]
    # Kept as it is by default ("note").
    assert m.close.loc["2021-01-11", "coin"] == 2500.0


def test_bad_prints_drop_and_error(tmp_path):
    path = write(tmp_path, table(coin_10=2500.0, coin_11=2600.0))
    dropped = indexlab.load_market(path, bad_prints="drop")
    assert np.isnan(dropped.close.loc["2021-01-11", "coin"])
    assert np.isnan(dropped.close.loc["2021-01-12", "coin"])
    assert np.isnan(dropped.market_cap.loc["2021-01-12", "coin"])
    assert dropped.close.loc["2021-01-13", "coin"] > 1
    assert any("bad print" in n and "dropped" in n for n in dropped.notes)
    with pytest.raises(DataError, match=r"bad print.*'coin'.*2021-01-11"):
        indexlab.load_market(path, bad_prints="error")
    with pytest.raises(DataError, match="bad_prints"):
        indexlab.load_market(path, bad_prints="clip-maybe")


def test_a_lasting_crash_is_not_a_bad_print(tmp_path):
    # A real collapse (LUNA: x1e-6 in days, never back) is history, not a bad print.
    crash = {f"coin_{i}": 2.0 * 1e-6 for i in range(20, 40)}
    m = indexlab.load_market(write(tmp_path, table(**crash)))
    assert not [n for n in m.notes if "bad print" in n]
    # Nor is a coin whose last days print x1000 (nothing comes back to judge by).
    end = {f"coin_{i}": 5000.0 for i in range(35, 40)}
    m = indexlab.load_market(write(tmp_path, table(**end)))
    assert not [n for n in m.notes if "bad print" in n]


def test_validate_and_run_report_the_same_bad_print(tmp_path, capsys):
    data = write(tmp_path, table(coin_10=2500.0, coin_11=2600.0))
    code, out, _ = run_cli(["data", "validate", str(data)], capsys)
    assert code == 0
    from_validate = [line.strip() for line in out.splitlines() if "bad print" in line]
    code, out, err = run_cli(
        ["run", str(strategy(tmp_path)), "--data", str(data), "--out", str(tmp_path / "o")], capsys
    )
    assert code == 0, err
    from_run = [
        line.strip().removeprefix("note: ") for line in out.splitlines() if "bad print" in line
    ]
    assert from_validate and from_validate == from_run
    notes = json.loads((tmp_path / "o" / "manifest.json").read_text())["notes"]
    # What is handed on (the manifest) names the file without its folder.
    assert [n for n in notes if "bad print" in n] == [
        line.replace(f"{data.parent}/", "") for line in from_run
    ]
    code, _, err = run_cli(["data", "validate", str(data), "--bad-prints", "error"], capsys)
    one_line_error(code, err, "bad print")


def test_data_import_can_drop_bad_prints(tmp_path, capsys):
    coins = tmp_path / "coins"
    coins.mkdir()
    start = int(pd.Timestamp("2021-01-01", tz="UTC").timestamp() * 1000)
    lines = ["timestamp,price,volume,market_cap"]
    for i in range(30):
        price = 2500.0 if i in (10, 11) else 2.0 + 0.01 * i
        lines.append(f"{start + i * 86_400_000},{price},1e6,{price * 1e9}")
    (coins / "coin.csv").write_text("\n".join(lines) + "\n")
    out = tmp_path / "m.parquet"
    code, text, err = run_cli(
        ["data", "import", "coingecko", str(coins), "--out", str(out), "--bad-prints", "drop"],
        capsys,
    )
    assert code == 0, err
    assert "bad print" in text
    frame = pd.read_parquet(out)
    assert len(frame) == 28 and frame["close"].max() < 3
    m = indexlab.load_market(out)
    assert not [n for n in m.notes if "bad print" in n]


def test_market_cap_above_the_total_market_is_noted(tmp_path):
    m = indexlab.load_market(write(tmp_path, table()))
    total = pd.Series(2e12, index=m.dates)
    total.iloc[5] = 1e9  # below bitcoin's cap that day
    noted = m.with_total_market_cap(total, source="total.csv")
    notes = [n for n in noted.notes if "total market" in n and "above" in n]
    assert len(notes) == 1 and "bitcoin" in notes[0] and "2021-01-06" in notes[0], noted.notes


def test_bad_print_check_finds_one_print_in_a_panel_with_gaps():
    # Its speed (0.6 s on 3,650 x 2,000 here) is not a unit test's business.
    from indexlab.quality import bad_print_mask

    rng = np.random.default_rng(0)
    panel = np.exp(np.cumsum(rng.normal(0, 0.05, (1000, 300)), axis=0))
    panel[rng.random(panel.shape) < 0.05] = np.nan
    panel[100, 7] = 1e4 * panel[99, 7] if np.isfinite(panel[99, 7]) else 1e4
    mask = bad_print_mask(panel)
    assert mask.sum() == 1 and mask[100, 7]


def test_real_collection_still_loads_and_neon_exchange_is_flagged(real_market_file):
    m = indexlab.load_market(real_market_file)
    notes = [n for n in m.notes if "bad print" in n]
    assert any("neon-exchange" in n and "2021-08-09" in n for n in notes), notes
    dropped = indexlab.load_market(real_market_file, bad_prints="drop")
    assert dropped.close["neon-exchange"].min() > 1e-6


# ------------------------------------------------------------------ item 8: dates
@pytest.mark.parametrize("date", ["1900-01-01", "1700-01-01", "2009-01-02", "2999-01-01"])
def test_dates_outside_2009_01_03_to_today_are_errors_naming_the_row(tmp_path, capsys, date):
    text = table(days=5) + f"{date},coin,2.0,2e9,1e6\n"
    data = write(tmp_path, text)
    fault = f"m.csv, line 17, column 'date': {date} is outside"
    with pytest.raises(DataError, match=fault):
        indexlab.load_market(data)
    code, _, err = run_cli(
        ["run", str(strategy(tmp_path)), "--data", str(data), "--out", str(tmp_path / "o")], capsys
    )
    one_line_error(code, err, fault)
    assert "2009-01-03" in err


def test_dates_out_of_range_in_parquet(tmp_path):
    frame = pd.read_csv(write(tmp_path, table(days=3)))
    frame["date"] = pd.to_datetime(frame["date"])
    frame.loc[4, "date"] = pd.Timestamp("1900-01-01")
    frame.to_parquet(tmp_path / "m.parquet")
    with pytest.raises(DataError, match=r"m.parquet, row 5, column 'date': 1900-01-01 is outside"):
        indexlab.load_market(tmp_path / "m.parquet")


def test_genesis_day_and_today_are_fine(tmp_path):
    today = pd.Timestamp.now(tz="UTC").date()
    text = f"date,asset,close,market_cap\n2009-01-03,bitcoin,0.001,1\n{today},bitcoin,2,3\n"
    m = indexlab.load_market(write(tmp_path, text))
    assert m.start == pd.Timestamp("2009-01-03")


# -------------------------------------------------------- item 9: non-finite specs
@pytest.mark.parametrize(
    ("extra", "section", "key"),
    [
        ("initial_capital = inf", "", "initial_capital"),
        ("initial_capital = nan", "", "initial_capital"),
        ("min_market_cap = inf", "universe", "universe.min_market_cap"),
        ("min_volume = inf", "universe", "universe.min_volume"),
        ("replacement_ratio = inf", "universe", "universe.replacement_ratio"),
        ('scheme = "power"\npower = inf', "weighting", "weighting.power"),
        ('measure = "market_cap_ema"\nhalflife_days = inf', "ranking", "ranking.halflife_days"),
        ("fee_bps = nan", "costs", "costs.fee_bps"),
        ("drift_threshold = nan", "rebalance", "rebalance.drift_threshold"),
    ],
)
def test_non_finite_numbers_in_a_strategy_are_errors(tmp_path, capsys, extra, section, key):
    path = tmp_path / "s.toml"
    if section == "":
        body = f'name = "s"\n{extra}\n'
    elif section == "universe":
        body = f'name = "s"\n[universe]\ntop_n = 2\n{extra}\n'
    else:
        body = f'name = "s"\n[{section}]\n{extra}\n'
    path.write_text(body)
    with pytest.raises(SpecError, match=rf"{key}: must be a finite number"):
        indexlab.Strategy.from_toml(path)
    code, _, err = run_cli(["run", str(path), "--out", str(tmp_path / "o")], capsys)
    one_line_error(code, err, f"{key}: must be a finite number")
    assert not (tmp_path / "o").exists()


def test_non_finite_capital_in_python_is_an_error():
    with pytest.raises(SpecError, match="initial_capital: must be a finite number, got inf"):
        indexlab.Strategy(initial_capital=float("inf"))


def test_manifest_is_strict_json(tmp_path, capsys):
    data = write(tmp_path, table())
    code, _, err = run_cli(
        ["run", str(strategy(tmp_path)), "--data", str(data), "--out", str(tmp_path / "o")], capsys
    )
    assert code == 0, err

    def refuse(constant: str) -> None:
        raise AssertionError(f"manifest.json holds {constant}")

    json.loads((tmp_path / "o" / "manifest.json").read_text(), parse_constant=refuse)


@pytest.mark.parametrize("command", ["run", "sweep", "signals", "scenario"])
def test_every_command_that_reads_data_takes_bad_prints(tmp_path, capsys, command):
    data = write(tmp_path, table(coin_10=2500.0, coin_11=2600.0))
    sweep = write(
        tmp_path,
        f'name = "w"\nbase = "{strategy(tmp_path)}"\n[grid]\n"lag_days" = [0, 1]\n',
        "w.toml",
    )
    first = {
        "run": [str(strategy(tmp_path))],
        "sweep": [str(sweep)],
        "signals": ["coin"],
        "scenario": ["coin", "--tiers", "1T"],
    }[command]
    code, _, err = run_cli([command, *first, "--data", str(data), "--bad-prints", "error"], capsys)
    one_line_error(code, err, "bad print")


def test_run_can_drop_bad_prints(tmp_path, capsys):
    data = write(tmp_path, table(coin_10=2500.0, coin_11=2600.0))
    out = tmp_path / "o"
    args = ["run", str(strategy(tmp_path)), "--data", str(data), "--out", str(out)]
    code, stdout, err = run_cli([*args, "--bad-prints", "drop"], capsys)
    assert code == 0, err
    assert any("bad print" in line and "dropped" in line for line in stdout.splitlines())
