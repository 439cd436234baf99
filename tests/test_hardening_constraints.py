"""A sweep file says, it is never executed (issue 13, items 4 and 5).

Constraints are read by a small parser of the grammar in docs/sweeps.md, not by Python:
they reach strategy keys only, and every mistake is a one-line error that names the
constraint and the column. A typo'd grid key gets the strategy reader's did-you-mean,
before any data is loaded.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexlab import cli
from indexlab.errors import SpecError
from indexlab.sweep import read_sweep

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "strategies" / "top10-capped-monthly.toml"
GRID = '"universe.top_n" = [3, 5]\n"weighting.scheme" = ["market_cap", "equal"]\n'


def toml_literal(text: str) -> str:
    return "'''" + text + "'''"


def sweep_with(tmp_path: Path, constraint: str, grid: str = GRID) -> Path:
    path = tmp_path / "s.toml"
    path.write_text(
        f'name = "s"\nbase = "{BASE}"\nconstraints = [{toml_literal(constraint)}]\n[grid]\n{grid}',
        encoding="utf-8",
    )
    return path


# ------------------------------------------------------------------ read time
@pytest.mark.parametrize(
    ("constraint", "column", "fragment"),
    [
        ("universe.__class__.__init__.__globals__ != 1", 1, "'universe.__class__.__init__"),
        ("universe.top_n * 3000000000 * 'ab' == 1", 31, "text ('ab') can only be compared"),
        ("universe.top_n > 'a'", 18, "text ('a') can only be compared with == or !="),
        ("universe.top_nn >= 3", 1, "did you mean 'universe.top_n'?"),
        ("weighting.cap * universe.top_n >== 1", 34, "unexpected '='"),
        ("universe.top_n >= (3", 21, "expected ')'"),
        ("__import__('os')", 1, "'__import__' is not a strategy key"),
        ("universe.top_n.real > 1", 1, "'universe.top_n.real' is not a strategy key"),
        ("lambda: 1", 7, "unexpected ':'"),
        ("universe.top_n ** 2 > 1", 17, "unexpected '*'"),
        ("1e999 > universe.top_n", 1, "1e999 is too large a number"),
        ("(" * 40 + "1" + ")" * 40 + " > 0", 33, "nested too deeply (at most 32 levels)"),
        ("-" * 40 + "1 > 0", 33, "nested too deeply (at most 32 levels)"),
        ("not " * 40 + "1 > 0", 129, "nested too deeply (at most 32 levels)"),
        ("1" + " + 1" * 5000 + " > 0", 401, "too long (at most 200 numbers, keys and operators"),
        ("(" * 5000 + "1" + ")" * 5000, 201, "too long (at most 200"),
        ("", 1, "empty"),
    ],
)
def test_bad_constraints_are_refused_when_the_file_is_read(tmp_path, constraint, column, fragment):
    path = sweep_with(tmp_path, constraint)
    with pytest.raises(SpecError) as caught:
        read_sweep(path)  # never evaluated: refused by the parser
    message = str(caught.value)
    assert message.startswith(f"{path}: constraints: cannot parse ")
    assert f"at column {column}: " in message and fragment in message
    assert "\n" not in message


def test_the_17_gb_constraint_is_refused_at_once_and_the_cli_says_one_line(tmp_path, capsys):
    path = sweep_with(tmp_path, "universe.top_n * 3000000000 * 'ab' == 1")
    started = time.perf_counter()
    assert cli.main(["sweep", str(path), "--data", str(tmp_path / "absent.csv")]) == 1
    assert time.perf_counter() - started < 5
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith(f"indexlab: error: {path}: constraints: cannot parse ")
    assert "at column 31: text ('ab') can only be compared with == or !=" in err


# ------------------------------------------------------------------ evaluation
@pytest.mark.parametrize(
    ("constraint", "column", "fragment"),
    [
        ("10 / (universe.top_n - 3) > 1", 4, "division by zero"),
        ("weighting.scheme > 3", 1, "weighting.scheme is 'market_cap', not a number"),
        ("weighting.scheme * 2 == 1", 1, "weighting.scheme is 'market_cap', not a number"),
        ("universe.exclude == 1", 1, "universe.exclude holds ("),
        ("-rebalance.frequency < 0", 2, "rebalance.frequency is 'monthly', not a number"),
    ],
)
def test_constraints_that_cannot_be_evaluated_are_one_line_errors(
    tmp_path, capsys, constraint, column, fragment
):
    path = sweep_with(tmp_path, constraint)
    spec = read_sweep(path)
    with pytest.raises(SpecError) as caught:
        spec.configs()
    message = str(caught.value)
    assert message.startswith(f"{path}: constraints: cannot evaluate {constraint!r}")
    assert f"at column {column}: {fragment}" in message
    assert "(configuration universe.top_n=3, weighting.scheme=market_cap)" in message
    assert cli.main(["sweep", str(path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "internal error" not in err and fragment in err


def test_the_documented_constraints_still_select_what_they_say(tmp_path):
    grid = (
        '"universe.top_n" = [2, 5, 10]\n"weighting.cap" = ["none", 0.1, 0.25]\n'
        '"weighting.scheme" = ["market_cap", "equal"]\n'
    )
    path = sweep_with(
        tmp_path, "weighting.cap == none or weighting.cap * universe.top_n >= 1", grid
    )
    kept = {
        (c.params["universe.top_n"], c.params["weighting.cap"]) for c in read_sweep(path).configs()
    }
    assert kept == {
        (n, cap) for n in (2, 5, 10) for cap in (None, 0.1, 0.25) if cap is None or cap * n >= 1
    }
    path = sweep_with(
        tmp_path,
        "not (weighting.scheme == 'equal' and universe.top_n < 5) and -universe.top_n / 2 < -1.5",
        grid,
    )
    kept = {
        (c.params["universe.top_n"], c.params["weighting.scheme"])
        for c in read_sweep(path).configs()
    }
    assert kept == {(5, "market_cap"), (5, "equal"), (10, "market_cap"), (10, "equal")}
    # "or" stops at its first true operand, as the docs say: no division by zero
    path = sweep_with(tmp_path, "universe.top_n == 2 or 4 / (universe.top_n - 2) < 2", grid)
    assert {c.params["universe.top_n"] for c in read_sweep(path).configs()} == {2, 5, 10}


def test_keys_of_a_section_left_out_are_none_and_file_keys_are_read(tmp_path):
    grid = '"universe.top_n" = [3, 5]\n"ranking.measure" = ["market_cap", "volume"]\n'
    text = "risk_off.asset == none and ranking.measure == 'volume' and 3 < universe.top_n <= 5"
    configs = read_sweep(sweep_with(tmp_path, text, grid)).configs()
    assert [c.params for c in configs] == [{"universe.top_n": 5, "ranking.measure": "volume"}]


# ------------------------------------------------------------------ grid keys
def test_a_typod_grid_key_gets_did_you_mean_before_the_data_is_loaded(tmp_path, capsys):
    path = sweep_with(tmp_path, "universe.top_n > 0", '"universe.top_nn" = [3, 5]\n')
    with pytest.raises(SpecError) as caught:
        read_sweep(path)
    assert str(caught.value) == (
        f"{path}: grid.universe.top_nn: unknown key in [universe] (valid: "
        + "coverage, entry_rank, exclude, exit_rank, max_n, max_staleness_days, min_age_days, "
        + "min_market_cap, "
        + "min_market_cap_members, min_n, min_volume, min_volume_ratio, pre_top_k, rank_band, "
        + "replacement_ratio, seasoning_reviews, tags_file, top_n, volume_window_days); "
        + "did you mean 'top_n'?"
    )
    # the same words as a strategy file with that typo
    strategy = tmp_path / "typo.toml"
    strategy.write_text("[universe]\ntop_nn = 3\n")
    assert cli.main(["run", str(strategy)]) == 1
    said = capsys.readouterr().err
    assert said.endswith(str(caught.value).split("grid.", 1)[1] + "\n")
    # and the CLI says it before it looks at the data
    assert cli.main(["sweep", str(path), "--data", str(tmp_path / "absent.csv")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'top_n'?" in err


@pytest.mark.parametrize(
    ("key", "fragment"),
    [
        ("lag_day", "grid.lag_day: unknown key at the top level of a grid"),
        ("lag_day", "did you mean 'lag_days'?"),
        ("costs.fee", "did you mean 'fee_bps'?"),
        ("ranking.measur", "did you mean 'measure'?"),
    ],
)
def test_other_typod_grid_keys(tmp_path, key, fragment):
    path = sweep_with(tmp_path, "1 == 1", f'"{key}" = [1]\n')
    with pytest.raises(SpecError, match=fragment.replace("?", r"\?").replace("[", r"\[")):
        read_sweep(path)


def test_a_typod_heatmap_key_gets_did_you_mean(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        f'base = "{BASE}"\nheatmap = ["universe.top", "weighting.scheme"]\n[grid]\n{GRID}'
    )
    with pytest.raises(SpecError, match=r"did you mean 'universe.top_n'\?"):
        read_sweep(path)


# ------------------------------------------------------------------ against Python
NUMBERS = st.one_of(
    st.integers(-20, 20).map(str),
    st.sampled_from(["0.5", "2.25", "1e2", "3.", ".75"]),
)
KEYS = st.sampled_from(["universe.top_n", "weighting.cap", "costs.fee_bps", "lag_days"])


def expressions(depth: int = 3):
    atom = st.one_of(NUMBERS, KEYS)
    if depth == 0:
        return atom
    inner = expressions(depth - 1)
    return st.one_of(
        atom,
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(" ".join),
        st.tuples(inner, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), inner).map(" ".join),
        st.tuples(inner, st.sampled_from(["and", "or"]), inner).map(" ".join),
        inner.map(lambda e: f"not {e}"),
        inner.map(lambda e: f"-{e}"),
        inner.map(lambda e: f"({e})"),
    )


VALUES = {"universe.top_n": 7, "weighting.cap": 0.25, "costs.fee_bps": 0.0, "lag_days": 1}
NAMESPACE = {
    "universe": SimpleNamespace(top_n=7),
    "weighting": SimpleNamespace(cap=0.25),
    "costs": SimpleNamespace(fee_bps=0.0),
    "lag_days": 1,
}


@given(expressions())
def test_the_parser_agrees_with_python_on_the_safe_grammar(text):
    from indexlab.sweep.constraints import ConstraintError, parse_constraint

    try:
        constraint = parse_constraint(text)
    except ConstraintError:
        with pytest.raises(SyntaxError):  # what we refuse, Python refuses too
            compile(text, "<constraint>", "eval")
        return
    try:
        expected = bool(eval(text, {"__builtins__": {}}, dict(NAMESPACE)))  # noqa: S307
    except ZeroDivisionError:
        with pytest.raises(ConstraintError, match="division by zero"):
            constraint.holds(VALUES.__getitem__)
        return
    assert constraint.holds(VALUES.__getitem__) is expected


def test_one_constraint_given_as_a_string_in_python_is_one_constraint():
    from indexlab.spec import Strategy
    from indexlab.sweep import SweepSpec

    spec = SweepSpec(Strategy(), {"universe.top_n": (3, 5)}, constraints="universe.top_n > 3")
    assert [c.params["universe.top_n"] for c in spec.configs()] == [5]
