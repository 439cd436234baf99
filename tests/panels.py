"""Random, awkward market panels for property-based tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

import indexlab


def random_panel(
    seed: int,
    n_days: int,
    n_assets: int,
    *,
    start: str = "2020-01-01",
    gap_rate: float = 0.02,
    missing_cap_rate: float = 0.03,
    ties: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Close and market-cap panels with late listings, delistings, gaps inside an
    asset's life, missing / zero / negative market caps, and occasional tied caps."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range(start, periods=n_days, freq="D")
    assets = [f"A{j:02d}" for j in range(n_assets)]
    log_returns = rng.standard_t(3, size=(n_days, n_assets)) * rng.uniform(0.01, 0.08, n_assets)
    close = np.exp(np.cumsum(log_returns, axis=0)) * rng.uniform(0.01, 1000, n_assets)
    supply = rng.uniform(1e6, 1e9, n_assets) * np.exp(
        np.cumsum(rng.normal(0, 0.001, (n_days, n_assets)), axis=0)
    )
    cap = close * supply
    if ties and n_assets >= 2 and rng.random() < 0.3:
        cap[:, 1] = cap[:, 0]  # exact ties, broken by asset id
    alive = np.ones((n_days, n_assets), dtype=bool)
    for j in range(n_assets):
        if rng.random() < 0.4:
            alive[: rng.integers(0, n_days), j] = False  # late listing
        if rng.random() < 0.4:
            alive[rng.integers(0, n_days) :, j] = False  # delisting
    alive[:, 0] |= rng.random() < 0.5  # often one asset lives throughout
    gaps = rng.random((n_days, n_assets)) < gap_rate
    close = np.where(alive & ~gaps, close, np.nan)
    cap = np.where(alive & ~gaps, cap, np.nan)
    bad_cap = rng.random((n_days, n_assets)) < missing_cap_rate
    cap = np.where(bad_cap, rng.choice([np.nan, 0.0, -5.0], size=cap.shape), cap)
    return (
        pd.DataFrame(close, index=dates, columns=assets),
        pd.DataFrame(cap, index=dates, columns=assets),
    )


def panel_market(close: pd.DataFrame, cap: pd.DataFrame, **kwargs) -> indexlab.Market:
    return indexlab.Market.from_panels(close, cap, source="random panel", **kwargs)
