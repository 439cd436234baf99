"""The benchmark panels: real CoinGecko data and seeded synthetic stand-ins.

Three panels, 3,650 days each: ``real`` (500 coins; only when ``$INDEXLAB_SHARED_DATA``
is set), ``synthetic-500`` and ``synthetic-2000`` (500 and 2,000 seeded assets). Real
data come from ``$INDEXLAB_SHARED_DATA/coingecko-2025`` (read in place, never copied):
daily 00:00 UTC rows only, ``market_cap <= 0`` as missing, and the 500 coins with the
most such rows over the last 3,650 days. Every output names the panel it measured.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from indexlab.market import Market
from indexlab.sources.long_table import market_from_long

N_ASSETS = 500  # the real panel's coins
SYNTHETIC_SIZES = (500, 2_000)
N_DAYS = 3_650
DAY_MS = 86_400_000
SYNTHETIC_SEED = 20250724


@dataclass(frozen=True)
class Panel:
    """The market every library runs on, and how it was made."""

    key: str
    market: Market
    description: str
    synthetic: bool
    build_seconds: float


def shared_data_root() -> Path | None:
    """``$INDEXLAB_SHARED_DATA`` if it is set, else None."""
    value = os.environ.get("INDEXLAB_SHARED_DATA", "").strip()
    return Path(value) if value else None


def coingecko_long_table(root: Path) -> pd.DataFrame:
    """The long table (date, asset, close, market_cap) of the 500 most complete coins."""
    coins_dir = root / "coingecko-2025" / "coins"
    files = sorted(coins_dir.glob("*.csv.gz"))
    if not files:
        raise FileNotFoundError(f"{coins_dir}: no <coin>.csv.gz files")
    frames = []
    for path in files:
        rows = pd.read_csv(path, usecols=["timestamp", "price", "market_cap"])
        # Daily points sit at 00:00 UTC; hourly and intraday rows are dropped.
        rows = rows[rows["timestamp"] % DAY_MS == 0]
        rows = rows[np.isfinite(rows["price"]) & (rows["price"] > 0)]
        rows = rows.assign(asset=path.name.removesuffix(".csv.gz"))
        frames.append(rows)
    table = pd.concat(frames, ignore_index=True)
    table["date"] = pd.to_datetime(table["timestamp"], unit="ms")
    last = table["date"].max()
    table = table[table["date"] > last - pd.Timedelta(days=N_DAYS)]
    counts = table.groupby("asset").size().rename("rows").reset_index()
    # Most rows first; ties broken by coin id so the pick is reproducible.
    keep = counts.sort_values(["rows", "asset"], ascending=[False, True])["asset"][:N_ASSETS]
    table = table[table["asset"].isin(set(keep))]
    market_cap = table["market_cap"].where(table["market_cap"] > 0)
    return pd.DataFrame(
        {
            "date": table["date"].to_numpy(),
            "asset": table["asset"].to_numpy(),
            "close": table["price"].to_numpy(),
            "market_cap": market_cap.to_numpy(),
        }
    )


def synthetic_long_table(n_assets: int = N_ASSETS, seed: int = SYNTHETIC_SEED) -> pd.DataFrame:
    """A seeded stand-in of the same shape, with listings, delistings, gaps and missing caps.

    Asset 0 is called ``bitcoin`` so that indexlab takes the same code path as on real
    data (it runs a hidden bitcoin buy-and-hold for beta and correlation).
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(end="2025-07-24", periods=N_DAYS, freq="D")
    assets = np.array(["bitcoin"] + [f"synthetic-{i:04d}" for i in range(1, n_assets)])
    # 30% listed from the first day, the rest later; 5% delisted before the end.
    listing = np.where(rng.random(n_assets) < 0.3, 0, rng.integers(0, N_DAYS - 200, n_assets))
    listing[0] = 0
    death = np.full(n_assets, N_DAYS - 1)
    dying = rng.random(n_assets) < 0.05
    dying[0] = False
    death[dying] = listing[dying] + rng.integers(100, N_DAYS, dying.sum())
    death = np.minimum(death, N_DAYS - 1)
    vol = rng.uniform(0.02, 0.08, n_assets)
    log_price = np.cumsum(rng.standard_normal((N_DAYS, n_assets)) * vol, axis=0)
    log_supply = rng.normal(17.0, 2.0, n_assets) + np.linspace(0, 0.3, N_DAYS)[:, None]
    log_supply[:, 0] += 6.0
    rows = np.arange(N_DAYS)[:, None]
    alive = (rows >= listing) & (rows <= death) & (rng.random((N_DAYS, n_assets)) > 0.005)
    unknown_cap = rows < listing + rng.integers(0, 120, n_assets) * (rng.random(n_assets) < 0.2)
    close = np.exp(log_price)
    market_cap = np.where(unknown_cap, np.nan, np.exp(log_price + log_supply))
    r, c = np.nonzero(alive)
    return pd.DataFrame(
        {
            "date": dates[r],
            "asset": assets[c],
            "close": close[r, c],
            "market_cap": market_cap[r, c],
        }
    )


def panel_keys() -> list[str]:
    """The panels of this run: ``real`` first when ``$INDEXLAB_SHARED_DATA`` is set."""
    synthetic = [f"synthetic-{n}" for n in SYNTHETIC_SIZES]
    return (["real"] if shared_data_root() is not None else []) + synthetic


def build_panel(key: str) -> Panel:
    """The market of panel ``key``: ``real`` or ``synthetic-<assets>``."""
    start = time.perf_counter()
    if key == "real":
        root = shared_data_root()
        if root is None:
            raise RuntimeError("panel 'real' needs INDEXLAB_SHARED_DATA")
        long_table = coingecko_long_table(root)
        source = "CoinGecko daily 00:00 UTC ($INDEXLAB_SHARED_DATA/coingecko-2025)"
        synthetic, expected = False, N_ASSETS
    else:
        expected = int(key.removeprefix("synthetic-"))
        long_table = synthetic_long_table(expected)
        source = f"synthetic panel (seed {SYNTHETIC_SEED})"
        synthetic = True
    market = market_from_long(long_table, origin=source, source=source, synthetic=synthetic)
    n_dates, n_assets = market.close.shape
    if (n_dates, n_assets) != (N_DAYS, expected):
        raise RuntimeError(f"expected a {N_DAYS} x {expected} panel, built {n_dates} x {n_assets}")
    description = (
        f"{source}: {n_assets:,} assets x {n_dates:,} days, {market.start.date()} .. "
        f"{market.end.date()}, {int(market.close.notna().to_numpy().sum()):,} valid closes"
    )
    return Panel(key, market, description, synthetic, time.perf_counter() - start)
