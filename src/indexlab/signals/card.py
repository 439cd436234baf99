"""The price context card of an asset on a date, as rating services publish it.

"TRX: 0.27 USD, rank 9; +3.1 % over 7 days, -11 % over 30 days, +80 % over a year;
the signal is bullish, +104 % since the last flip (2024-07-16)."

Every number uses data up to the card's date only:

* price: the asset's last valid close on or before the date (the card says when it
  is older than the date);
* returns over 7 and 30 days and 1 year: P(d) / P(d - k days) - 1, with k = 7, 30,
  365 and P the last valid close on or before each date; year to date: P(d) over
  the close of 31 December of the year before (``NaN`` when a price is missing);
* market-cap rank: 1 + the number of assets with a larger valid market cap that day
  (ties broken by asset id, as the index rules break them), among all assets;
* since the last flip: see :mod:`indexlab.signals.flips` (the lag applies);
* dominance: the asset's market cap over the total market cap, when loaded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from indexlab.coverage import data_label
from indexlab.errors import DataError
from indexlab.market import Market
from indexlab.signals.flips import analyze_flips
from indexlab.signals.values import Signal, direction_name

RETURN_WINDOWS = {"change_7d": 7, "change_30d": 30, "change_1y": 365}


@dataclass(frozen=True)
class PriceCard:
    """An asset's price context on a date. Fractions are plain (0.8 = +80 %)."""

    asset: str
    symbol: str | None
    name: str | None
    date: pd.Timestamp
    price: float
    price_date: pd.Timestamp
    market_cap: float
    rank: int | None
    ranked_assets: int
    change_7d: float
    change_30d: float
    change_1y: float
    change_ytd: float
    signal: str | None
    signal_source: str | None
    last_flip_date: pd.Timestamp | None
    last_flip_direction: str | None
    return_since_last_flip: float
    flipped: bool
    pending_flip: str | None
    lag_days: int
    score: float
    rating: str | None
    dominance: float
    data: str
    synthetic: bool

    def to_series(self) -> pd.Series:
        """Field -> value, for a table or a CSV file."""
        return pd.Series(asdict(self), name=self.asset, dtype=object)

    def lines(self) -> list[str]:
        """The card as text, one fact a line."""
        title = self.symbol.upper() if self.symbol else self.asset
        named = f"{title} ({self.name})" if self.name else title
        stale = "" if self.price_date == self.date else f" (last close {self.price_date.date()})"
        rank = f"#{self.rank} of {self.ranked_assets}" if self.rank else "–"
        changes = (
            ("7d", self.change_7d),
            ("30d", self.change_30d),
            ("1y", self.change_1y),
            ("YTD", self.change_ytd),
        )
        rows = [
            ("price", f"{_money(self.price)}{stale}"),
            ("market cap", f"{_money(self.market_cap, 0)}   rank {rank}"),
            ("change", "   ".join(f"{label} {_percent(value)}" for label, value in changes)),
        ]
        if self.signal_source is not None:
            rows.append(("signal", f"{self.signal or '–'} ({self.signal_source})"))
            if self.last_flip_date is not None:
                rows.append(
                    (
                        "since last flip" if self.flipped else "since 1st signal",
                        f"{_percent(self.return_since_last_flip)}: {self.last_flip_direction} "
                        f"since the close of {self.last_flip_date.date()} "
                        f"(lag {self.lag_days} day(s))",
                    )
                )
            if self.pending_flip:
                rows.append(("pending flip", self.pending_flip))
        if self.rating is not None:
            rows.append(("rating", f"{self.rating} (score {self.score:.4g})"))
        if np.isfinite(self.dominance):
            rows.append(("dominance", f"{self.dominance:.2%} of the total market cap"))
        rows.append(("data", self.data))
        return [f"{named} on {self.date.date()}"] + [f"  {k:<17}{v}" for k, v in rows]

    def text(self) -> str:
        return "\n".join(self.lines())


def _money(value: float, decimals: int | None = None) -> str:
    if not np.isfinite(value):
        return "–"
    if decimals is None:
        decimals = 2 if value >= 1 else max(2, 3 - int(np.floor(np.log10(value))))
    return f"${value:,.{decimals}f}"


def _percent(value: float) -> str:
    return "–" if not np.isfinite(value) else f"{value:+.1%}".replace("-", "\u2212")


def _price_on(close: pd.Series, day: pd.Timestamp) -> float:
    """The last valid close on or before ``day`` (NaN if none)."""
    known = close.loc[:day].dropna()
    return float(known.iloc[-1]) if len(known) else np.nan


def market_cap_rank(market: Market, asset: str, date: pd.Timestamp) -> tuple[int | None, int]:
    """The asset's market-cap rank that day (None without a valid cap) and the number of
    assets with a valid cap."""
    caps = market.market_cap.loc[date].dropna()
    if asset not in caps.index:
        return None, len(caps)
    own = caps[asset]
    above = (caps > own) | ((caps == own) & (caps.index < asset))
    return int(above.sum()) + 1, len(caps)


def price_card(
    market: Market,
    asset: str,
    date: pd.Timestamp | str | None = None,
    *,
    signal: Signal | None = None,
    lag_days: int = 1,
) -> PriceCard:
    """The price context card of ``asset`` (an id or an unambiguous symbol) on ``date``
    (default: the asset's last valid close), using data up to ``date`` only.

    With ``signal``, the card adds the signal dated ``date``, the return since its last
    flip (traded ``lag_days`` after the signal, DESIGN section 3) and, for grades, the
    score and its rating band.
    """
    asset_id = market.resolve_asset(asset)
    close = market.close[asset_id]
    day = _card_day(market, asset_id, close, date)
    price = _price_on(close, day)
    changes = {
        key: price / _price_on(close, day - pd.Timedelta(days=days)) - 1.0
        for key, days in RETURN_WINDOWS.items()
    }
    year_end = pd.Timestamp(year=day.year - 1, month=12, day=31)
    changes["change_ytd"] = price / _price_on(close, year_end) - 1.0
    rank, ranked = market_cap_rank(market, asset_id, day)
    dominance = np.nan
    if market.total_market_cap is not None:
        dominance = float(market.market_cap.at[day, asset_id] / market.total_market_cap.loc[day])
    symbol, name = market.assets.at[asset_id, "symbol"], market.assets.at[asset_id, "name"]
    return PriceCard(
        asset=asset_id,
        symbol=symbol if isinstance(symbol, str) else None,
        name=name if isinstance(name, str) else None,
        date=day,
        price=price,
        price_date=close.loc[:day].last_valid_index(),
        market_cap=float(market.market_cap.at[day, asset_id]),
        rank=rank,
        ranked_assets=ranked,
        **changes,
        lag_days=lag_days,
        dominance=dominance,
        data=data_label(market),
        synthetic=market.synthetic,
        **_signal_facts(market, asset_id, close, day, signal, lag_days),
    )


def _card_day(
    market: Market, asset_id: str, close: pd.Series, date: pd.Timestamp | str | None
) -> pd.Timestamp:
    """The card's date, checked: in the data, and on or after the asset's first close."""
    valid = close.dropna()
    if valid.empty:
        raise DataError(f"{market.source}: {asset_id!r} has no valid close")
    day = valid.index[-1] if date is None else pd.Timestamp(date)
    if not market.start <= day <= market.end:
        raise DataError(
            f"date {day.date()}: outside the data of {market.source} "
            f"({market.start.date()} .. {market.end.date()})"
        )
    if day < valid.index[0]:
        raise DataError(
            f"{asset_id}: no valid close on or before {day.date()} (the first is on "
            f"{valid.index[0].date()})"
        )
    return day


def _signal_facts(
    market: Market,
    asset_id: str,
    close: pd.Series,
    day: pd.Timestamp,
    signal: Signal | None,
    lag_days: int,
) -> dict:
    """The card's signal fields: the signal and score on ``day``, its rating, and its
    last flip (none without a signal, or before the signal is first traded)."""
    flip: dict = {
        "signal": None,
        "signal_source": None,
        "last_flip_date": None,
        "last_flip_direction": None,
        "return_since_last_flip": np.nan,
        "flipped": False,
        "pending_flip": None,
        "score": np.nan,
        "rating": None,
    }
    if signal is None:
        return flip
    series = signal.series(asset_id, market.dates)
    flip["signal_source"] = signal.source
    flip["signal"] = direction_name(float(series.loc[day]))
    score = float(signal.score_series(asset_id, market.dates).loc[day])
    flip["score"] = score
    if np.isfinite(score):
        flip["rating"] = signal.bands.rate(pd.Series([score])).iloc[0]
    if not series.loc[:day].notna().any():
        return flip
    try:
        analysis = analyze_flips(
            close, series, lag_days=lag_days, fee_bps=0.0, slippage_bps=0.0, end=day
        )
    except DataError:  # the signal is not traded yet on this date
        return flip
    last = analysis.last_flip
    pending = analysis.pending
    flip.update(
        last_flip_date=last["date"],
        last_flip_direction=last["direction"],
        return_since_last_flip=analysis.return_since_last_flip,
        flipped=pd.notna(last["previous"]),
        pending_flip=None
        if pending is None
        else f"{pending['direction']} (signal of {pending['signal_date'].date()}, "
        f"traded at the close of {pending['date'].date()})",
    )
    return flip
