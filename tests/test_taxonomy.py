"""The taxonomy: the shipped tag list, dated tag files, and the price-based detectors.

Synthetic markets check that the detectors flag exactly the right assets; the real
CoinGecko collection (``$INDEXLAB_SHARED_DATA``) checks the shipped list and the
detectors against the collector's own classification (docs/taxonomy.md explains
every disagreement listed here).
"""

from __future__ import annotations

import io
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab.detectors import (
    STABLECOIN_COLUMNS,
    WRAPPED_COLUMNS,
    likely_stablecoins,
    likely_wrapped,
)
from indexlab.errors import DataError
from indexlab.sources.long_table import market_from_long
from indexlab.taxonomy import (
    KNOWN_TAGS,
    TaxonomyWarning,
    builtin_tags,
    dated_tags,
    merge_dated_tags,
    merge_tags,
    read_tags,
    tag_map,
    tag_panel,
    tags_on,
)

# ------------------------------------------------------------------ synthetic market
N_DAYS = 800


def _walk(rng: np.random.Generator, level: float, daily_vol: float) -> np.ndarray:
    return level * np.exp(np.cumsum(rng.normal(0.0, daily_vol, N_DAYS)))


def _noise(rng: np.random.Generator, size: float) -> np.ndarray:
    return 1.0 + rng.normal(0.0, size, N_DAYS)


def synthetic_panels(seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Close and market-cap panels with one asset of each kind the detectors judge."""
    rng = np.random.default_rng(seed)
    years = np.arange(N_DAYS) / 365.25
    big = _walk(rng, 20_000.0, 0.03)
    eth = _walk(rng, 2_000.0, 0.04)
    stable = _noise(rng, 0.002)
    dead = np.where(np.arange(N_DAYS) < 400, _noise(rng, 0.003), 0.05 * _noise(rng, 0.2))
    close = {
        "bigcoin": big,
        "wrapped-big": big * _noise(rng, 0.003),
        "bridged-wrapped-big": big * _noise(rng, 0.003),
        "ethish": eth,
        # A liquid staking token: worth 1.10 ethish at first, growing 4 % a year.
        "steth-like": eth * 1.10 * np.exp(0.04 * years) * _noise(rng, 0.003),
        "stable": stable,
        "stable-bridged": stable * _noise(rng, 0.002),
        "dead-stable": dead,
        # Climbs from $0.50 to $2: near $1 on a few days only.
        "passer": np.exp(np.linspace(np.log(0.5), np.log(2.0), N_DAYS)) * _noise(rng, 0.03),
        "alt-one": _walk(rng, 1.2, 0.05),
        "alt-two": _walk(rng, 1.0, 0.05),
    }
    caps = {
        "bigcoin": 1e11,
        "wrapped-big": 1e9,
        "bridged-wrapped-big": 1e8,
        "ethish": 5e10,
        "steth-like": 1e9,
        "stable": 1e10,
        "stable-bridged": 1e8,
        "dead-stable": 1e9,
        "passer": 1e8,
        "alt-one": 5e8,
        "alt-two": 4e8,
    }
    dates = pd.date_range("2021-01-01", periods=N_DAYS, freq="D")
    close_df = pd.DataFrame(close, index=dates)
    close_df.loc[dates[:200], "steth-like"] = np.nan  # listed later than its underlying
    cap_df = pd.DataFrame({a: close_df[a] / close_df[a].iloc[-1] * c for a, c in caps.items()})
    return close_df, cap_df


def synthetic_market(tags: dict[str, set[str]] | None = None, **panels) -> indexlab.Market:
    close, cap = synthetic_panels()
    close = panels.get("close", close)
    cap = panels.get("cap", cap)
    assets = pd.DataFrame(
        {"symbol": [a[:4].upper() for a in close.columns], "name": list(close.columns)},
        index=close.columns,
    )
    return indexlab.Market.from_panels(close, cap, assets=assets, tags=tags or {})


@pytest.fixture(scope="module")
def market() -> indexlab.Market:
    return synthetic_market(tags={"stable": {"stablecoin"}, "wrapped-big": {"wrapped"}})


# ------------------------------------------------------------------ stablecoin detector
def test_likely_stablecoins_flags_exactly_the_stablecoins(market):
    found = likely_stablecoins(market)
    assert tuple(found.columns) == STABLECOIN_COLUMNS
    assert list(found["asset"]) == ["dead-stable", "stable", "stable-bridged"]
    by_asset = found.set_index("asset")
    assert by_asset.loc["stable", "criterion"] == "whole history"
    assert by_asset.loc["stable-bridged", "criterion"] == "whole history"
    # Pegged for 400 days, then failed: found by its best 365-day window only.
    assert by_asset.loc["dead-stable", "criterion"] == "365-day window"
    assert by_asset.loc["dead-stable", "share_near_peg"] < 0.6
    assert by_asset.loc["dead-stable", "best_window_share"] == pytest.approx(1.0)
    assert by_asset["tagged"].to_dict() == {
        "dead-stable": False,
        "stable": True,
        "stable-bridged": False,
    }
    assert by_asset.loc["stable", "symbol"] == "STAB"
    assert by_asset.loc["stable", "days"] == N_DAYS
    assert by_asset.loc["stable", "median_price"] == pytest.approx(1.0, abs=0.002)


def test_likely_stablecoins_parameters(market):
    no_window = likely_stablecoins(market, window_days=None)
    assert list(no_window["asset"]) == ["stable", "stable-bridged"]
    assert no_window["best_window_share"].isna().all()
    # A coin near $1 on a few days is not a stablecoin, whatever the window.
    passer = market.close["passer"]
    assert 0 < (np.abs(passer - 1) <= 0.03).mean() < 0.2
    assert "passer" not in set(likely_stablecoins(market, window_days=30)["asset"])
    # More history needed than there is: nothing flagged.
    assert likely_stablecoins(market, min_days=N_DAYS + 1).empty


def test_share_near_peg_matches_a_slow_reference_loop(market):
    found = likely_stablecoins(market, min_share=0.0, window_days=None)
    assert len(found) == len(market.asset_ids)  # min_share 0 flags every asset
    for row in found.itertuples():
        closes = [c for c in market.close[row.asset] if np.isfinite(c)]
        near = sum(1 for c in closes if abs(c / 1.0 - 1.0) <= 0.03)
        assert row.days == len(closes)
        assert row.share_near_peg == pytest.approx(near / len(closes))


def test_stablecoin_detection_follows_the_peg_when_prices_are_scaled(market):
    scaled = indexlab.Market.from_panels(market.close * 7.0, market.market_cap)
    plain = likely_stablecoins(market).drop(columns=["symbol", "name", "tagged"])
    moved = likely_stablecoins(scaled, peg_usd=7.0).drop(columns=["symbol", "name", "tagged"])
    assert likely_stablecoins(scaled).empty
    moved["median_price"] /= 7.0
    pd.testing.assert_frame_equal(plain, moved)


# -------------------------------------------------------------------- wrapped detector
def test_likely_wrapped_flags_exactly_the_wrapped_and_staked(market):
    found = likely_wrapped(market)
    assert tuple(found.columns) == WRAPPED_COLUMNS
    assert list(found["asset"]) == ["bridged-wrapped-big", "steth-like", "wrapped-big"]
    by_asset = found.set_index("asset")
    # Both wrappers track bigcoin, the largest asset they follow.
    assert by_asset.loc["wrapped-big", "tracks"] == "bigcoin"
    assert by_asset.loc["bridged-wrapped-big", "tracks"] == "bigcoin"
    assert by_asset.loc["wrapped-big", "criterion"] == "tracks"
    assert np.isnan(by_asset.loc["wrapped-big", "drift_per_year"])
    steth = by_asset.loc["steth-like"]
    assert steth["tracks"] == "ethish"
    assert steth["criterion"] == "drifting ratio"
    assert steth["drift_per_year"] == pytest.approx(np.expm1(0.04), abs=0.005)
    assert steth["median_ratio"] == pytest.approx(1.10 * np.exp(0.04 * 500 / 365.25), rel=0.01)
    assert steth["days"] == N_DAYS - 200
    assert by_asset["tagged"].to_dict() == {
        "bridged-wrapped-big": False,
        "steth-like": False,
        "wrapped-big": True,
    }


def test_share_tracking_matches_pandas(market):
    row = likely_wrapped(market).set_index("asset").loc["wrapped-big"]
    ratio = np.log(market.close["wrapped-big"] / market.close["bigcoin"]).dropna()
    assert row["days"] == len(ratio)
    assert row["share_tracking"] == pytest.approx((ratio.abs() <= 0.02).mean())
    assert row["median_ratio"] == pytest.approx(np.exp(ratio.median()))


def test_likely_wrapped_parameters(market):
    assert "steth-like" not in set(likely_wrapped(market, drifting=False)["asset"])
    assert likely_wrapped(market, min_days=N_DAYS + 1, drifting=False).empty
    # A looser tolerance does not make stablecoins or unrelated coins "wrapped".
    loose = set(likely_wrapped(market, tolerance=0.05)["asset"])
    assert loose == {"bridged-wrapped-big", "steth-like", "wrapped-big"}


def test_the_follower_is_the_smaller_asset():
    close, cap = synthetic_panels()
    cap["wrapped-big"], cap["bigcoin"] = cap["bigcoin"] * 10, cap["wrapped-big"]
    found = likely_wrapped(synthetic_market(cap=cap)).set_index("asset")
    assert found.loc["bigcoin", "tracks"] == "wrapped-big"
    assert "wrapped-big" not in found.index


def test_stablecoin_pairs_are_reported_as_stablecoins_only():
    close, cap = synthetic_panels()
    # Two dollar tokens moved off $1: no longer peg-like by price, so one "tracks" the
    # other; tagged, they are peg-like again and the pair is skipped.
    close[["stable", "stable-bridged"]] *= 1.3
    untagged = likely_wrapped(synthetic_market(close=close, cap=cap)).set_index("asset")
    assert untagged.loc["stable-bridged", "tracks"] == "stable"
    tags = {"stable": {"pegged"}, "stable-bridged": {"stablecoin"}}
    tagged = likely_wrapped(synthetic_market(close=close, cap=cap, tags=tags))
    assert "stable-bridged" not in set(tagged["asset"])
    one_tagged = likely_wrapped(synthetic_market(close=close, cap=cap, tags={"stable": {"pegged"}}))
    assert "stable-bridged" in set(one_tagged["asset"])  # only pairs of two are skipped


def test_unrelated_assets_change_nothing(market):
    close, cap = synthetic_panels()
    rng = np.random.default_rng(3)
    for j in range(30):
        close[f"noise-{j:02d}"] = _walk(rng, float(rng.uniform(0.5, 3.0)), 0.05)
        cap[f"noise-{j:02d}"] = close[f"noise-{j:02d}"] * 1e8
    bigger = synthetic_market(close=close, cap=cap)
    assert list(likely_wrapped(bigger)["asset"]) == list(likely_wrapped(market)["asset"])
    assert list(likely_stablecoins(bigger)["asset"]) == list(likely_stablecoins(market)["asset"])


def test_detectors_on_a_market_with_nothing_to_find():
    close, cap = synthetic_panels()
    keep = ["alt-one", "alt-two", "passer"]
    quiet = synthetic_market(close=close[keep], cap=cap[keep])
    assert likely_stablecoins(quiet).empty
    empty = likely_wrapped(quiet)
    assert empty.empty and tuple(empty.columns) == WRAPPED_COLUMNS


# ------------------------------------------------------------------------- tag files
def write(tmp_path: Path, text: str, name: str = "tags.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_two_and_three_column_files(tmp_path):
    two = write(tmp_path, "asset,tags\nfoo,stablecoin;pegged\nbar, memecoin \n", "two.csv")
    assert read_tags(two) == {"foo": {"stablecoin", "pegged"}, "bar": {"memecoin"}}
    three = write(
        tmp_path,
        "# a comment\n\nasset,tags,effective_from\n# another\nfoo,stablecoin,2023-05-01\n"
        "foo,wrapped,\nbar,memecoin\n",
        "three.csv",
    )
    dated = dated_tags(three)
    assert tuple(dated.columns) == ("asset", "tag", "effective_from")
    assert dated["effective_from"].dtype == "datetime64[ns]"
    assert dated.to_dict("records") == [
        {"asset": "bar", "tag": "memecoin", "effective_from": pd.NaT},
        {"asset": "foo", "tag": "stablecoin", "effective_from": pd.Timestamp("2023-05-01")},
        {"asset": "foo", "tag": "wrapped", "effective_from": pd.NaT},
    ]
    # The undated view: every tag ever applied.
    assert read_tags(three) == {"foo": {"stablecoin", "wrapped"}, "bar": {"memecoin"}}
    assert tag_map(dated) == read_tags(three)
    # Columns in any order; a repeated identical row is harmless.
    shuffled = write(
        tmp_path, "effective_from,tags,asset\n2023-05-01,stablecoin,foo\n,stablecoin,foo2\n"
    )
    assert set(dated_tags(shuffled)["asset"]) == {"foo", "foo2"}
    twice = write(tmp_path, "asset,tags\nfoo,memecoin\nfoo,memecoin\n", "twice.csv")
    assert len(dated_tags(twice)) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "asset,tags,effective_from\n# c\nfoo,stablecoin,2023-13-01\n",
            r"tags\.csv, line 3, column 'effective_from': cannot parse '2023-13-01' as a date "
            r"\(expected YYYY-MM-DD, or empty for always\)",
        ),
        ("asset,tags,effective_from\nfoo,stablecoin,2023-5-1\n", r"line 2, .*'2023-5-1'"),
        ("asset,tags,effective_from\nfoo,stablecoin,01/05/2023\n", r"line 2, .*'01/05/2023'"),
        ("asset,tags,effective_from\nfoo,stablecoin,2023-02-30\n", r"line 2, .*'2023-02-30'"),
        (
            "asset,tags\n\nfoo,Stable Coin\n",
            r"line 3, column 'tags': 'Stable Coin' is not a tag; a tag is a lowercase identifier",
        ),
        ("asset,tags\nfoo, ; \n", r"line 2, column 'tags': no tags for asset 'foo'"),
        ("asset,tags\n,stablecoin\n", r"line 2, column 'asset': missing asset id"),
        ("asset,tags\nfoo,stablecoin,2023-01-01\n", r"line 2: 3 fields but the header has 2"),
        ("asset,tag\nfoo,stablecoin\n", r"line 1: unknown column 'tag' \(expected asset,tags"),
        ("asset,effective_from\nfoo,\n", r"line 1: missing column 'tags'"),
        ("asset,tags,tags\nfoo,a,b\n", r"line 1: column 'tags' appears twice"),
        ("# only a comment\n", r"tags\.csv: no header line"),
        (
            "asset,tags,effective_from\nfoo,stablecoin,2023-01-01\nfoo,pegged;stablecoin,\n",
            r"line 3: asset 'foo' has tag 'stablecoin' from always, but line 2 gives it from "
            r"2023-01-01",
        ),
    ],
)
def test_tag_file_errors_name_file_line_and_column(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(DataError, match=message):
        dated_tags(path)
    with pytest.raises(DataError, match=message):
        read_tags(path)


def test_missing_tag_file(tmp_path):
    with pytest.raises(DataError, match=r"nope\.csv: no such file"):
        read_tags(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="is a folder"):
        dated_tags(tmp_path)


def test_user_defined_tags_are_allowed_and_likely_typos_warn(tmp_path):
    path = write(tmp_path, "asset,tags\nfoo,defi;layer_2\nbar,stablecoins\nbaz,wraped\n")
    with pytest.warns(TaxonomyWarning) as caught:
        tags = read_tags(path)
    assert len(caught) == 1  # one warning per file, listing every likely typo
    text = str(caught[0].message)
    assert "'stablecoins' (line 3): did you mean 'stablecoin'?" in text
    assert "'wraped' (line 4): did you mean 'wrapped'?" in text
    assert "'defi'" not in text and "'layer_2'" not in text
    assert tags["foo"] == {"defi", "layer_2"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_tags(write(tmp_path, "asset,tags\nfoo,defi\n", "quiet.csv"))


def test_effective_from_semantics(tmp_path):
    dated = dated_tags(
        write(tmp_path, "asset,tags,effective_from\nfoo,stablecoin,2023-05-01\nbar,memecoin,\n")
    )
    assert tags_on(dated, "2023-04-30") == {"bar": {"memecoin"}}
    assert tags_on(dated, "2023-05-01") == {"bar": {"memecoin"}, "foo": {"stablecoin"}}
    assert tags_on(dated, pd.Timestamp("2030-01-01"))["foo"] == {"stablecoin"}
    dates = pd.date_range("2023-04-29", periods=4, freq="D")
    panel = tag_panel(dated, "stablecoin", dates, ["foo", "bar", "unknown"])
    assert panel.index.equals(dates) and list(panel.columns) == ["foo", "bar", "unknown"]
    assert panel["foo"].tolist() == [False, False, True, True]
    assert not panel["bar"].any() and not panel["unknown"].any()
    assert tag_panel(dated, "memecoin", dates, ["bar"])["bar"].all()  # NaT: always


def test_a_later_table_moves_a_shipped_tags_start(tmp_path):
    user = dated_tags(write(tmp_path, "asset,tags,effective_from\ntether,stablecoin,2023-05-01\n"))
    merged = merge_dated_tags(dated_tags(), user)
    assert "stablecoin" not in tags_on(merged, "2023-04-30").get("tether", set())
    assert "stablecoin" in tags_on(merged, "2023-05-01")["tether"]
    assert "stablecoin" in tags_on(merge_dated_tags(user, dated_tags()), "2020-01-01")["tether"]
    assert len(merged) == len(dated_tags())  # moved, not duplicated
    assert tag_map(merged) == builtin_tags()
    assert merge_dated_tags().empty


def test_merge_tags_is_a_union():
    assert merge_tags({"a": {"x"}}, {"a": frozenset({"y"}), "b": {"z"}}) == {
        "a": {"x", "y"},
        "b": {"z"},
    }


# ------------------------------------------------------------------- the shipped list
def test_shipped_list_is_well_formed():
    shipped = builtin_tags()
    dated = dated_tags()
    assert tag_map(dated) == shipped
    assert set(dated["tag"]) <= KNOWN_TAGS
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", a) for a in shipped)
    assert len(shipped) > 250
    # Gold is pegged, not a stablecoin; a EUR stablecoin is both.
    for gold in ("pax-gold", "tether-gold"):
        assert shipped[gold] == {"pegged"}
    for euro in ("stasis-eurs", "euro-coin"):
        assert shipped[euro] == {"stablecoin", "pegged"}
    assert shipped["wrapped-steth"] == {"wrapped", "staked"}
    assert shipped["staked-ether"] == {"staked"}
    for dead in ("terrausd", "husd", "neutrino", "fei-usd"):
        assert "stablecoin" in shipped[dead]
    # builtin_tags hands out a copy.
    shipped.pop("tether")
    assert "tether" in builtin_tags()


def test_the_loader_attaches_the_shipped_list():
    text = "date,asset,close,market_cap\n2021-01-01,wrapped-bitcoin,30000,5e9\n"
    frame = pd.read_csv(io.StringIO(text))
    market = market_from_long(frame)
    assert market.tags["wrapped-bitcoin"] == {"wrapped"}


# ----------------------------------------------------------------------- real data
# Shipped ids that are real CoinGecko ids but neither in the collection nor in its
# metadata (docs/taxonomy.md, "The shipped list").
ABSENT_FROM_COLLECTION = {"binance-bitcoin", "digix-gold", "ftx-token"}
# Shipped stablecoins the collector classifies otherwise, beyond what its own
# categories explain (bridged, Binance-Peg and yield-bearing stablecoins).
STABLECOIN_DISAGREEMENTS = {"sai"}
# Shipped wrapped/staked tokens the collector calls native, beyond its own categories.
WRAPPED_DISAGREEMENTS = {"reserve-protocol-eth-plus", "universal-eth"}
# The collector's "wrapped" coins that are governance or protocol tokens, not claims
# on another asset (the README warns of these), and sUSD, a stablecoin.
METADATA_NOT_WRAPPED = {
    "ankr",
    "benqi",
    "bifrost",
    "frax-share",
    "jito-governance-token",
    "lido-dao",
    "lista",
    "olympus",
    "pendle",
    "rocket-pool",
    "snowbank",
    "ssv-network",
    "temple",
    "nusd",
}
# Real claims on another asset that likely_wrapped does not find, and why.
WRAPPED_MISSES = {
    "compound-ether": "ratio 0.02 ETH, far from 1",
    "compound-usd-coin": "ratio 0.02 USDC, far from 1",
    "compound-wrapped-btc": "ratio 0.02 WBTC, far from 1",
    "wrapped-nxm": "trades at a discount to NXM that swung from 0.3 to 1",
    "pumpbtc": "0.85 of its days within 2 % of BTC in 2024, 0.26 in 2025",
    "ethena-staked-usde": "peg-like (tagged stablecoin): reported as a stablecoin",
}
# Flagged by likely_wrapped though not wrapped: token migrations and look-alikes.
WRAPPED_FALSE_ALARMS = {
    "advertise-coin",  # within 2 % of tokpie since 2024
    "dydx",  # the old ERC-20 dYdX, swapped 1:1 for dydx-chain
    "kyber-network",  # legacy KNC, swapped 1:1 for kyber-network-crystal
    "polygon-ecosystem-token",  # POL, swapped 1:1 for MATIC
    "resolv-rlp",  # a yield-bearing dollar tranche, follows sUSDe's drift
}
_NOT_USD = "EUR Stablecoin|Tokenized Gold|Tokenized Silver|Tokenized Commodities"


def _categories_explain(categories: str, words: tuple[str, ...]) -> bool:
    return any(w in categories for w in words)


@pytest.fixture(scope="session")
def coingecko(shared_data) -> dict[str, object]:
    """The real collection as a Market (built once; a few seconds) and its metadata."""
    root = shared_data / "coingecko-2025"
    coins = pd.read_csv(root / "coins.csv", dtype=str, keep_default_na=False)
    frames = []
    for coin in coins["coin_id"]:
        raw = pd.read_csv(root / "coins" / f"{coin}.csv.gz")
        raw = raw[(raw["timestamp"] % 86_400_000 == 0) & (raw["price"] > 0)]
        frames.append(
            pd.DataFrame(
                {
                    "date": pd.to_datetime(raw["timestamp"], unit="ms", utc=True),
                    "asset": coin,
                    "close": raw["price"].to_numpy(),
                    "market_cap": raw["market_cap"].to_numpy(),
                }
            )
        )
    long = pd.concat(frames, ignore_index=True)
    meta = coins.set_index("coin_id").replace("", np.nan)
    long["symbol"] = long["asset"].map(meta["symbol"])
    long["name"] = long["asset"].map(meta["name"])
    market = market_from_long(long, origin=str(root))

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(root / "metadata" / name, encoding="utf-8-sig", dtype=str)

    stable, wrapped, native = (
        read("stablecoins.csv"),
        read("wrapped_coins.csv"),
        read("native_coins.csv"),
    )
    return {
        "market": market,
        "ids": set(coins["coin_id"]),
        "stable": set(stable["coin_id"]),
        "usd_stable": set(stable["coin_id"][~stable["all_categories"].str.contains(_NOT_USD)]),
        "wrapped": set(wrapped["coin_id"]),
        "native": dict(zip(native["coin_id"], native["categories"].fillna(""), strict=True)),
    }


def test_real_market_shape(coingecko):
    market = coingecko["market"]
    assert len(market.asset_ids) > 1_000 and len(market.dates) > 4_000
    assert market.tags["tether"] == {"stablecoin"}  # the loader attached the shipped list


def test_shipped_ids_exist(coingecko):
    known = coingecko["ids"] | coingecko["stable"] | coingecko["wrapped"]
    known |= set(coingecko["native"])
    absent = set(builtin_tags()) - known
    assert absent == ABSENT_FROM_COLLECTION
    in_collection = set(builtin_tags()) & coingecko["ids"]
    assert len(in_collection) / len(builtin_tags()) > 0.9


def test_shipped_stablecoins_agree_with_the_metadata(coingecko):
    shipped = builtin_tags()
    stablecoins = {a for a, t in shipped.items() if "stablecoin" in t} & coingecko["ids"]
    classified = coingecko["stable"] | coingecko["wrapped"] | set(coingecko["native"])
    disagree = {a for a in stablecoins & classified if a not in coingecko["stable"]}
    # The collector's own categories call the rest bridged, Binance-Peg or
    # yield-bearing stablecoins; sUSDe it files as liquid staking.
    explained = {
        a
        for a in disagree
        if _categories_explain(
            coingecko["native"].get(a, ""), ("Bridged", "Binance-Peg", "Stablecoin")
        )
        or a in coingecko["wrapped"]
    }
    assert disagree - explained == STABLECOIN_DISAGREEMENTS
    # Every metadata stablecoin in the collection is ours too, or (gold, silver) pegged.
    for coin in coingecko["stable"] & coingecko["ids"]:
        assert shipped[coin] & {"stablecoin", "pegged"}, coin
        if coin not in coingecko["usd_stable"]:
            assert "pegged" in shipped[coin], coin


def test_shipped_wrapped_agree_with_the_metadata(coingecko):
    shipped = builtin_tags()
    ours = {a for a, t in shipped.items() if t & {"wrapped", "staked"}} & coingecko["ids"]
    disagree = {a for a in ours & set(coingecko["native"])}
    explained = {
        a
        for a in disagree
        if _categories_explain(
            coingecko["native"][a], ("Bridged", "Binance-Peg", "Liquid Restaking", "Liquid Staked")
        )
    }
    assert disagree - explained == WRAPPED_DISAGREEMENTS
    theirs = coingecko["wrapped"] & coingecko["ids"]
    not_ours = {a for a in theirs if not shipped.get(a, set()) & {"wrapped", "staked"}}
    assert not_ours == METADATA_NOT_WRAPPED
    assert shipped["nusd"] == {"stablecoin"}


def test_stablecoin_detector_on_real_data(coingecko):
    market = coingecko["market"]
    found = likely_stablecoins(market)
    flagged = set(found["asset"])
    days = market.close.notna().sum()
    usd = {a for a in coingecko["usd_stable"] if a in days.index and days[a] >= 30}
    recall = len(flagged & usd) / len(usd)
    assert recall > 0.95
    assert usd - flagged == {"usdx"}  # Kava's USDX: below $0.97 on most days since 2022
    # Everything flagged is a stablecoin we ship (people confirmed every one).
    assert found["tagged"].all()
    # Against the metadata: the flagged coins it calls native are bridged ones and Sai.
    native = {a for a in flagged if a in coingecko["native"]}
    assert {a for a in native if "Bridged" not in coingecko["native"][a]} <= {
        "binance-peg-dai",
        "sai",
    }


def test_wrapped_detector_on_real_data(coingecko):
    market = coingecko["market"]
    found = likely_wrapped(market)
    flagged = set(found["asset"])
    days = market.close.notna().sum()
    claims = {
        a for a in coingecko["wrapped"] - METADATA_NOT_WRAPPED if a in days.index and days[a] >= 30
    }
    assert claims - flagged <= set(WRAPPED_MISSES)
    assert len(flagged & claims) / len(claims) > 0.85
    assert set(found["asset"][~found["tagged"]]) <= WRAPPED_FALSE_ALARMS
    assert found["tagged"].mean() > 0.9
    by_asset = found.set_index("asset")
    assert by_asset.loc["wrapped-bitcoin", "tracks"] == "bitcoin"
    assert by_asset.loc["weth", "tracks"] == "ethereum"
    assert by_asset.loc["rocket-pool-eth", "criterion"] == "drifting ratio"
    assert by_asset.loc["renbtc", "criterion"] == "tracks in a 365-day window"
    # No pair of dollar stablecoins is reported as wrapped.
    assert not (set(found["asset"]) & set(likely_stablecoins(market)["asset"]))
