"""The built-in demo market: deterministic, and shaped like a real crypto market."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab import Market
from indexlab.result import DEMO_LABEL
from indexlab.sources.demo import demo_market
from indexlab.taxonomy import KNOWN_TAGS


@pytest.fixture(scope="module")
def market() -> Market:
    return demo_market()


def ordinary(market: Market) -> np.ndarray:
    """Assets that are neither stablecoins nor wrapped tokens."""
    return ~market.has_tag("stablecoin") & ~market.has_tag("wrapped")


def drawdown(series: pd.Series) -> float:
    return float((series / series.cummax() - 1.0).min())


def zipf_fit(caps: pd.Series, n: int) -> tuple[float, float]:
    """Slope of log(cap) on log(rank) over ranks 1..n, and the fit's R^2."""
    top = caps.dropna().sort_values(ascending=False).to_numpy()[:n]
    log_rank, log_cap = np.log(np.arange(1, len(top) + 1)), np.log(top)
    slope = np.polyfit(log_rank, log_cap, 1)[0]
    return float(slope), float(np.corrcoef(log_rank, log_cap)[0, 1] ** 2)


# ------------------------------------------------------------------ determinism
def test_same_seed_gives_identical_panels(market: Market) -> None:
    again = demo_market()
    pd.testing.assert_frame_equal(again.close, market.close)
    pd.testing.assert_frame_equal(again.market_cap, market.market_cap)
    pd.testing.assert_frame_equal(again.volume, market.volume)
    pd.testing.assert_frame_equal(again.assets, market.assets)
    assert again.tags == market.tags


def test_default_seed_is_7(market: Market) -> None:
    assert indexlab.demo_market is demo_market
    pd.testing.assert_frame_equal(demo_market(7).close, market.close)
    assert "seed 7" in market.source


def test_different_seeds_give_different_markets(market: Market) -> None:
    other = demo_market(8)
    assert "seed 8" in other.source
    assert not other.close.equals(market.close)
    assert not np.allclose(other.close["bitcoin"], market.close["bitcoin"])


def test_nothing_is_shared_between_calls() -> None:
    first = demo_market(3)
    original = first.close.iloc[-1, :].copy()
    first.close.iloc[-1, :] = -1.0  # a caller scribbling on its own copy
    pd.testing.assert_series_equal(demo_market(3).close.iloc[-1, :], original)


# ------------------------------------------------------------ shape and labels
def test_shape_and_calendar(market: Market) -> None:
    assert len(market.asset_ids) >= 400
    assert market.start == pd.Timestamp("2017-01-01")
    assert market.end - market.start >= pd.Timedelta(days=8 * 365)
    expected = pd.date_range(market.start, market.end, freq="D")
    assert market.dates.equals(expected)
    assert market.volume is not None
    assert market.volume.shape == market.close.shape == market.market_cap.shape


def test_labelled_as_synthetic(market: Market) -> None:
    assert market.synthetic is True
    assert DEMO_LABEL in market.source
    assert "synthetic demo data" in market.source


def test_values_valid_where_present_and_only_inside_each_life(market: Market) -> None:
    close = market.close.to_numpy()
    cap = market.market_cap.to_numpy()
    volume = market.volume.to_numpy()
    present = ~np.isnan(close)
    assert np.all(np.isfinite(close[present]) & (close[present] > 0))
    # the same cells are present in every panel
    assert np.array_equal(present, ~np.isnan(cap))
    assert np.array_equal(present, ~np.isnan(volume))
    assert np.all(np.isfinite(cap[present]) & (cap[present] > 0))
    assert np.all(np.isfinite(volume[present]) & (volume[present] > 0))
    # no gaps: every asset is present exactly from its first to its last day
    first, last = market.first_valid_positions(), market.last_valid_positions()
    assert np.all(first >= 0)
    rows = np.arange(len(market.dates))[:, None]
    assert np.array_equal(present, (rows >= first) & (rows <= last))


def test_market_invariants_and_symbols(market: Market) -> None:
    assert market.resolve_asset("BTC") == "bitcoin"
    assert market.resolve_asset("trx") == "tron"
    assert market.resolve_asset("ETH") == "ethereum"
    assert market.assets.loc["bitcoin"].tolist() == ["BTC", "Bitcoin"]
    assert market.assets.loc["tron"].tolist() == ["TRX", "TRON"]
    assert market.assets.loc["ethereum", "symbol"] == "ETH"
    symbols = market.assets["symbol"]
    assert symbols.notna().all() and market.assets["name"].notna().all()
    assert symbols.str.upper().is_unique
    assert market.asset_ids.is_unique
    assert market.known_tags <= KNOWN_TAGS
    memecoins = market.asset_ids[market.has_tag("memecoin")]
    assert len(memecoins) > 0
    assert all(market.assets.at[a, "name"].endswith(" Inu") for a in memecoins)
    # every symbol resolves to its own asset
    for asset in market.asset_ids[::25]:
        assert market.resolve_asset(symbols[asset]) == asset


# -------------------------------------------------------------- famous assets
def test_bitcoin_is_the_largest_on_most_dates(market: Market) -> None:
    largest = market.market_cap.idxmax(axis=1)
    assert (largest == "bitcoin").mean() > 0.8
    dominance = market.market_cap["bitcoin"] / market.market_cap.sum(axis=1)
    assert 0.3 < dominance.min() and dominance.max() < 0.95


def test_ethereum_and_tron_are_large_caps(market: Market) -> None:
    rank = market.market_cap.rank(axis=1, ascending=False)
    assert rank["ethereum"].median() <= 5
    listed = rank["tron"].dropna()
    assert listed.index[0] == pd.Timestamp("2017-09-13")
    assert listed.median() <= 40
    assert (listed <= 100).mean() > 0.95


def test_bitcoin_supply_follows_the_halvings(market: Market) -> None:
    supply = market.market_cap["bitcoin"] / market.close["bitcoin"]
    daily = supply.diff().dropna()
    assert (daily > 0).all()
    assert daily.loc["2019"].mean() == pytest.approx(1800, rel=1e-6)
    assert daily.loc["2021"].mean() == pytest.approx(900, rel=1e-6)
    assert daily.loc["2025"].mean() == pytest.approx(450, rel=1e-6)


def test_stablecoins_are_tagged_and_pegged(market: Market) -> None:
    stable = market.has_tag("stablecoin")
    assert {"tether", "usd-coin", "dai"} <= set(market.asset_ids[stable])
    prices = market.close.loc[:, stable].to_numpy()
    prices = prices[~np.isnan(prices)]
    assert np.all(np.abs(prices - 1.0) < 0.03)
    tether = market.market_cap["tether"]
    assert tether.iloc[-1] > 1000 * tether.iloc[0]  # supply grows


def test_wrapped_tokens_track_their_underlying(market: Market) -> None:
    assert {"wrapped-bitcoin", "weth"} <= set(market.asset_ids[market.has_tag("wrapped")])
    for wrapped, underlying in (("wrapped-bitcoin", "bitcoin"), ("weth", "ethereum")):
        ratio = (market.close[wrapped] / market.close[underlying]).dropna()
        assert len(ratio) > 1000
        assert np.all(np.abs(ratio - 1.0) < 0.01)


# ------------------------------------------------------- listings and deaths
def test_assets_list_and_die_throughout(market: Market) -> None:
    n_days = len(market.dates)
    first, last = market.first_valid_positions(), market.last_valid_positions()
    listed_later, died = first > 0, last < n_days - 1
    assert listed_later.sum() >= 100
    assert died.sum() >= 100
    years_with_listings = set(market.dates[first[listed_later]].year)
    years_with_deaths = set(market.dates[last[died]].year)
    assert set(range(2017, 2025)) <= years_with_listings
    assert len(years_with_deaths) >= 7


def test_dying_coins_bleed_out(market: Market) -> None:
    died = np.flatnonzero(
        (market.last_valid_positions() < len(market.dates) - 1) & ordinary(market)
    )
    fall = []
    for column in died:
        history = market.close.iloc[:, column].dropna()
        fall.append(history.iloc[-1] / history.iloc[-365:].max())
    assert np.median(fall) < 0.1


def test_top_100_can_always_be_filled(market: Market) -> None:
    valid = market.close.notna() & market.market_cap.notna()
    candidates = valid.loc[:, ordinary(market)].sum(axis=1)
    assert candidates.min() >= 100
    assert candidates.iloc[365:].median() >= 200


# ------------------------------------------------------------ market dynamics
def excess_kurtosis(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    centred = values - values.mean()
    return float(np.mean(centred**4) / np.mean(centred**2) ** 2 - 3.0)


def test_daily_returns_are_fat_tailed(market: Market) -> None:
    # Assets alive at the end: their tails are not the last days of a bleed-out.
    survivors = ordinary(market) & (market.last_valid_positions() == len(market.dates) - 1)
    log_returns = np.log(market.close.loc[:, survivors]).diff().to_numpy()
    assert excess_kurtosis(log_returns.ravel()) > 3.0
    per_asset = [excess_kurtosis(column) for column in log_returns.T]
    assert np.median(per_asset) > 2.5


def test_large_caps_share_a_common_factor(market: Market) -> None:
    day = market.dates[len(market.dates) // 2]
    caps = market.market_cap.loc[day, ordinary(market)].dropna()
    top20 = caps.sort_values(ascending=False).index[:20]
    window = market.close.loc[day : day + pd.Timedelta(days=365), top20]
    correlation = np.log(window).diff().corr().to_numpy()
    average = correlation[np.triu_indices(20, k=1)].mean()
    assert 0.3 < average < 0.95


def test_booms_and_crashes(market: Market) -> None:
    total = market.market_cap.sum(axis=1)
    assert drawdown(total) < -0.6
    assert drawdown(market.close["bitcoin"]) < -0.6
    bitcoin = market.close["bitcoin"]
    assert (bitcoin / bitcoin.rolling(365, min_periods=1).min()).max() > 4  # a x4 year


def test_market_caps_are_roughly_zipf(market: Market) -> None:
    day = market.dates[len(market.dates) // 2]
    slope, r_squared = zipf_fit(market.market_cap.loc[day], 200)
    assert -2.2 < slope < -1.2
    assert r_squared > 0.9


def test_volume_is_roughly_proportional_to_market_cap(market: Market) -> None:
    assert market.volume is not None
    turnover = (market.volume / market.market_cap).to_numpy()
    median = np.nanmedian(turnover)
    assert 0.01 < median < 0.3
    day = market.dates[-1]
    both = pd.concat([market.volume.loc[day], market.market_cap.loc[day]], axis=1).dropna()
    assert np.corrcoef(np.log(both.iloc[:, 0]), np.log(both.iloc[:, 1]))[0, 1] > 0.8


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_other_seeds_keep_the_shape(seed: int) -> None:
    other = demo_market(seed)
    assert (other.market_cap.idxmax(axis=1) == "bitcoin").mean() > 0.8
    assert drawdown(other.market_cap.sum(axis=1)) < -0.6
    n_days = len(other.dates)
    assert (other.first_valid_positions() > 0).sum() >= 100
    assert (other.last_valid_positions() < n_days - 1).sum() >= 100
    slope, _ = zipf_fit(other.market_cap.iloc[n_days // 2], 200)
    assert -2.2 < slope < -1.2
