"""The demo market's assets (see :mod:`indexlab.sources.demo` for the model): the famous
ones with their parameters, and the invented coins with their names, listings, sizes,
lives and parameters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

START = "2017-01-01"  # the demo calendar's first day (row 0)
N_GENESIS = 150  # ordinary coins already listed on the first day
N_LISTED = 300  # ordinary coins listed later
LISTINGS_PER_REGIME = (3.0, 1.0, 1.5)  # relative listing intensity in bull, bear, quiet

# id, symbol, name, listing date, kind, underlying (for wrapped tokens)
FAMOUS = (
    ("bitcoin", "BTC", "Bitcoin", "2017-01-01", "coin", ""),
    ("ethereum", "ETH", "Ethereum", "2017-01-01", "coin", ""),
    ("tron", "TRX", "TRON", "2017-09-13", "coin", ""),
    ("tether", "USDT", "Tether", "2017-01-01", "stablecoin", ""),
    ("usd-coin", "USDC", "USDC", "2018-10-08", "stablecoin", ""),
    ("binance-usd", "BUSD", "Binance USD", "2019-09-20", "stablecoin", ""),
    ("dai", "DAI", "Dai", "2019-11-18", "stablecoin", ""),
    ("weth", "WETH", "WETH", "2018-06-01", "wrapped", "ethereum"),
    ("wrapped-bitcoin", "WBTC", "Wrapped Bitcoin", "2019-01-30", "wrapped", "bitcoin"),
)
# beta, idio vol, drift per day, half-life of the noise in years, first price, turnover
FAMOUS_COINS = {
    "bitcoin": (1.0, 0.008, 0.0, 4.0, 998.0, 0.035),
    "ethereum": (1.15, 0.025, 0.0003, 3.0, 8.2, 0.045),
    "tron": (1.3, 0.03, 0.0004, 1.5, 0.0025, 0.08),
}
# stablecoin: (supply on listing, supply at its peak as a share of Bitcoin's
# highest market cap until then, death date or "")
STABLE_SUPPLY = {
    "tether": (1.0e7, 0.07, ""),
    "usd-coin": (1.5e8, 0.03, ""),
    "binance-usd": (5.0e7, 0.02, "2024-12-31"),
    "dai": (1.0e8, 0.005, ""),
}
_ONSETS = tuple("b c d f g h j k l m n p r s t v w z br cr dr fl gr kr pl pr sk st tr th x".split())
_VOWELS = tuple("a e i o u a e i o ai ea io ia ou y".split())
_CODAS = ("",) * 5 + tuple("n r x s l m k".split())
_SUFFIXES = ("",) * 8 + (" Network", " Protocol", " Finance", " Chain", " Swap", " DAO", " AI")


def row_of(date: str) -> int:
    """The row of ``date`` in the demo calendar."""
    return (pd.Timestamp(date) - pd.Timestamp(START)).days


def plan_assets(rng: np.random.Generator, regime: np.ndarray) -> pd.DataFrame:
    """One row per asset, indexed and sorted by asset id, with its life's parameters."""
    n_days = len(regime)
    plan = pd.concat([_famous_assets(n_days), _invented_coins(rng, regime)]).sort_index()
    neutral = {"bleed_days": 1, "half_life_years": 1.0, "idio_vol": 0.01, "underlying": ""}
    plan = plan.fillna(neutral).fillna(0.0).infer_objects()
    integer = ["listing_row", "death_row", "bleed_days"]
    plan[integer] = plan[integer].astype(np.int64)
    plan["dies"] = plan["dies"].astype(bool)
    plan.index.name = "asset"
    return plan


def _invented_coins(rng: np.random.Generator, regime: np.ndarray) -> pd.DataFrame:
    """The ``demo-coin-NNN`` rows: listings, sizes, names, lives and parameters (the
    random draws in a fixed order, so a seed gives the same market)."""
    n_days = len(regime)
    n_coins = N_GENESIS + N_LISTED
    listing_row, log_cap0 = _listings(rng, regime)
    smallness = np.argsort(np.argsort(-log_cap0)) / (n_coins - 1)  # 0 largest .. 1 smallest
    memecoin = (listing_row > 800) & (rng.random(n_coins) < 0.08)
    names, symbols = _invent_names(
        rng, n_coins, {f[1] for f in FAMOUS} | {f[0].upper() for f in FAMOUS}
    )
    names = [n.split(" ")[0] + " Inu" if m else n for n, m in zip(names, memecoin, strict=True)]
    death_row, bleed_days = _lives(rng, listing_row, smallness, memecoin)
    return pd.DataFrame(
        {
            "symbol": symbols,
            "name": names,
            "kind": np.where(memecoin, "memecoin", "coin"),
            "listing_row": listing_row,
            "death_row": np.minimum(death_row, n_days - 1),
            "dies": death_row < n_days - 1,
            "bleed_days": bleed_days,
            "bleed_move": rng.uniform(np.log(0.005), np.log(0.08), n_coins),
            "beta": rng.normal(1.4, 0.3, n_coins).clip(0.6, 2.2),
            "idio_vol": 0.028 * np.exp(rng.normal(0, 0.25, n_coins)) * (1 + smallness)
            + 0.03 * memecoin,
            "drift": rng.normal(-0.0002, 0.0003, n_coins) - 0.001 * memecoin,
            "half_life_years": rng.uniform(1.0, 4.0, n_coins),
            "log_cap0": log_cap0,
            "log_price0": rng.uniform(np.log(1e-3), np.log(50.0), n_coins),
            "supply_growth": rng.uniform(0.0, 0.2, n_coins),
            "turnover": 0.05 * np.exp(rng.normal(0, 0.6, n_coins)),
        },
        index=[f"demo-coin-{i:03d}" for i in range(1, n_coins + 1)],
    )


def _listings(rng: np.random.Generator, regime: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Listing rows (the genesis coins on day 0, the rest spread over the period, more in
    bull runs) and log market caps at listing."""
    n_days = len(regime)
    intensity = np.asarray(LISTINGS_PER_REGIME)[regime[1 : n_days - 90]]
    later = 1 + rng.choice(n_days - 91, size=N_LISTED, p=intensity / intensity.sum())
    listing_row = np.concatenate([np.zeros(N_GENESIS, dtype=np.int64), np.sort(later)])
    # Caps at listing in "2017 dollars" (scaled later by the market level): Zipf
    # by rank for the genesis coins (rank 1 is Bitcoin), Pareto for later ones.
    genesis_cap = 9e8 * np.arange(2, N_GENESIS + 2) ** -1.35
    listed_cap = 3e6 * (1.0 + rng.pareto(1.0, N_LISTED).clip(0, 400))
    n_coins = N_GENESIS + N_LISTED
    log_cap0 = np.log(np.concatenate([genesis_cap, listed_cap])) + rng.normal(0, 0.3, n_coins)
    return listing_row, log_cap0


def _lives(
    rng: np.random.Generator, listing_row: np.ndarray, smallness: np.ndarray, memecoin: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Death rows and the days of the final bleed: a hazard, higher for small coins and
    memecoins. A new coin lives at least 150 days; a genesis coin may already be
    bleeding out on the first day."""
    n_coins = len(listing_row)
    hazard_per_day = (0.04 + 0.12 * smallness) * (1 + 2 * memecoin) / 365.0
    genesis = listing_row == 0
    lifetime = np.where(genesis, 1, 150) + rng.exponential(1.0 / hazard_per_day).astype(np.int64)
    death_row = listing_row + lifetime
    fast = rng.random(n_coins) < 0.08
    bleed_days = np.where(fast, rng.integers(2, 15, n_coins), rng.integers(90, 500, n_coins))
    bleed_days = np.where(genesis, bleed_days, np.minimum(bleed_days, lifetime - 30))
    return death_row, bleed_days


def _famous_assets(n_days: int) -> pd.DataFrame:
    """Bitcoin, Ether, TRON, the stablecoins and the wrapped tokens, with their parameters."""
    famous = pd.DataFrame(
        [
            {
                "symbol": symbol,
                "name": name,
                "kind": kind,
                "listing_row": row_of(listed),
                "death_row": n_days - 1,
                "dies": False,
                "underlying": underlying,
                "turnover": {"stablecoin": 0.4, "wrapped": 0.02}.get(kind, 0.05),
            }
            for _, symbol, name, listed, kind, underlying in FAMOUS
        ],
        index=[f[0] for f in FAMOUS],
    )
    for asset, values in FAMOUS_COINS.items():
        columns = ["beta", "idio_vol", "drift", "half_life_years", "log_price0", "turnover"]
        famous.loc[asset, columns] = [*values[:4], np.log(values[4]), values[5]]
    for asset, (_, _, death) in STABLE_SUPPLY.items():
        if death:
            famous.loc[asset, ["death_row", "dies"]] = [row_of(death), True]
    return famous


def _invent_names(rng: np.random.Generator, n: int, taken: set[str]) -> tuple[list, list]:
    """``n`` invented coin names, each with a unique symbol not in ``taken``."""
    names: list[str] = []
    symbols: list[str] = []
    stems: set[str] = set()
    while len(names) < n:
        batch = 2 * n
        onset = rng.integers(len(_ONSETS), size=(batch, 3))
        vowel = rng.integers(len(_VOWELS), size=(batch, 3))
        coda = rng.integers(len(_CODAS), size=batch)
        syllables = rng.integers(2, 4, size=batch)
        suffix = rng.integers(len(_SUFFIXES), size=batch)
        for k in range(batch):
            parts = [_ONSETS[onset[k, j]] + _VOWELS[vowel[k, j]] for j in range(syllables[k])]
            stem = ("".join(parts) + _CODAS[coda[k]])[:10].capitalize()
            letters = stem.upper()
            consonants = letters[0] + "".join(c for c in letters[1:] if c not in "AEIOUY")
            options = (letters[:3], consonants[:3], letters[:4], consonants[:4], letters[:5])
            symbol = next((s for s in options if len(s) >= 3 and s not in taken), None)
            if symbol is None or stem in stems:
                continue
            stems.add(stem)
            taken.add(symbol)
            names.append(stem + _SUFFIXES[suffix[k]])
            symbols.append(symbol)
            if len(names) == n:
                break
    return names, symbols
