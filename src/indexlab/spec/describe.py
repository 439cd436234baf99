"""A strategy in words: the assumptions block of the terminal, report.html and
manifest.json, generated from the spec itself.

:func:`describe` returns one line per part of the design, in the order reports print
them (``Universe``, ``Ranking``, ``Screens``, ``Buffers``, ``Weighting``,
``Rebalance``, ``Reviews``, ``Risk-off``, ``Lag``, ``Costs``, ``Period``,
``Capital``, ``Benchmarks``). A part that holds only defaults with nothing to say is
left out (``Ranking`` on the plain market cap, no screens, no buffers, no risk-off,
no dates, the default capital); every key set to anything but its default appears in
words, and a key that has no effect says so (``window_days`` of an unsmoothed
measure). tests/test_describe.py checks this key by key, walking the spec's fields.

Example, strategies/cci30-like.toml::

    Universe   top 30 by smoothed market cap (EMA, span 30 days); excluded: stablecoin,
               wrapped, staked, pegged
    Ranking    exponential moving average of market cap, span 30 days (alpha = 2/31),
               skipping missing days (pandas ewm, adjust=False)
    Weighting  proportional to the square root of smoothed market cap (EMA, span 30 days)
    Rebalance  monthly (first day of each month)
    Reviews    membership reviewed quarterly (first day of each quarter); weights reset
               at every rebalance
    ...
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from indexlab.spec import defaults
from indexlab.spec.model import (
    MEASURE_NAMES,
    Costs,
    Measure,
    Rebalance,
    RiskOff,
    Schedule,
    Universe,
    Weighting,
)

if TYPE_CHECKING:
    from indexlab.spec.strategy import Strategy


def describe(strategy: Strategy) -> dict[str, str]:
    """The strategy's design in words, one entry per part (see the module docstring)."""
    s = strategy
    parts: dict[str, str | None] = {
        "Universe": universe_words(s.universe, s.ranking),
        "Ranking": measure_words(s.ranking) if _stated(s.ranking) else None,
        "Screens": screen_words(s.universe, s.ranking),
        "Buffers": buffer_words(s.universe, s.ranking),
        "Weighting": weighting_words(s.weighting),
        "Rebalance": rebalance_words(s.rebalance),
        "Reviews": review_words(s.reconstitution, s.weighting),
        "Risk-off": None if s.risk_off is None else risk_off_words(s.risk_off),
        "Lag": f"{s.lag_days} day(s): decisions use data up to the close of t - {s.lag_days}",
        "Costs": cost_words(s.costs),
        "Period": period_words(s),
        "Capital": None
        if s.initial_capital == defaults.INITIAL_CAPITAL
        else f"{_amount(s.initial_capital)} (equity is reported in multiples of it)",
        "Benchmarks": benchmark_words(s),
    }
    return {key: text for key, text in parts.items() if text}


def risk_free_words(rate: float) -> str:
    """How the reports state the risk-free rate the Sharpe and Sortino ratios used."""
    if rate == 0:
        return "risk-free rate 0"
    return f"risk-free rate {_percent(rate)} a year (turned into a daily rate geometrically)"


# ---------------------------------------------------------------- formatting
def _percent(fraction: float) -> str:
    return f"{fraction * 100:.6g}%"


def _amount(amount: float) -> str:
    """Money with thousands separators and no trailing zeros: 10,000 and 1,000,000.5."""
    return f"{amount:,.2f}".rstrip("0").rstrip(".")


def _usd(amount: float) -> str:
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if amount >= size:
            return f"${amount / size:.4g}{suffix}"
    return f"${amount:.4g}"


def _day(date) -> str:
    return str(date.date())


# ---------------------------------------------------------------- measures
def _stated(measure: Measure) -> bool:
    """Whether a measure differs from the plain market cap in any key."""
    return measure != Measure()


def measure_name(measure: Measure) -> str:
    """A short name for a measure: what "the largest" is ranked by."""
    if measure.kind == "market_cap_sma":
        return f"{measure.window_days}-day average market cap"
    if measure.kind == "market_cap_ema":
        if measure.halflife_days is not None:
            return f"smoothed market cap (EMA, half-life {measure.halflife_days:g} days)"
        return f"smoothed market cap (EMA, span {measure.window_days} days)"
    if measure.kind != "market_cap":
        return f"{MEASURE_NAMES[measure.kind]} over {measure.window_days} days"
    return "market cap"


def measure_words(measure: Measure) -> str:
    """A measure in full: the average, its window, span or half-life, and alpha."""
    w = measure.window_days
    if measure.kind == "market_cap_sma":
        return f"simple moving average of market cap over {w} days (the valid days among them)"
    if measure.kind == "market_cap_ema":
        if measure.halflife_days is not None:
            h = measure.halflife_days
            alpha = 1 - 0.5 ** (1 / h)
            smoothing = f"half-life {h:g} days (alpha = 1 - 0.5^(1/{h:g}) = {alpha:.4g})"
        else:
            smoothing = f"span {w} days (alpha = 2/{w + 1})"
        return (
            f"exponential moving average of market cap, {smoothing}, skipping missing days "
            "(pandas ewm, adjust=False)"
        )
    if measure.kind != "market_cap":
        return f"{MEASURE_NAMES[measure.kind]} over the last {w} days"
    if w != defaults.WINDOW_DAYS:
        return f"market cap on the snapshot day (window_days = {w} unused: not smoothed)"
    return "market cap on the snapshot day"


# ---------------------------------------------------------------- universe
def _exclusion_words(universe: Universe) -> str:
    names = [
        e.name if e.start is None else f"{e.name} from {_day(e.start)}" for e in universe.exclusions
    ]
    text = "excluded: " + (", ".join(names) or "none")
    if universe.tags_file:
        text += f"; extra tags from {universe.tags_file}"
    return text


def universe_words(universe: Universe, ranking: Measure) -> str:
    """The count rule, by what it ranks on, and the exclusions."""
    u, by = universe, measure_name(ranking)
    if u.count_rule == "rank_band":
        count = f"ranks {u.rank_band[0]} to {u.rank_band[1]} by {by}"
    elif u.count_rule == "coverage":
        count = f"the fewest top-ranked assets covering {_percent(u.coverage)} of the "
        count += f"candidates' total {by}"
        if u.min_n is not None:
            count += f", at least {u.min_n}"
        if u.max_n is not None:
            count += f", at most {u.max_n}"
    elif u.count_rule == "top_n":
        count = f"top {u.top_n} by {by}"
    else:
        count = f"up to {u.max_n} by {by}"
    return f"{count}; {_exclusion_words(u)}"


def screen_words(universe: Universe, ranking: Measure) -> str | None:
    """The screens a candidate passes before the count rule (None when there are none)."""
    u = universe
    window = f"over {u.volume_window_days} days"
    screens = []
    if u.pre_top_k is not None:
        screens.append(f"only the {u.pre_top_k} largest by {measure_name(ranking)} considered")
    if u.min_volume:
        screens.append(f"median daily volume at least {_usd(u.min_volume)} {window}")
    if u.min_volume_ratio:
        screens.append(
            f"median volume / market cap at least {_percent(u.min_volume_ratio)} {window}"
        )
    if not (u.min_volume or u.min_volume_ratio) and u.volume_window_days != defaults.WINDOW_DAYS:
        screens.append(f"volume window {u.volume_window_days} days (unused: no volume screen)")
    if u.min_age_days:
        screens.append(f"listed at least {u.min_age_days} days (since its first valid close)")
    if u.min_market_cap or u.min_market_cap_members is not None:
        text = f"market cap at least {_usd(u.min_market_cap)} to enter"
        if u.min_market_cap_members is not None:
            text += f", {_usd(u.min_market_cap_members)} for members to stay"
        screens.append(text)
    if u.max_staleness_days:
        screens.append(
            f"an asset without data on the review's snapshot day is read on its latest day "
            f"with data up to {u.max_staleness_days} days older"
        )
    if u.seasoning_reviews > 1:
        screens.append(
            f"seasoning: a newcomer must pass the screens at {u.seasoning_reviews} consecutive "
            "reviews"
        )
    return "; ".join(screens) or None


def buffer_words(universe: Universe, ranking: Measure) -> str | None:
    """Rank buffers and the replacement ratio (None without them)."""
    u = universe
    buffers = []
    if u.entry_rank is not None or u.exit_rank is not None:
        entry = u.entry_rank if u.entry_rank is not None else u.top_n
        exit_ = u.exit_rank if u.exit_rank is not None else u.top_n
        buffers.append(
            f"rank buffer: newcomers enter within rank {entry}, members stay within rank {exit_}"
        )
    if u.replacement_ratio:
        buffers.append(
            f"a newcomer replaces the smallest member only if its {measure_name(ranking)} is "
            f"at least {_percent(u.replacement_ratio)} larger"
        )
    return "; ".join(buffers) or None


# ---------------------------------------------------------------- weighting
def weighting_words(weighting: Weighting) -> str:
    """The scheme on its measure, then bounds and fixed weights."""
    w = weighting
    measure = w.measure_spec
    by = measure_name(measure)
    if not measure.smoothed and measure.window_days != defaults.WINDOW_DAYS:
        by += f" (window_days = {measure.window_days} unused: not smoothed)"
    if w.scheme == "file":
        parts = [f"from {w.weights_file} (its latest weights on or before each snapshot)"]
    elif w.scheme == "equal":
        parts = ["equal weights" + (f" ({by}: unused)" if _stated(measure) else "")]
    elif w.scheme == "sqrt_market_cap":
        parts = [f"proportional to the square root of {by}"]
    elif w.scheme == "power":
        parts = [f"proportional to {by} to the power {w.power:g}"]
    else:
        parts = [f"proportional to {by}"]
    bounds = []
    if w.cap is not None:
        bounds.append(f"each member at most {_percent(w.cap)}")
    if w.cap_largest is not None:
        bounds.append(f"the largest at most {_percent(w.cap_largest)}")
    if w.floor is not None:
        bounds.append(f"each member at least {_percent(w.floor)}")
    if bounds:
        parts.append(", ".join(bounds) + " (excess and shortfall redistributed pro rata)")
    if w.fixed:
        fixed = ", ".join(f"{asset} {_percent(weight)}" for asset, weight in w.fixed.items())
        parts.append(f"fixed: {fixed}; the rest by the scheme")
    return "; ".join(parts)


# ---------------------------------------------------------------- schedules
def calendar_words(schedule: Schedule) -> str:
    """A calendar: ``monthly (first day of each month)``, ``weekly on Fridays``, ..."""
    s = schedule
    if s.frequency == "weekly":
        return f"weekly on {(s.weekday or 'monday').capitalize()}s"
    if s.frequency in ("monthly", "quarterly"):
        period = "month" if s.frequency == "monthly" else "quarter"
        if s.anchor == "day":
            where = "month" if s.frequency == "monthly" else "quarter's first month"
            return f"{s.frequency} (day {s.day} of each {where}, or its last day)"
        return f"{s.frequency} ({s.anchor} day of each {period})"
    if s.frequency == "dates":
        shown = ", ".join(_day(d) for d in s.dates[:3]) + (", ..." if len(s.dates) > 3 else "")
        return f"on {len(s.dates)} listed date(s) ({shown})"
    if s.frequency == "none":
        return "on no calendar (the first date only)"
    return s.frequency


def rebalance_words(rebalance: Rebalance) -> str:
    """The calendar, then drift: reads after "rebalanced"."""
    r = rebalance
    text = calendar_words(r)
    if r.drift_threshold is not None:
        if r.drift_mode == "relative":
            size = f"{_percent(r.drift_threshold)} of its target (relative)"
        else:
            size = f"{r.drift_threshold * 100:.6g} percentage points (absolute)"
        text += (
            f"; also whenever a held weight drifts more than {size} from the target set at "
            "the last trade"
        )
    elif r.drift_mode != "absolute":
        text += f"; drift_mode {r.drift_mode!r} unused (no drift_threshold)"
    return text


def review_words(reconstitution: Schedule | None, weighting: Weighting) -> str:
    """When membership is reviewed."""
    if weighting.scheme == "file":
        return "membership set by the weights file"
    if reconstitution is None:
        return "membership reviewed at every rebalance"
    return f"membership reviewed {calendar_words(reconstitution)}; weights reset at every rebalance"


def risk_off_words(risk_off: RiskOff) -> str:
    """The market signal that takes the index to cash."""
    if risk_off.rule is not None:
        signal = f"the {risk_off.rule} signal on {risk_off.asset}"
    else:
        signal = f"the signal of {risk_off.signal_file} for {risk_off.asset}"
    return (
        f"the whole index in cash while {signal} is bearish, back in on the next bullish "
        "reading (a signal dated t acts at the close of t + lag_days)"
    )


# ---------------------------------------------------------------- costs
def cost_words(costs: Costs) -> str:
    """Fees and slippage, then the delisting assumption when it is not the default."""
    text = f"fee {costs.fee_bps:g} bps + slippage {costs.slippage_bps:g} bps on traded notional"
    return text if costs.delisting == defaults.DELISTING else f"{text}; {delisting_words(costs)}"


def delisting_words(costs: Costs) -> str:
    """What a position is worth when its asset's data stop."""
    if costs.delisting == "last_close":
        return "a delisted position turns into cash at its last close, fee-free"
    if costs.delisting == "zero":
        return "a delisted position is written off (worth 0 from the day after its last close)"
    h = float(costs.delisting)
    return (
        f"a delisted position turns into cash at {_percent(1 - h)} of its value at the last "
        f"close (haircut {_percent(h)})"
    )


# ---------------------------------------------------------------- run
def period_words(strategy: Strategy) -> str | None:
    """The dates the strategy asks for (None when it leaves both to the data)."""
    if strategy.start is None and strategy.end is None:
        return None
    start = _day(strategy.start) if strategy.start is not None else "the first decision date"
    end = _day(strategy.end) if strategy.end is not None else "the end of the data"
    return f"{start} to {end}"


def benchmark_words(strategy: Strategy) -> str:
    """The benchmarks asked for; the defaults say they are skipped when absent."""
    names = ", ".join(strategy.benchmarks) or "none"
    if strategy.benchmarks_are_default:
        return f"{names} (the defaults; skipped when the data lack them)"
    return names
