"""``indexlab signals``: the files it writes agree with the Python API; errors are one
line naming the fault."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab import cli
from indexlab.signals import analyze_flips, parse_rule, price_card

FILES = {
    "card.csv",
    "flips.csv",
    "segment_stats.csv",
    "metrics.csv",
    "equity.csv",
    "summary.txt",
    "manifest.json",
    "figures",
}


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("signals") / "trx"
    code = cli.main(["signals", "TRX", "--rule", "sma-cross:20,100", "--out", str(out), "--quiet"])
    assert code == 0
    return out


def test_demo_run_writes_files_that_agree_with_the_api(demo_run):
    out = demo_run
    assert FILES <= {p.name for p in out.iterdir()}
    png = (out / "figures" / "signals.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 50_000
    market = indexlab.demo_market()
    signal = parse_rule("sma-cross:20,100")(market.close["tron"])
    api = analyze_flips(market.close["tron"], signal, lag_days=1, fee_bps=10, slippage_bps=5)
    flips = pd.read_csv(out / "flips.csv", parse_dates=["signal_date", "date", "next_date"])
    np.testing.assert_allclose(flips["return"], api.flips["return"], rtol=1e-9)
    assert list(flips["date"]) == list(api.flips["date"])
    equity = pd.read_csv(out / "equity.csv", index_col="date", parse_dates=True)
    np.testing.assert_allclose(equity["signal"], api.equity["signal"], rtol=1e-10)
    assert set(equity.columns) == {"signal", "buy_and_hold", "price", "exposure", "signal_value"}
    card = pd.read_csv(out / "card.csv", index_col="field")["value"]
    expected = price_card(market, "tron", signal=parse_rule("sma-cross:20,100").signal(market))
    assert float(card["return_since_last_flip"]) == pytest.approx(expected.return_since_last_flip)
    assert card["date"] == str(market.end.date()) and card["signal"] == expected.signal
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["data"]["synthetic"] is True and manifest["lag_days"] == 1
    assert manifest["signal"]["label"] == "sma-cross 20/100"
    summary = (out / "summary.txt").read_text()
    assert "synthetic demo data" in summary and "synthetic demo data" in card["data"]
    assert "hit_rate" in summary and "Following the signal against buy and hold" in summary


def test_signal_file_with_grades_and_default_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    dates = pd.date_range("2024-01-01", "2025-06-30", freq="30D")
    scores = pd.DataFrame(
        {
            "date": dates.strftime("%Y-%m-%d"),
            "asset": "TRX",
            "score": np.linspace(5, 95, len(dates)),
        }
    )
    scores.to_csv(tmp_path / "grades.csv", index=False)
    args = ["signals", "tron", "--signal", "grades.csv", "--date", "2025-03-01", "--lag-days", "0"]
    assert cli.main([*args, "--short", "--threshold", "60", "--cutoffs", "10,30,70,90"]) == 0
    printed = capsys.readouterr().out
    out = tmp_path / "runs" / "signals-tron"
    assert (out / "figures" / "signals.png").is_file()
    card = pd.read_csv(out / "card.csv", index_col="field")["value"]
    score = float(scores.loc[pd.to_datetime(scores["date"]) <= "2025-03-01", "score"].iloc[-1])
    assert float(card["score"]) == pytest.approx(score)
    assert card["rating"] == ("buy" if 70 <= score < 90 else "neutral")
    assert card["signal"] == ("bullish" if score >= 60 else "bearish")
    assert "short when bearish" in printed and "Lag:           0 day(s)" in printed
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["signal"]["threshold"] == 60 and manifest["signal"]["sha256"]
    assert manifest["as_of"] == "2025-03-01"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["XRPZ"], "ASSET: no asset with id or symbol 'XRPZ'"),
        (["TRX", "--rule", "ema:20"], "signal rule: unknown 'ema'"),
        (["TRX", "--rule", "sma-cross:200,50"], "fast (200) must be shorter than slow (50)"),
        (["TRX", "--date", "1999-01-01"], "--date 1999-01-01: outside the data"),
        (["TRX", "--lag-days", "-2"], "lag_days: must be a whole number of days >= 0"),
        (["TRX", "--fee-bps", "-5"], "fee_bps: must be in [0, 5000)"),
        (["TRX", "--signal", "SIGNAL", "--cutoffs", "10,20"], "rating cut-offs: need 4"),
        (["TRX", "--signal", "SIGNAL"], "line 3, column 'signal': 'up' is not a signal value"),
        (["bitcoin", "--signal", "SIGNAL"], "no signal for asset 'bitcoin'"),
    ],
)
def test_errors_are_one_line(tmp_path, capsys, extra, message):
    signal = tmp_path / "signal.csv"
    signal.write_text("date,asset,signal\n2024-01-01,tron,bullish\n2024-02-01,tron,up\n")
    if message.startswith("no signal") or message.startswith("rating"):
        signal.write_text("date,asset,signal\n2024-01-01,tron,bullish\n")
    args = [str(signal) if a == "SIGNAL" else a for a in extra]
    code = cli.main(["signals", *args, "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("indexlab: error: ") and err.count("\n") == 1
    assert message in err
    assert not (tmp_path / "out").exists()


def test_signal_and_rule_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as caught:
        cli.main(["signals", "TRX", "--signal", "x.csv", "--rule", "momentum:30"])
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
