"""Scenario prices at total-market tiers: cells computed by hand, the price linear in the
tier, the inverse landing on the target, percentile shares of the real data against a
direct pandas computation, precise errors, and the CLI's files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from indexlab import DataError, Market, SpecError, cli
from indexlab.scenario_output import scenario_figure
from indexlab.scenarios import (
    grown_supply,
    parse_rate,
    parse_shares,
    parse_tiers,
    prices_at_tiers,
    scenario,
    tiers_for_prices,
    total_from_assets,
)

TOTAL_USD = 2.5e12
# tron's share of the total, day by day: five 50 % days, then the five days of the
# lookback used below, in no order (the as-of day, 2025-01-10, has 1 %).
SHARES = [0.5] * 5 + [0.03, 0.05, 0.02, 0.04, 0.01]
AS_OF = "2025-01-10"
FIVE_DAYS = 5 / 365.25  # lookback_years that make a 5-day window


def hand_market(*, total: bool = True, tron_cap_missing_on: str | None = None) -> Market:
    """tron at $0.25 with the shares above (so 1e11 coins on the as-of day), and bitcoin."""
    dates = pd.date_range("2025-01-01", periods=len(SHARES), freq="D")
    close = pd.DataFrame({"bitcoin": 90_000.0, "tron": 0.25}, index=dates)
    cap = pd.DataFrame(
        {"bitcoin": 1.8e12, "tron": np.array(SHARES) * TOTAL_USD}, index=dates, dtype=float
    )
    if tron_cap_missing_on:
        cap.loc[tron_cap_missing_on, "tron"] = np.nan
    assets = pd.DataFrame(
        {"symbol": ["btc", "trx"], "name": ["Bitcoin", "TRON"]}, ["bitcoin", "tron"]
    )
    market = Market.from_panels(close, cap, assets=assets, source="hand-made market")
    if total:
        market = market.with_total_market_cap(
            pd.Series(TOTAL_USD, index=dates), source="hand-made total"
        )
    return market


def cells(table: pd.DataFrame, column: str) -> pd.DataFrame:
    """tier x case, in the table's order."""
    return table.pivot(index="total_market_cap", columns="case", values=column)


# ------------------------------------------------------------------ by hand
def test_given_shares_by_hand():
    result = scenario(
        hand_market(), "TRX", "16T,8T", as_of=AS_OF, shares="bear=0.5%,base=0.01,moon=2%"
    )
    # supply = 0.01 * 2.5e12 / 0.25 = 1e11 coins; price = share * tier / 1e11
    assert result.supply == pytest.approx(1e11, rel=1e-12)
    assert list(result.table["case"][:3]) == ["bear", "base", "moon"]
    assert list(result.table["tier"].unique()) == ["$8T", "$16T"]  # ascending
    prices = cells(result.table, "price")[["bear", "base", "moon"]]
    np.testing.assert_allclose(prices.to_numpy(), [[0.4, 0.8, 1.6], [0.8, 1.6, 3.2]], rtol=1e-12)
    multiples = cells(result.table, "multiple")[["bear", "base", "moon"]]
    np.testing.assert_allclose(multiples.to_numpy(), [[1.6, 3.2, 6.4], [3.2, 6.4, 12.8]])
    assert set(result.table["share_source"]) == {"given"}


def test_percentile_and_as_of_shares_by_hand():
    result = scenario(
        hand_market(),
        "tron",
        ["8T"],
        as_of=AS_OF,
        shares="bear=p25,base=p50,moon=p90,now=as-of",
        lookback_years=FIVE_DAYS,
        targets=1.0,
    )
    # The last five shares sorted: 1 2 3 4 5 %. Linear interpolation: p25 -> 2 %,
    # p50 -> 3 %, p90 -> position 3.6 -> 4.6 %. The 50 % days before are outside.
    np.testing.assert_allclose(result.shares, [0.02, 0.03, 0.046, 0.01], rtol=1e-12)
    # price = share * 8e12 / 1e11
    np.testing.assert_allclose(result.table["price"], [1.6, 2.4, 3.68, 0.8], rtol=1e-12)
    np.testing.assert_allclose(result.table["multiple"], [6.4, 9.6, 14.72, 3.2], rtol=1e-12)
    assert result.table["share_source"].iloc[0] == (
        "25th percentile of the daily share (market cap / total market cap), "
        "2025-01-06..2025-01-10 (5 of 5 days have one)"
    )
    assert result.table["share_source"].iloc[3] == "share on 2025-01-10"
    # The inverse: total = 1.00 * 1e11 / share, and its multiple of today's 2.5T.
    inverse = result.inverse.set_index("case")
    np.testing.assert_allclose(
        inverse["total_market_cap"], [5e12, 1e11 / 0.03, 1e11 / 0.046, 1e13], rtol=1e-12
    )
    np.testing.assert_allclose(
        inverse["total_multiple"], [2.0, 1e11 / 0.03 / 2.5e12, 1e11 / 0.046 / 2.5e12, 4.0]
    )
    np.testing.assert_allclose(inverse["price_multiple"], 4.0)


def test_a_longer_lookback_takes_in_the_days_before():
    six_days = scenario(
        hand_market(), "tron", "8T", as_of=AS_OF, shares="top=p100", lookback_years=6 / 365.25
    )
    assert six_days.shares[0] == pytest.approx(0.5)
    assert "2025-01-05..2025-01-10 (6 of 6 days have one)" in six_days.share_sources[0]


def test_supply_grown_to_a_horizon_by_hand():
    common = {"as_of": AS_OF, "shares": "base=1%"}
    flat = scenario(hand_market(), "tron", "8T", **common)
    grown = scenario(
        hand_market(), "tron", "8T", supply_growth=0.10, horizon="2026-01-10", **common
    )
    # 365 days at +10 % a year: 1.1 times the coins, so 1 / 1.1 times the price.
    assert grown.supply == pytest.approx(1.1e11, rel=1e-12)
    assert grown.table["price"].iloc[0] == pytest.approx(0.8 / 1.1, rel=1e-12)
    burnt = scenario(
        hand_market(), "tron", "8T", supply_growth=-0.5, horizon="2027-01-10", **common
    )
    assert burnt.supply == pytest.approx(1e11 * 0.5 ** (730 / 365), rel=1e-12)
    assert flat.table["price"].iloc[0] == pytest.approx(0.8, rel=1e-12)
    assert grown_supply(100.0, 0.10, 730) == pytest.approx(121.0, rel=1e-12)
    assert "grown -50.00% a year" in burnt.supply_text and "2027-01-10" in burnt.supply_text


# ------------------------------------------------------------------ consistency
def test_price_scales_linearly_with_the_tier():
    rng = np.random.default_rng(6)
    tiers = rng.uniform(1e11, 5e13, size=7)
    base = scenario(hand_market(), "tron", tiers, as_of=AS_OF, lookback_years=FIVE_DAYS)
    for factor in (2.0, 3.7, 0.25):
        scaled = scenario(
            hand_market(), "tron", tiers * factor, as_of=AS_OF, lookback_years=FIVE_DAYS
        )
        np.testing.assert_allclose(scaled.table["price"], factor * base.table["price"], rtol=1e-12)
    # The kernel against a plain loop on arrays.
    shares, supply = np.array([0.001, 0.02, 0.3]), 7.5e9
    loop = [[s * t / supply for s in shares] for t in tiers]
    np.testing.assert_allclose(prices_at_tiers(tiers, shares, supply), loop, rtol=1e-14)


def test_the_inverse_returns_the_tier_that_gives_the_target():
    common = {"as_of": AS_OF, "lookback_years": FIVE_DAYS}
    forward = scenario(hand_market(), "tron", "8T", targets=[0.37, 1.0, 12.5], **common)
    for target, rows in forward.inverse.groupby("target_price"):
        for case, needed in zip(rows["case"], rows["total_market_cap"], strict=True):
            back = scenario(hand_market(), "tron", [needed], **common).table.set_index("case")
            assert back.at[case, "price"] == pytest.approx(target, rel=1e-12)
    shares, supply = np.array([0.004, 0.0055]), 9.5e10
    totals = tiers_for_prices(np.array([1.0, 2.0]), shares, supply)
    np.testing.assert_allclose(prices_at_tiers(totals[0], shares, supply).diagonal(), 1.0)
    np.testing.assert_allclose(prices_at_tiers(totals[1], shares, supply).diagonal(), 2.0)


# ------------------------------------------------------------------ parsing and errors
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8T", [8e12]),
        ("500B,1.5T", [5e11, 1.5e12]),
        ("2e12", [2e12]),
        ("$750m, 8000000000000", [7.5e8, 8e12]),
        ("31t,8T,23T,16T", [8e12, 16e12, 23e12, 31e12]),
    ],
)
def test_tiers_parse(text, expected):
    np.testing.assert_array_equal(parse_tiers(text), expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "8T,8X",
            r"^tiers: '8X' is not a total market cap; write a number with an optional "
            r"suffix K, M, B or T: 8T, 500B, 1\.5T, 2e12$",
        ),
        ("8T,-16T", r"^tiers: '-16T' is negative; a total market cap must be > 0$"),
        ("0T", r"^tiers: '0T' is zero; a total market cap must be > 0$"),
        (
            "8",
            r"^tiers: '8' would be \$8 in all, probably a missing suffix; write e\.g\. 8T or 8B$",
        ),
        ("8T,,16T", r"^tiers: item 2 is empty"),
        ("8T,8000B", r"^tiers: '8000B' is the same tier as '8T'$"),
        ("8T,nanT", r"^tiers: 'nanT' is not a total market cap"),
    ],
)
def test_bad_tiers_name_the_item(text, message):
    with pytest.raises(SpecError, match=message):
        parse_tiers(text)
    with pytest.raises(SpecError, match=message):  # the same through the API
        scenario(hand_market(), "tron", text, as_of=AS_OF)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("bear=p25,base", r"^shares: item 2 'base' is not NAME=HOW"),
        ("bear=p120", r"^shares: bear=p120: a percentile must be between 0 and 100$"),
        (
            "moon=2",
            r"^shares: moon=2: a share must be > 0 and at most 100% \(for a percentage write 2%\)$",
        ),
        ("moon=0", r"^shares: moon=0: a share must be > 0 and at most 100%$"),
        ("moon=lots", r"^shares: moon=lots: not a share; write pQ"),
        ("a=p1,a=p2", r"^shares: case 'a' is given twice$"),
        ("1st=p1", r"^shares: case name '1st' must start with a letter"),
    ],
)
def test_bad_shares_name_the_case(text, message):
    with pytest.raises(SpecError, match=message):
        parse_shares(text)


def test_shares_and_rates_parse():
    cases = parse_shares({"low": "P2.5", "now": "as-of", "high": 0.5, "pct": "1.5%"})
    assert [(c.name, c.how, c.percentile, c.given) for c in cases] == [
        ("low", "percentile", 2.5, None),
        ("now", "as-of", None, None),
        ("high", "given", None, 0.5),
        ("pct", "given", None, 0.015),
    ]
    assert parse_rate("2%") == pytest.approx(0.02) and parse_rate("-0.015") == -0.015
    with pytest.raises(SpecError, match=r"^--supply-growth: '2' would be \+200% a year; write 2%"):
        parse_rate("2", field_name="--supply-growth")


def test_no_market_cap_on_the_as_of_date_is_a_precise_error():
    market = hand_market(tron_cap_missing_on="2025-01-08")
    with pytest.raises(
        DataError,
        match=r"^tron has no market cap on 2025-01-08 in hand-made market; the last day "
        r"before with both is 2025-01-07$",
    ):
        scenario(market, "tron", "8T", as_of="2025-01-08")
    # Without --as-of, the last usable day is taken.
    assert scenario(market, "tron", "8T", shares="x=1%").as_of == pd.Timestamp(AS_OF)
    with pytest.raises(DataError, match=r"^as_of 2025-02-01 is outside hand-made market"):
        scenario(market, "tron", "8T", as_of="2025-02-01")


def test_other_bad_input():
    with pytest.raises(SpecError, match=r"^asset: no asset with id or symbol 'TRXX'"):
        scenario(hand_market(), "TRXX", "8T")
    with pytest.raises(SpecError, match=r"supply_growth \+2\.00% a year needs a horizon"):
        scenario(hand_market(), "tron", "8T", supply_growth=0.02)
    with pytest.raises(
        SpecError, match=r"^horizon 2024-12-31 is before the as-of date 2025-01-10$"
    ):
        scenario(hand_market(), "tron", "8T", horizon="2024-12-31")
    with pytest.raises(SpecError, match=r"^targets: -1 is not a price; a target must be > 0$"):
        scenario(hand_market(), "tron", "8T", targets=[1.0, -1.0])


def test_shares_need_the_total_unless_given():
    with pytest.raises(
        DataError,
        match=r"^hand-made market: share cases bear, moon need the total crypto market cap; "
        r"give it with --total-market FILE",
    ):
        scenario(hand_market(total=False), "tron", "8T", shares="bear=p25,base=1%,moon=p90")
    given = scenario(hand_market(total=False), "tron", "8T", shares="base=1%")
    assert given.table["price"].iloc[0] == pytest.approx(0.8)
    assert given.total_source == "not given" and np.isnan(given.total_as_of)


def test_total_from_assets_is_the_sum_and_says_so():
    market = total_from_assets(hand_market(total=False))
    expected = hand_market(total=False).market_cap.sum(axis=1)
    pd.testing.assert_series_equal(market.total_market_cap, expected, check_names=False)
    result = scenario(market, "tron", "8T", as_of=AS_OF, shares="now=as-of")
    assert result.share_as_of == pytest.approx(0.025e12 / (1.8e12 + 0.025e12))
    assert result.total_source.startswith("sum of the market caps of all 2 assets in the data")


# ------------------------------------------------------------------ real data
def coin_rows(shared_data: Path, coin: str) -> pd.DataFrame:
    """A coin's 00:00 UTC rows, dated by their timestamp (the importer's default)."""
    raw = pd.read_csv(shared_data / "coingecko-2025" / "coins" / f"{coin}.csv.gz")
    raw = raw[raw["timestamp"] % 86_400_000 == 0]
    raw.index = pd.to_datetime(raw["timestamp"], unit="ms").rename("date")
    return raw


def test_percentile_shares_on_real_data_match_pandas(shared_data):
    tron = coin_rows(shared_data, "tron")
    market = Market.from_panels(
        tron[["price"]].rename(columns={"price": "tron"}),
        tron[["market_cap"]].rename(columns={"market_cap": "tron"}),
        assets=pd.DataFrame({"symbol": ["trx"], "name": ["TRON"]}, index=["tron"]),
        source="tron.csv.gz",
    )
    total_file = shared_data / "total-market-cap" / "total_market_cap.csv"
    from indexlab.sources.total_market import load_total_market_cap

    market = market.with_total_market_cap(load_total_market_cap(total_file))
    result = scenario(
        market, "TRX", "8T,16T,23T,31T", as_of="2025-07-01", lookback_years=4, targets=1.0
    )
    # Directly: the total's 00:00 UTC rows, the share over the 1,461 days to 2025-07-01.
    total = pd.read_csv(total_file)
    total = total[total["snapped_at"] % 86_400_000 == 0]
    total.index = pd.to_datetime(total["snapped_at"], unit="ms")
    share = (tron["market_cap"] / total["market_cap"]).dropna()
    window = share.loc["2021-07-02":"2025-07-01"]
    assert len(window) == 1461
    np.testing.assert_allclose(result.shares, window.quantile([0.25, 0.5, 0.9]), rtol=1e-12)
    supply = tron.loc["2025-07-01", "market_cap"] / tron.loc["2025-07-01", "price"]
    expected = np.outer([8e12, 16e12, 23e12, 31e12], window.quantile([0.25, 0.5, 0.9])) / supply
    np.testing.assert_allclose(result.table["price"], expected.ravel(), rtol=1e-12)
    assert result.share_as_of == pytest.approx(share.loc["2025-07-01"], rel=1e-12)
    assert result.price_as_of == tron.loc["2025-07-01", "price"]


# ------------------------------------------------------------------ outputs
def test_figure_marks_today_and_labels_prices_in_dollars():
    result = scenario(
        hand_market(), "tron", "8T,16T", as_of=AS_OF, lookback_years=FIVE_DAYS, targets=1
    )
    figure = scenario_figure(result)
    figure.canvas.draw()
    ax = figure.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and all(label.startswith("$") and "e" not in label for label in labels)
    assert {"$1", "$2", "$5"} <= set(labels)
    assert [t.get_text() for t in ax.get_xticklabels()][:3] == ["$8T", "$16T", "$2.50T\ntoday"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "today, 2025-01-10: $0.250 at a $2.50T total (share 1.000%)" in legend
    assert "$1.00 reached at $5.00T (bear), $3.33T (base), $2.17T (moon)" in legend
    drawn = [(list(line.get_xdata()), list(line.get_ydata())) for line in ax.get_lines()]
    assert ([0, 1], [0.25, 0.25]) in drawn  # today's price across the plot
    assert ([TOTAL_USD], [0.25]) in drawn  # and today's point
    assert ([0, 1], [1, 1]) in drawn  # the target


def test_a_scenario_figure_says_scenario_not_backtest():
    # A scenario is no backtest: its figure said "Backtested, hypothetical results".
    result = scenario(
        hand_market(), "tron", "8T,16T", as_of=AS_OF, lookback_years=FIVE_DAYS, targets=1
    )
    figure = scenario_figure(result)
    texts = " ".join(t.get_text() for t in figure.findobj(lambda a: hasattr(a, "get_text")))
    assert "Hypothetical scenarios, not forecasts" in texts
    assert "Backtested" not in texts


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_on_the_demo_market_writes_every_file_and_says_synthetic(tmp_path, capsys):
    out = tmp_path / "scenario"
    code, stdout, err = run_cli(
        ["scenario", "TRX", "--tiers", "1T,2T", "--target", "1", "--out", str(out)], capsys
    )
    assert code == 0, err
    assert {p.name for p in out.iterdir()} == {
        "scenario.csv",
        "inverse.csv",
        "scenario.json",
        "scenario.png",
        "manifest.json",
    }
    table = pd.read_csv(out / "scenario.csv")
    assert len(table) == 6 and set(table["case"]) == {"bear", "base", "moon"}
    assert table["data_source"].str.contains("synthetic demo data").all()
    assert table["total_market_source"].str.startswith("sum of the market caps of all").all()
    facts = json.loads((out / "scenario.json").read_text())
    assert facts["data"]["synthetic"] is True and facts["as_of"] == "2025-06-30"
    assert "sum of the market caps" in facts["total_market"]["source"]
    assert facts["supply"]["source"].startswith(f"{facts['supply']['as_of'] / 1e9:.3g}B TRX")
    inverse = pd.read_csv(out / "inverse.csv")
    np.testing.assert_allclose(
        inverse["total_market_cap"] * inverse["share"] / inverse["supply"], 1.0, rtol=1e-10
    )
    assert "Synthetic demo data" in stdout and "sum of the market caps" in stdout
    # A second run replaces the folder (it is marked as indexlab's).
    assert (
        run_cli(["scenario", "TRX", "--tiers", "3T", "--out", str(out), "--quiet"], capsys)[0] == 0
    )
    assert len(pd.read_csv(out / "scenario.csv")) == 3 and not (out / "inverse.csv").exists()


def test_cli_errors_are_one_line_and_given_shares_need_no_total(tmp_path, capsys):
    market = hand_market()
    long = market.close.stack().rename("close").to_frame()
    long["market_cap"] = market.market_cap.stack()
    long = long.reset_index()
    long["symbol"] = long["asset"].map({"tron": "trx", "bitcoin": "btc"})
    data = tmp_path / "market.csv"
    long.to_csv(data, index=False)
    base = ["scenario", "TRX", "--data", str(data), "--out", str(tmp_path / "out")]
    code, _out, err = run_cli([*base, "--tiers", "8T"], capsys)
    assert code == 1
    assert err.count("\n") == 1 and "give it with --total-market FILE" in err
    code, _out, err = run_cli([*base, "--tiers", "8T,8X", "--shares", "x=1%"], capsys)
    assert code == 1 and err == (
        "indexlab: error: --tiers: '8X' is not a total market cap; write a number with an "
        "optional suffix K, M, B or T: 8T, 500B, 1.5T, 2e12\n"
    )
    code, _out, err = run_cli(
        [*base, "--tiers", "8T", "--shares", "x=1%", "--target", "-1"], capsys
    )
    assert code == 1 and err.startswith("indexlab: error: --target: '-1' is not a price")
    code, stdout, err = run_cli(
        [*base, "--tiers", "8T", "--shares", "x=1%", "--as-of", AS_OF], capsys
    )
    assert code == 0, err
    assert "Total market:  not given" in stdout and "$0.800 (3.20x)" in stdout
