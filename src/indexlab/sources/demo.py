"""The built-in demo market: a seeded, synthetic crypto market (synthetic demo data).

indexlab runs out of the box on this market. Nothing in it is real data: prices,
caps and volumes come from a small generative model, fully determined by the seed.

The model, for day t and asset i:

* a market factor ``m_t``: Student-t innovations (df 4) with clustered volatility
  and rare crash days, driven by a cyclic regime chain bull -> bear -> quiet ->
  bull with random durations (a semi-Markov switch of drift and volatility).
  Each regime ends exactly at a drawn total move (the innovations are bridged
  inside each regime): bulls x6..x20, smaller from one cycle to the next; bears
  -65..-80 % from their first to their last day, -75..-90 % peak to trough;
  quiet phases x0.9..x2.5. So every seed has visible bull runs and crashes
  like 2018 and 2022;
* log prices ``beta_i (M_t - mean trend) + mean trend + drift_i t + x_it``: a
  beta on the market's cycles (not on its long-run trend, so high-beta coins
  boom and bust harder without compounding into absurd sizes), a drift (most
  coins lose ground to Bitcoin) and idiosyncratic Student-t noise that slowly
  mean-reverts (``x_it`` is a discrete Ornstein-Uhlenbeck process with a half-life
  of one to four years), with more noise for smaller coins;
* caps at listing that are Zipf-like by rank, scaled by the market level, so the
  cross-section of market caps is roughly a power law by rank;
* listings spread over the whole period (three times as many per day in bull
  markets as in bear markets) and a hazard of death (higher for small coins and
  memecoins): a dying coin bleeds out (-92..-99.5 % on top of the market; some
  collapse within days), then its rows stop (``NaN`` after its last day). Dead
  coins stay in the panel;
* circulating supply growing slowly (Bitcoin follows its halving schedule), cap
  = price x supply, and USD volumes proportional to cap with noise, larger on
  big moves;
* stablecoins at 1.00 with tiny noise and a supply that grows in bull markets and
  shrinks in bear markets, scaled to Bitcoin's size (one of them winds down and
  dies); two wrapped tokens that track Bitcoin and Ether.

The assets and their parameters are planned in :mod:`indexlab.sources.demo_assets`;
the paths (market factor, prices, supply) here.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from indexlab.market import Market
from indexlab.sources.demo_assets import STABLE_SUPPLY, START, plan_assets, row_of

END = "2025-06-30"

BULL, BEAR, QUIET = 0, 1, 2
# regime: (duration range in days, total log move range, daily volatility)
REGIMES = {
    BULL: ((330, 700), (np.log(6.0), np.log(20.0)), 0.032),
    BEAR: ((300, 420), (np.log(0.20), np.log(0.35)), 0.036),
    QUIET: ((200, 500), (np.log(0.9), np.log(2.5)), 0.022),
}
NEXT_REGIME = {BULL: BEAR, BEAR: QUIET, QUIET: BULL}
BULL_SHRINK = 0.8  # the k-th bull run's drawn log move is scaled by BULL_SHRINK ** k
STABLE_GROWTH_PER_REGIME = (1.0, -0.25, 0.35)  # relative stablecoin supply growth

# wrapped token: supply knots (days since listing, units of the underlying)
WRAPPED_SUPPLY = {
    "wrapped-bitcoin": ((0, 300.0), (400, 2.0e4), (700, 2.3e5), (1500, 2.0e5), (2200, 1.3e5)),
    "weth": ((0, 2.0e4), (700, 3.0e5), (1200, 7.0e6), (2000, 4.0e6), (2500, 2.8e6)),
}
BITCOIN_HALVINGS = ("2020-05-11", "2024-04-20")


def demo_market(seed: int = 7) -> Market:
    """A synthetic crypto market of 459 assets, daily from 2017-01-01 to 2025-06-30.

    Deterministic for a given ``seed``; nothing is cached. The assets are
    ``bitcoin`` (BTC, the largest by market cap), ``ethereum`` (ETH), ``tron``
    (TRX, a mid/large cap listed in September 2017), four stablecoins (tagged
    ``stablecoin``; ``binance-usd`` dies at the end of 2024), two wrapped tokens
    (tagged ``wrapped``) and 450 invented coins ``demo-coin-001`` ..
    ``demo-coin-450`` numbered by listing date, a few of them tagged
    ``memecoin``. Every asset has a unique symbol. About 150 assets are alive on
    the first day and 180-290 from 2018 on, so a top-100 universe can be filled
    on every date, a top-200 one not always. ``source`` says "synthetic demo
    data" and ``synthetic`` is True.

    The model is described in the module docstring (``help(indexlab.sources.demo)``).
    """
    rng = np.random.default_rng(seed)
    dates = pd.date_range(START, END, freq="D", name="date")
    market_return, regime, vol_multiplier = _market_factor(rng, len(dates))
    plan = plan_assets(rng, regime)
    # Panels are built as asset x day arrays (each asset's history contiguous)
    # and handed to pandas transposed, without a copy.
    log_price = _coin_log_prices(rng, plan, market_return, vol_multiplier)
    log_supply = _coin_log_supply(plan, market_return, log_price)
    _stablecoins(rng, plan, regime, log_price, log_supply)
    _wrapped_tokens(rng, plan, log_price, log_supply)

    close = np.exp(log_price)
    market_cap = np.exp(log_price + log_supply)
    move = np.abs(np.diff(log_price, axis=1, prepend=log_price[:, :1]))
    volume_noise = _student_t(rng, len(plan), len(dates))
    # exp(-0.1) offsets the mean of the noise and of the big-move boost
    volume = market_cap * (plan["turnover"].to_numpy()[:, None] * np.exp(-0.1))
    volume *= np.exp(0.3 * volume_noise) * (1.0 + 6.0 * np.minimum(move, 1.0))
    for i, (first, last) in enumerate(plan[["listing_row", "death_row"]].to_numpy()):
        for panel in (close, market_cap, volume):
            panel[i, :first] = np.nan
            panel[i, last + 1 :] = np.nan

    tags = {a: {k} for a, k in plan["kind"].items() if k in ("stablecoin", "wrapped", "memecoin")}
    return Market.from_panels(
        pd.DataFrame(close.T, index=dates, columns=plan.index, copy=False),
        pd.DataFrame(market_cap.T, index=dates, columns=plan.index, copy=False),
        pd.DataFrame(volume.T, index=dates, columns=plan.index, copy=False),
        assets=plan[["symbol", "name"]],
        tags=tags,
        source=f"indexlab demo market (synthetic demo data, seed {seed})",
        synthetic=True,
    )


# ------------------------------------------------------------------ randomness
def _student_t(rng: np.random.Generator, n_assets: int, n_days: int) -> np.ndarray:
    """Student-t draws (df 4) scaled to unit variance, as an (n_assets, n_days) array.

    Uses the closed-form quantile of the t distribution with 4 degrees of freedom
    on float32 uniforms (five times faster than ``Generator.standard_t``), and
    clips at 10 standard deviations.
    """
    p = rng.random((n_assets, n_days), dtype=np.float32).clip(1e-7, 1 - 1e-7)
    root = np.sqrt(4.0 * p * (1.0 - p))
    q = np.cos(np.arccos(root) / 3.0) / root
    draws = np.copysign(np.sqrt(2.0 * np.maximum(q - 1.0, 0.0)), p - 0.5)  # / sqrt(2)
    return np.clip(draws, -10.0, 10.0)


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    """A stationary AR(1) series of length ``n`` with standard deviation ``sd``."""
    kernel = phi ** np.arange(int(np.log(1e-4) / np.log(phi)) + 1)
    shocks = rng.standard_normal(n + len(kernel)) * sd * np.sqrt(1.0 - phi**2)
    return np.convolve(shocks, kernel)[len(kernel) : len(kernel) + n]


# --------------------------------------------------------------- market factor
def _market_factor(
    rng: np.random.Generator, n_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Daily market log returns, each day's regime, and the volatility multiplier."""
    states, durations, moves = [], [], []
    state, total = BULL, 0
    while total < n_days:
        (low, high), (move_low, move_high), _ = REGIMES[state]
        duration = int(rng.integers(low, high + 1))
        move = rng.uniform(move_low, move_high)
        if state == BULL:  # diminishing returns from one cycle to the next
            move *= BULL_SHRINK ** states.count(BULL)
        if total + duration > n_days:  # the last regime is cut short by the end of the data
            move *= (n_days - total) / duration
            duration = n_days - total
        states.append(state)
        durations.append(duration)
        moves.append(move)
        state, total = NEXT_REGIME[state], total + duration
    regime = np.repeat(states, durations)
    daily_vol = np.array([REGIMES[s][2] for s in (BULL, BEAR, QUIET)])[regime]
    vol_multiplier = np.exp(_ar1(rng, n_days, phi=0.985, sd=0.25) - 0.5 * 0.25**2)
    noise = daily_vol * vol_multiplier * _student_t(rng, 1, n_days)[0].clip(-6.0, 6.0)
    crash_day = rng.random(n_days) < 1.0 / 250.0
    noise += np.where(crash_day, rng.normal(-0.12, 0.05, n_days), 0.0)
    # Bridge: swap each regime's mean noise for its drawn drift, so that the
    # regime ends exactly at its drawn total move.
    starts = np.cumsum([0, *durations[:-1]])
    mean_noise = np.add.reduceat(noise, starts) / np.asarray(durations)
    drift = np.asarray(moves) / np.asarray(durations)
    return noise + np.repeat(drift - mean_noise, durations), regime, vol_multiplier


# ---------------------------------------------------------------------- assets
# ---------------------------------------------------------------------- prices
def _coin_log_prices(
    rng: np.random.Generator,
    plan: pd.DataFrame,
    market_return: np.ndarray,
    vol_multiplier: np.ndarray,
) -> np.ndarray:
    """Log prices (asset x day) from the factor model; rows before a listing are filler.

    Stablecoins and wrapped tokens get placeholder paths, replaced later.
    """
    days = np.arange(len(market_return))
    listing = plan["listing_row"].to_numpy()
    at_listing = (np.arange(len(plan)), listing)
    # Beta applies to the market's cycles, not to its long-run trend.
    trend = market_return.mean()
    cycle = np.cumsum(market_return - trend)
    log_price = np.multiply.outer(plan["beta"].to_numpy(), cycle)
    log_price += np.multiply.outer(trend + plan["drift"].to_numpy(), days)
    # Idiosyncratic noise x_t = phi x_(t-1) + shock_t, started at the listing,
    # computed as phi^t (S_t - S_listing) with S the cumulative sum of phi^-t shock_t.
    decay = np.log(2.0) / (365.0 * plan["half_life_years"].to_numpy())
    log_scale = np.add.outer(np.log(plan["idio_vol"].to_numpy()), np.log(vol_multiplier))
    log_scale += np.multiply.outer(decay, days)
    noise = np.cumsum(_student_t(rng, len(plan), len(days)) * np.exp(log_scale), axis=1)
    noise -= noise[at_listing][:, None]
    noise *= np.exp(np.multiply.outer(-decay, days))
    log_price += noise
    log_price += (plan["log_price0"].to_numpy() - log_price[at_listing])[:, None]
    # Dying coins bleed out over their last days.
    dying = np.flatnonzero(plan["dies"].to_numpy())
    bleed_start = (plan["death_row"] - plan["bleed_days"]).to_numpy()[dying]
    progress = (days - bleed_start[:, None]) / plan["bleed_days"].to_numpy()[dying, None]
    log_price[dying] += plan["bleed_move"].to_numpy()[dying, None] * progress.clip(0.0, 1.0)
    return log_price


# ---------------------------------------------------------------------- supply
def _coin_log_supply(
    plan: pd.DataFrame, market_return: np.ndarray, log_price: np.ndarray
) -> np.ndarray:
    """Log circulating supply (asset x day): the cap at listing over the price, slowly growing.

    Bitcoin, Ether and TRON follow a fixed schedule instead.
    """
    days = np.arange(len(market_return))
    listing = plan["listing_row"].to_numpy()
    market_level = np.cumsum(market_return)
    log_cap_listed = plan["log_cap0"].to_numpy() + 0.9 * market_level[listing]
    log_supply0 = log_cap_listed - log_price[np.arange(len(plan)), listing]
    age_years = np.maximum(days - listing[:, None], 0) / 365.0
    log_supply = np.log1p(age_years * plan["supply_growth"].to_numpy()[:, None])
    log_supply += log_supply0[:, None]

    row = plan.index.get_loc
    halvings = [row_of(d) for d in BITCOIN_HALVINGS]
    issuance = np.select([days < halvings[0], days < halvings[1]], [1800.0, 900.0], 450.0)
    log_supply[row("bitcoin")] = np.log(16.08e6 + np.cumsum(issuance) - issuance[0])
    log_supply[row("ethereum")] = _interp_log(
        days, ((0, 83.1e6), (row_of("2022-09-15"), 120.3e6), (days[-1], 120.6e6))
    )
    tron_knots = (
        ("2017-09-13", 65.7e9),
        ("2020-06-01", 66.7e9),
        ("2021-06-01", 71.7e9),
        ("2021-12-01", 101.7e9),
        ("2022-06-01", 92.0e9),
        ("2024-03-01", 87.7e9),
        (END, 94.9e9),
    )
    log_supply[row("tron")] = _interp_log(days, [(row_of(d), s) for d, s in tron_knots])
    return log_supply


def _interp_log(rows: np.ndarray, knots: Iterable[tuple[float, float]]) -> np.ndarray:
    """Log of a curve through ``(row, value)`` knots, linear in between, flat outside."""
    knot_rows, values = zip(*knots, strict=True)
    return np.interp(rows, knot_rows, np.log(values))


def _stablecoins(
    rng: np.random.Generator,
    plan: pd.DataFrame,
    regime: np.ndarray,
    log_price: np.ndarray,
    log_supply: np.ndarray,
) -> None:
    """Write the stablecoins' prices and supplies into ``log_price`` and ``log_supply``.

    Price: 1.00 with tiny mean-reverting noise. Supply: grows fast in bull
    markets, a little in quiet ones, shrinks in bear markets, more slowly with
    age; a dying stablecoin winds down over its last 650 days.
    """
    n_days = len(regime)
    rows = np.arange(n_days)
    growth_weight = np.asarray(STABLE_GROWTH_PER_REGIME)[regime]
    bitcoin = plan.index.get_loc("bitcoin")
    bitcoin_cap = np.exp(log_price[bitcoin] + log_supply[bitcoin])
    for asset, (first_supply, peak_share, death) in STABLE_SUPPLY.items():
        i, listing = plan.index.get_loc(asset), int(plan.at[asset, "listing_row"])
        peg_noise = np.clip(_ar1(rng, n_days, phi=0.8, sd=0.002), -0.02, 0.02)
        log_price[i] = np.log1p(peg_noise)
        peak = int(plan.at[asset, "death_row"]) - 650 if death else n_days - 1
        age = np.maximum(rows - listing, 0)
        growth = np.cumsum(np.where(rows > listing, growth_weight * np.exp(-age / 1500.0), 0.0))
        growth /= max(growth[: peak + 1].max(), 1e-9)
        peak_supply = peak_share * bitcoin_cap[: peak + 1].max()
        curve = np.log(first_supply) + np.log(peak_supply / first_supply) * growth
        if death:
            wind_down = np.clip((rows - peak) / 650.0, 0.0, 1.0)
            curve = np.where(rows > peak, curve[peak] + np.log(0.01) * wind_down, curve)
        log_supply[i] = curve + _ar1(rng, n_days, phi=0.95, sd=0.03)


def _wrapped_tokens(
    rng: np.random.Generator, plan: pd.DataFrame, log_price: np.ndarray, log_supply: np.ndarray
) -> None:
    """Write the wrapped tokens' prices and supplies into ``log_price`` and ``log_supply``.

    Price: the underlying's, with 0.15 % noise. Supply: a fixed curve of units wrapped.
    """
    n_days = log_price.shape[1]
    for asset, knots in WRAPPED_SUPPLY.items():
        i, listing = plan.index.get_loc(asset), int(plan.at[asset, "listing_row"])
        underlying = plan.index.get_loc(plan.at[asset, "underlying"])
        log_price[i] = log_price[underlying] + rng.normal(0.0, 0.0015, n_days)
        log_supply[i] = _interp_log(np.arange(n_days) - listing, knots)
