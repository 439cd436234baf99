"""The assumptions block in words: every key of the spec set to a non-default value
appears in the description (the test walks the dataclass fields and the keys
documented in docs/index-rules.md, so a new key without words fails it), and each
shipped strategy reads as its design, phrase by phrase, written out by hand."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import indexlab
from indexlab.spec import (
    Costs,
    Exclusion,
    Measure,
    Rebalance,
    Reconstitution,
    RiskOff,
    Universe,
    Weighting,
    describe,
    reader,
)
from indexlab.spec.reader import RENAMED

ROOT = Path(__file__).resolve().parents[1]
# Every table of a strategy file, and one entry of universe.exclude.
SECTIONS = {**reader.SECTIONS, "exclusion": Exclusion}
# Labels of a strategy, not part of its design: the terminal prints them above the block.
NOT_DESCRIBED = {"name", "title", "description", "origin"}

# key (section.field, by dataclass field name) -> (context, value, section, words).
# The strategy with `context` and the key set to `value` must say `words` in
# `section`, and say something else than the strategy with `context` alone.
CASES: dict[str, tuple[dict, object, str, str]] = {
    # universe: count rules
    "universe.top_n": ({}, 20, "Universe", "top 20 by market cap"),
    "universe.rank_band": ({}, (11, 30), "Universe", "ranks 11 to 30 by market cap"),
    "universe.max_n": ({}, 50, "Universe", "up to 50 by market cap"),
    "universe.coverage": ({}, 0.8, "Universe", "the fewest top-ranked assets covering 80%"),
    "universe.min_n": ({"universe.coverage": 0.8}, 3, "Universe", "total market cap, at least 3"),
    # universe: exclusions
    "universe.exclude": ({}, ("memecoin",), "Universe", "excluded: memecoin"),
    "universe.tags_file": ({}, "my_tags.csv", "Universe", "extra tags from my_tags.csv"),
    "exclusion.name": ({}, (Exclusion("privacy"),), "Universe", "excluded: privacy"),
    "exclusion.start": (
        {},
        (Exclusion("memecoin", "2023-05-01"),),
        "Universe",
        "excluded: memecoin from 2023-05-01",
    ),
    # universe: screens
    "universe.pre_top_k": ({}, 250, "Screens", "only the 250 largest by market cap"),
    "universe.min_market_cap": ({}, 10e6, "Screens", "market cap at least $10M to enter"),
    "universe.min_market_cap_members": (
        {"universe.min_market_cap": 10e6},
        8e6,
        "Screens",
        "at least $10M to enter, $8M for members to stay",
    ),
    "universe.min_volume": ({}, 1e6, "Screens", "median daily volume at least $1M over 30 days"),
    "universe.min_volume_ratio": (
        {},
        0.001,
        "Screens",
        "median volume / market cap at least 0.1% over 30 days",
    ),
    "universe.volume_window_days": (
        {"universe.min_volume": 5e5},
        60,
        "Screens",
        "at least $500k over 60 days",
    ),
    "universe.min_age_days": ({}, 90, "Screens", "listed at least 90 days"),
    "universe.seasoning_reviews": ({}, 2, "Screens", "at 2 consecutive reviews"),
    "universe.max_staleness_days": ({}, 35, "Screens", "up to 35 days older"),
    # universe: buffers
    "universe.entry_rank": ({}, 80, "Buffers", "newcomers enter within rank 80"),
    "universe.exit_rank": ({}, 120, "Buffers", "members stay within rank 120"),
    "universe.replacement_ratio": (
        {},
        0.05,
        "Buffers",
        "replaces the smallest member only if its market cap is at least 5% larger",
    ),
    # ranking
    "ranking.kind": ({}, "market_cap_ema", "Universe", "top 100 by smoothed market cap (EMA"),
    "ranking.window_days": (
        {"ranking.kind": "market_cap_sma"},
        90,
        "Ranking",
        "simple moving average of market cap over 90 days",
    ),
    "ranking.halflife_days": (
        {"ranking.kind": "market_cap_ema"},
        10,
        "Ranking",
        "half-life 10 days (alpha = 1 - 0.5^(1/10) = 0.06697)",
    ),
    # weighting
    "weighting.scheme": ({}, "sqrt_market_cap", "Weighting", "square root of market cap"),
    "weighting.power": (
        {"weighting.scheme": "power", "weighting.power": 1.0},
        0.7,
        "Weighting",
        "proportional to market cap to the power 0.7",
    ),
    "weighting.measure": ({}, "market_cap_sma", "Weighting", "to 30-day average market cap"),
    "weighting.window_days": (
        {"weighting.measure": "market_cap_ema"},
        60,
        "Weighting",
        "EMA, span 60 days",
    ),
    "weighting.halflife_days": (
        {"weighting.measure": "market_cap_ema"},
        14,
        "Weighting",
        "EMA, half-life 14 days",
    ),
    "weighting.cap": ({}, 0.25, "Weighting", "each member at most 25%"),
    "weighting.cap_largest": ({}, 0.3, "Weighting", "the largest at most 30%"),
    "weighting.floor": ({}, 0.01, "Weighting", "each member at least 1%"),
    "weighting.fixed": ({}, {"bitcoin": 0.4}, "Weighting", "fixed: bitcoin 40%"),
    "weighting.weights_file": (
        {"weighting.scheme": "file", "weighting.weights_file": "a.csv"},
        "b.csv",
        "Weighting",
        "from b.csv",
    ),
    # rebalance
    "rebalance.frequency": ({}, "weekly", "Rebalance", "weekly on Mondays"),
    "rebalance.weekday": (
        {"rebalance.frequency": "weekly"},
        "friday",
        "Rebalance",
        "weekly on Fridays",
    ),
    "rebalance.anchor": ({}, "last", "Rebalance", "monthly (last day of each month)"),
    "rebalance.day": (
        {"rebalance.anchor": "day", "rebalance.day": 1},
        15,
        "Rebalance",
        "monthly (day 15 of each month",
    ),
    "rebalance.dates": (
        {"rebalance.frequency": "dates", "rebalance.dates": ("2020-01-01",)},
        ("2020-01-01", "2020-07-01"),
        "Rebalance",
        "on 2 listed date(s) (2020-01-01, 2020-07-01)",
    ),
    "rebalance.drift_threshold": (
        {},
        0.05,
        "Rebalance",
        "drifts more than 5 percentage points (absolute) from the target set at the last trade",
    ),
    "rebalance.drift_mode": (
        {"rebalance.drift_threshold": 0.25},
        "relative",
        "Rebalance",
        "drifts more than 25% of its target (relative)",
    ),
    # reconstitution (none by default: reviews at every rebalance)
    "reconstitution.frequency": (
        {},
        "quarterly",
        "Reviews",
        "membership reviewed quarterly (first day of each quarter)",
    ),
    "reconstitution.weekday": (
        {"reconstitution.frequency": "weekly"},
        "sunday",
        "Reviews",
        "reviewed weekly on Sundays",
    ),
    "reconstitution.anchor": (
        {"reconstitution.frequency": "quarterly"},
        "last",
        "Reviews",
        "quarterly (last day of each quarter)",
    ),
    "reconstitution.day": (
        {"reconstitution.anchor": "day", "reconstitution.day": 1},
        20,
        "Reviews",
        "day 20 of each month",
    ),
    "reconstitution.dates": (
        {"reconstitution.frequency": "dates", "reconstitution.dates": ("2020-01-01",)},
        ("2021-03-01",),
        "Reviews",
        "on 1 listed date(s) (2021-03-01)",
    ),
    # risk-off
    "risk_off.rule": ({}, "sma-cross:50,200", "Risk-off", "the sma-cross:50,200 signal"),
    "risk_off.signal_file": ({}, "signal.csv", "Risk-off", "the signal of signal.csv"),
    "risk_off.asset": (
        {"risk_off.rule": "sma-cross:50,200"},
        "total-market",
        "Risk-off",
        "signal on total-market is bearish",
    ),
    # costs
    "costs.fee_bps": ({}, 20.0, "Costs", "fee 20 bps + slippage 5 bps on traded notional"),
    "costs.slippage_bps": ({}, 0.0, "Costs", "fee 10 bps + slippage 0 bps"),
    "costs.delisting": ({}, "zero", "Costs", "a delisted position is written off (worth 0"),
    # top level
    "lag_days": ({}, 0, "Lag", "decisions use data up to the close of t - 0"),
    "initial_capital": ({}, 1_000_000.0, "Capital", "1,000,000 (equity is reported in"),
    "start": ({}, pd.Timestamp("2020-01-01"), "Period", "2020-01-01 to the end of the data"),
    "end": ({}, pd.Timestamp("2021-06-30"), "Period", "the first decision date to 2021-06-30"),
    "benchmarks": ({}, ("BTC",), "Benchmarks", "BTC"),
    "universe": ({}, Universe(top_n=7), "Universe", "top 7"),
    "ranking": ({}, Measure("market_cap_sma", 7), "Ranking", "over 7 days"),
    "weighting": ({}, Weighting("equal"), "Weighting", "equal weights"),
    "rebalance": ({}, Rebalance("daily"), "Rebalance", "daily"),
    "reconstitution": ({}, Reconstitution("quarterly"), "Reviews", "reviewed quarterly"),
    "risk_off": ({}, RiskOff(rule="sma-cross:10,40"), "Risk-off", "sma-cross:10,40"),
    "costs": ({}, Costs(0.0, 0.0), "Costs", "fee 0 bps + slippage 0 bps"),
}


def strategy_with(changes: dict) -> indexlab.Strategy:
    """The default strategy with dotted changes; a key of the Exclusion dataclass sets
    ``universe.exclude``."""
    changes = {
        ("universe.exclude" if k.startswith("exclusion.") else k): v for k, v in changes.items()
    }
    return indexlab.Strategy().replace(**changes)


def all_keys() -> set[str]:
    keys = {f.name for f in dataclasses.fields(indexlab.Strategy) if f.init} - NOT_DESCRIBED
    for section, cls in SECTIONS.items():
        keys |= {f"{section}.{f.name}" for f in dataclasses.fields(cls) if f.init}
    return keys


def test_every_key_of_the_spec_has_a_case():
    missing = sorted(all_keys() - set(CASES))
    assert not missing, f"keys without words in the description (add a case): {missing}"


def documented_keys() -> set[str]:
    """Every key the rule pages of docs/index-rules.md show as ``key = ...`` (in TOML
    examples, or inline in the text of a ``[section]``), as ``section.field``
    (``measure`` of [ranking] is the field ``kind``)."""
    text = (ROOT / "docs" / "index-rules.md").read_text()
    keys = set()
    for chapter in re.split(r"\n(?=## )", text):
        heading = re.match(r"## `\[(\w+)\]`", chapter)
        if heading is None and not chapter.startswith("## Top level"):
            continue
        section = heading.group(1) if heading else ""
        inline = re.findall(r"`(\w+) = ", re.sub(r"```.*?```", "", chapter, flags=re.S))
        found = [(section, key) for key in inline]
        for block in re.findall(r"```toml\n(.*?)```", chapter, flags=re.S):
            for line in block.splitlines():
                header = re.match(r"\s*\[(\w+)\]", line)
                if header:
                    section = header.group(1)
                key = re.match(r"\s*(?:#\s*)?(\w+)\s*=", line)
                if key:
                    found.append((section, key.group(1)))
        for where, key in found:
            name = RENAMED.get(where, {}).get(key, key)
            keys.add(f"{where}.{name}" if where else name)
    return keys


def test_every_documented_key_is_a_field_with_a_case():
    documented = documented_keys()
    assert len(documented) > 40  # the parser found the examples
    assert documented <= all_keys() | NOT_DESCRIBED, documented - all_keys()
    assert documented - NOT_DESCRIBED <= set(CASES)


def test_every_key_a_file_may_hold_is_documented():
    text = (ROOT / "docs" / "index-rules.md").read_text()
    mentioned = set(re.findall(r"`(\w+)`", text)) | set(re.findall(r"\b(\w+) = ", text))
    for key in all_keys() - {"name", "description"}:
        if key in SECTIONS:
            assert f"[{key}]" in text or key == "exclusion", key
            continue
        section, _, name = key.rpartition(".")
        if section == "exclusion":
            name = {"name": "tag", "start": "from"}[name]
        name = {v: k for k, v in RENAMED.get(section, {}).items()}.get(name, name)
        assert name in mentioned, f"{key} is not in docs/index-rules.md"


@pytest.mark.parametrize("key", sorted(CASES))
def test_a_key_set_to_a_non_default_value_appears_in_words(key):
    context, value, section, words = CASES[key]
    before = describe(strategy_with(context))
    after = describe(strategy_with({**context, key: value}))
    assert words in after.get(section, ""), (section, after)
    assert after != before, f"{key} = {value!r} changes no words"
    assert all("None" not in text for text in after.values()), after


def test_the_default_strategy_in_words():
    words = describe(indexlab.Strategy())
    assert words == {
        "Universe": "top 100 by market cap; excluded: stablecoin, wrapped, staked",
        "Weighting": "proportional to market cap",
        "Rebalance": "monthly (first day of each month)",
        "Reviews": "membership reviewed at every rebalance",
        "Lag": "1 day(s): decisions use data up to the close of t - 1",
        "Costs": "fee 10 bps + slippage 5 bps on traded notional",
        "Benchmarks": "BTC, TRX (the defaults; skipped when the data lack them)",
    }


@pytest.mark.parametrize(
    ("changes", "section", "words"),
    [
        ({"universe.exclude": ()}, "Universe", "excluded: none"),
        ({"ranking.window_days": 60}, "Ranking", "window_days = 60 unused: not smoothed"),
        ({"universe.volume_window_days": 60}, "Screens", "volume window 60 days (unused"),
        ({"rebalance.drift_mode": "relative"}, "Rebalance", "'relative' unused (no drift"),
        (
            {"weighting.scheme": "equal", "weighting.measure": "market_cap_sma"},
            "Weighting",
            "unused",
        ),
        ({"benchmarks": ()}, "Benchmarks", "none"),
        ({"rebalance.frequency": "none"}, "Rebalance", "on no calendar (the first date only)"),
        ({"costs.delisting": 0.25}, "Costs", "cash at 75% of its value at the last close"),
        ({"costs.delisting": 0.0}, "Costs", "cash at 100% of its value at the last close"),
        (
            {"universe.top_n": 100, "universe.exit_rank": 120},
            "Buffers",
            "newcomers enter within rank 100, members stay within rank 120",
        ),
    ],
)
def test_keys_without_effect_say_so(changes, section, words):
    assert words in describe(strategy_with(changes))[section]


# ---------------------------------------------------------------- the shipped files
# Each file's design, phrase by phrase, from its comments and the methodology it imitates.
LIBRARY_WORDS = {
    "bgci-like": [
        (
            "Universe",
            "top 10 by market cap; excluded: stablecoin, wrapped, staked, pegged, memecoin",
        ),
        ("Screens", "median daily volume at least $10M over 30 days"),
        ("Weighting", "each member at most 35%, each member at least 1%"),
        ("Rebalance", "monthly"),
    ],
    "bitwise10-like": [
        ("Universe", "top 10 by market cap"),
        ("Buffers", "only if its market cap is at least 5% larger"),
        ("Screens", "median daily volume at least $1M"),
        ("Rebalance", "monthly"),
    ],
    "cci30-like": [
        ("Universe", "top 30 by smoothed market cap (EMA, span 30 days)"),
        ("Ranking", "exponential moving average of market cap, span 30 days (alpha = 2/31)"),
        ("Weighting", "square root of smoothed market cap (EMA, span 30 days)"),
        ("Rebalance", "monthly (first day of each month)"),
        ("Reviews", "membership reviewed quarterly"),
    ],
    "cd20-like": [
        ("Universe", "top 20 by market cap"),
        ("Screens", "median daily volume at least $5M over 30 days"),
        ("Weighting", "each member at most 20%, the largest at most 30%"),
        ("Rebalance", "quarterly"),
    ],
    "mvda100-like": [
        ("Universe", "top 100 by market cap"),
        ("Buffers", "newcomers enter within rank 80, members stay within rank 120"),
        ("Screens", "median daily volume at least $500k over 30 days"),
        ("Screens", "listed at least 90 days"),
    ],
    "tm-global100-like": [
        ("Universe", "top 100 by market cap"),
        ("Rebalance", "weekly on Mondays"),
        ("Risk-off", "in cash while the sma-cross:50,200 signal on bitcoin is bearish"),
    ],
    "top10-capped-monthly": [
        ("Universe", "top 10 by market cap; excluded: stablecoin, wrapped, staked"),
        ("Weighting", "proportional to market cap; each member at most 25%"),
    ],
    "top100-equal-monthly": [("Weighting", "equal weights"), ("Rebalance", "monthly")],
    "top100-mcap-monthly": [("Universe", "top 100 by market cap"), ("Rebalance", "monthly")],
    "top30-sqrt-quarterly": [
        ("Weighting", "proportional to the square root of market cap"),
        ("Rebalance", "quarterly"),
    ],
}
FILES = sorted((ROOT / "strategies").glob("*.toml"))


def test_every_shipped_file_has_its_words():
    assert {p.stem for p in FILES} == set(LIBRARY_WORDS)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_each_shipped_strategy_reads_as_its_design(path):
    words = describe(indexlab.Strategy.from_toml(path))
    for section, phrase in LIBRARY_WORDS[path.stem]:
        assert phrase in words.get(section, ""), (section, words)
    assert words["Costs"] == "fee 10 bps + slippage 5 bps on traded notional"
    assert words["Capital"] == "10,000 (equity is reported in multiples of it)"
    assert words["Benchmarks"] == "BTC, TRX (the defaults; skipped when the data lack them)"
    # Sections that have nothing to say are left out, not filled with defaults.
    has = {section for section, _ in LIBRARY_WORDS[path.stem]}
    for optional in ("Screens", "Buffers", "Risk-off", "Ranking"):
        assert (optional in words) == (optional in has), (optional, words)


# ---------------------------------------------------------------- the run's block
def tiny_market() -> indexlab.Market:
    dates = pd.date_range("2021-01-01", periods=40, freq="D")
    rng = np.random.default_rng(5)
    names = ["bitcoin", "a", "b", "c"]
    close = pd.DataFrame(np.exp(rng.normal(0, 0.02, (40, 4)).cumsum(axis=0)), dates, names)
    caps = close * [900.0, 50.0, 30.0, 20.0]
    return indexlab.Market.from_panels(close, caps, source="tiny")


def test_the_run_states_a_coverage_rule_and_the_risk_free_rate_it_was_given():
    strategy = indexlab.Strategy(
        name="cov",
        universe=Universe(coverage=0.9, max_n=3),
        reconstitution=Reconstitution("quarterly"),
        benchmarks=(),
    )
    result = indexlab.run(strategy, tiny_market())
    facts = result.assumptions()
    assert facts["Universe"].startswith("the fewest top-ranked assets covering 90%")
    assert "at most 3" in facts["Universe"] and "top None" not in facts["Universe"]
    assert facts["Reviews"].startswith("membership reviewed quarterly")
    assert facts["Annualisation"] == "N = 365 periods per year; risk-free rate 0"
    with_rate = result.assumptions(risk_free=0.03)["Annualisation"]
    assert with_rate.startswith("N = 365 periods per year; risk-free rate 3% a year")
    assert list(facts)[:2] == ["Data", "Period"] and facts["Benchmarks"] == "none"
    assert facts["Period"].endswith("(39 days)")  # the run's dates, not the strategy's
