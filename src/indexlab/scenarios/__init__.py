"""Scenario prices at total-market tiers: market-share arithmetic, made explicit.

"TRX at a 23T total crypto market cap" means: if TRX keeps a share ``s`` of the
total crypto market cap ``T`` and ``S`` coins circulate, its price is

    P = s * T / S

and, the other way round, the asset reaches a target price ``P*`` when the total is

    T* = P* * S / s.

Nothing here forecasts: ``s`` and ``S`` are assumptions, and every output says which.

* **Tiers** (:func:`parse_tiers`): total market caps in USD, written ``8T``, ``500B``,
  ``1.5T``, ``750M``, ``2e12`` or ``8000000000000`` (suffixes K, M, B, T, case-insensitive,
  an optional leading ``$``). A bare number is USD; one below $1M is refused as a likely
  missing suffix.
* **Share cases** (:func:`parse_shares`): ``name=how`` pairs, default
  ``bear=p25,base=p50,moon=p90``. ``pQ`` is the Q-th percentile of the asset's daily
  share ``market cap / total market cap`` over the lookback (the ``round(365.25 *
  lookback_years)`` days ending on the as-of date, days without a share skipped; linear
  interpolation, as ``pandas.Series.quantile``); ``as-of`` is the share on the as-of
  date; a number is a share given by the user, as a fraction (``0.005``) or a percentage
  (``0.5%``).
* **Supply**: the circulating supply implied on the as-of date, ``S0 = market cap /
  price``, optionally grown at an annual rate ``g`` to a horizon ``h`` days later:
  ``S = S0 * (1 + g) ** (h / 365)``.
* **Total market cap**: the series beside the Market
  (:meth:`~indexlab.market.Market.with_total_market_cap`). The demo market has none;
  :func:`total_from_assets` sums its assets' market caps instead, and says so.

:func:`scenario` returns a :class:`Scenario`: the tidy table (one row per tier x case),
the inverse table (one row per target x case) and the assumptions. The kernels
(:func:`prices_at_tiers`, :func:`tiers_for_prices`, :func:`grown_supply`) work on arrays.
"""

from indexlab.scenarios.arithmetic import (
    DAYS_PER_YEAR,
    SUFFIXES,
    format_amount,
    format_amounts,
    format_price,
    grown_supply,
    prices_at_tiers,
    tiers_for_prices,
)
from indexlab.scenarios.build import DEFAULT_LOOKBACK_YEARS, scenario, total_from_assets
from indexlab.scenarios.model import Scenario
from indexlab.scenarios.parsing import (
    AS_OF,
    DEFAULT_SHARES,
    SMALLEST_BARE_TIER,
    ShareCase,
    parse_rate,
    parse_shares,
    parse_tiers,
)

__all__ = [
    "AS_OF",
    "DAYS_PER_YEAR",
    "DEFAULT_LOOKBACK_YEARS",
    "DEFAULT_SHARES",
    "SMALLEST_BARE_TIER",
    "SUFFIXES",
    "Scenario",
    "ShareCase",
    "format_amount",
    "format_amounts",
    "format_price",
    "grown_supply",
    "parse_rate",
    "parse_shares",
    "parse_tiers",
    "prices_at_tiers",
    "scenario",
    "tiers_for_prices",
    "total_from_assets",
]
