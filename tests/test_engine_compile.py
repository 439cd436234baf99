"""What keeps the engine's first compile short (issue 17, item 9): one compiled kernel
for single runs and sweeps, one compiled copy of each function it calls, no code that
formats strings inside numba functions, a matrix product straight from BLAS that
equals numpy's, and capped weights that compile one small function, once."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from panels import panel_market, random_panel

import indexlab
from indexlab.engine import blas, kernels
from indexlab.sweep import SweepSpec, run_configs

ENGINE = Path(indexlab.__file__).parent / "engine"
RULES = Path(indexlab.__file__).parent / "rules"


def _njit_functions():
    for path in sorted([*ENGINE.glob("*.py"), *RULES.glob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef) and any(
                "njit" in ast.unparse(decorator) for decorator in node.decorator_list
            ):
                yield f"{path.name}:{node.name}", node


def _string_work(function: ast.FunctionDef) -> list[str]:
    """What in ``function`` makes numba compile string formatting, a dynamic error
    message or numba's ``np.dot`` (whose shape checks format their messages)."""
    found = []
    for node in ast.walk(function):
        if isinstance(node, ast.JoinedStr):
            found.append(f"f-string on line {node.lineno}")
        elif isinstance(node, ast.Call):
            name = ast.unparse(node.func)
            if name in ("str", "repr", "format", "np.dot", "np.matmul") or name.endswith(
                (".format", ".join")
            ):
                found.append(f"{name}() on line {node.lineno}")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult):
            found.append(f"@ on line {node.lineno}")
        elif isinstance(node, ast.Raise) and node.exc is not None:
            arguments = node.exc.args if isinstance(node.exc, ast.Call) else []
            if not all(isinstance(argument, ast.Constant) for argument in arguments):
                found.append(f"a raise with a computed message on line {node.lineno}")
        elif isinstance(node, ast.Assign | ast.AugAssign):
            # numba checks an array assigned to a slice with a formatted shape message
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            sliced = any(
                isinstance(target, ast.Subscript)
                and any(isinstance(part, ast.Slice) for part in ast.walk(target.slice))
                for target in targets
            )
            if sliced and not isinstance(node.value, ast.Constant | ast.UnaryOp):
                found.append(f"an array assigned to a slice on line {node.lineno}")
    return found


def test_no_numba_function_in_the_engine_or_the_rules_formats_strings():
    functions = dict(_njit_functions())
    assert "kernels.py:simulate_batch" in functions and "blas.py:matmul_into" in functions
    assert "weighting.py:_prefix_capped" in functions
    offending = {name: _string_work(node) for name, node in functions.items()}
    assert {name: found for name, found in offending.items() if found} == {}


def test_the_string_check_sees_what_it_looks_for():
    source = """
def f(a, b, n):
    a[1:] = b
    x = np.dot(a, b)
    raise ValueError(f"bad {n}")
"""
    found = _string_work(ast.parse(source).body[0])
    assert len(found) == 4  # the slice, np.dot, the raise and its f-string


@pytest.mark.parametrize(
    "shape", [(1, 1, 1), (7, 5, 1), (1, 5, 4), (9, 6, 3), (3, 0, 2), (0, 4, 2)]
)
def test_matmul_into_equals_numpy(shape):
    m, k, n = shape
    rng = np.random.default_rng(m * 100 + k * 10 + n)
    a = rng.random((m + 2, k))[1 : m + 1]  # a row slice, read-only, as the kernel passes
    a.flags.writeable = False
    b = rng.random((k, n))
    out = np.full((m + 3, n), np.nan)
    blas.matmul_into(out[2 : m + 2], a, b, blas.new_work())
    np.testing.assert_allclose(out[2 : m + 2], a @ b, rtol=1e-14, atol=0)
    assert np.isnan(out[:2]).all() and np.isnan(out[m + 2 :]).all()  # only its rows


def test_matmul_into_refuses_strided_operands():
    a = np.ones((4, 6))[:, ::2]
    with pytest.raises(ValueError, match="C-contiguous"):
        blas.matmul_into(np.empty((4, 2)), a, np.ones((3, 2)), blas.new_work())


# In a new process (fresh dispatchers): a small run loads the kernel, then an uncached
# copy of it is compiled for the same signature, which types every callee again (each
# callee loads or compiles what it is asked for); then each callee's signatures.
CALLEE_COPIES = """
import json, numba, numpy as np, pandas as pd, indexlab
from numba.core.registry import CPUDispatcher
from indexlab.engine import blas, kernels, policies, trades
days = pd.date_range("2021-01-01", periods=60, tz="UTC")
close = pd.DataFrame(np.linspace(1, 2, 60)[:, None] * [1.0, 2.0, 3.0], days, ["a", "b", "c"])
market = indexlab.Market.from_panels(close, close * 10, source="test")
strategy = indexlab.Strategy(name="s", universe=indexlab.Universe(top_n=2), benchmarks=())
indexlab.run(strategy, market, warn=False)
fresh = numba.njit(kernels.simulate_batch.py_func)
fresh.compile(kernels.simulate_batch.signatures[0])
print(json.dumps({
    name: len(value.signatures)
    for module in (kernels, policies, trades, blas)
    for name, value in vars(module).items()
    if isinstance(value, CPUDispatcher) and value.__module__ == module.__name__
    and name != "simulate_batch"
}))
"""


def test_single_runs_and_sweeps_share_one_compiled_kernel():
    close, caps = random_panel(17, 120, 8, start="2021-01-01")
    market = panel_market(close, caps)
    base = indexlab.Strategy(name="base", universe=indexlab.Universe(top_n=3), benchmarks=())
    indexlab.run(base, market, warn=False)
    spec = SweepSpec(
        base=base,
        grid={
            "universe.top_n": (2, 4),
            "rebalance.drift_threshold": (None, 0.05),
            "start": (pd.Timestamp("2021-01-01"), pd.Timestamp("2021-02-01")),
        },
    )
    table, _ = run_configs(market, spec.configs())
    assert table["error"].isna().all()
    assert len(kernels.simulate_batch.signatures) == 1


def test_the_kernel_compiles_one_copy_of_each_function_it_calls():
    done = subprocess.run(
        [sys.executable, "-c", CALLEE_COPIES], capture_output=True, text=True, check=True
    )
    copies = json.loads(done.stdout.strip().splitlines()[-1])
    assert copies["_value_segment"] == 1  # e.g. not a
    # second copy for a literal 0 passed as a row
    assert {name: count for name, count in copies.items() if count > 1} == {}


# In a new process (fresh dispatchers): a capped run and a capped sweep, whose members
# come in rank order, then the general solve (a floor; a capped row out of order, with
# strided and read-only arrays); the signatures of the weighting's numba functions.
WEIGHTING_SIGNATURES = """
import json, numpy as np, pandas as pd, indexlab
from indexlab.rules import weighting
from indexlab.sweep import SweepSpec, run_configs
days = pd.date_range("2021-01-01", periods=90, tz="UTC")
rng = np.random.default_rng(3)
close = np.exp(rng.normal(0, 0.05, (90, 12)).cumsum(axis=0))
close = pd.DataFrame(close, days, [f"a{j:02d}" for j in range(12)])
market = indexlab.Market.from_panels(close, close * rng.uniform(1, 100, 12), source="test")
base = indexlab.Strategy(
    name="s",
    universe=indexlab.Universe(top_n=8),
    weighting=indexlab.Weighting(cap=0.2),
    benchmarks=(),
)
indexlab.run(base, market, warn=False)
grid = {
    "universe.top_n": (5, 10),
    "weighting.scheme": ("market_cap", "sqrt_market_cap", "equal"),
    "weighting.cap": (0.25, 0.5),
}
table, _ = run_configs(market, SweepSpec(base=base, grid=grid).configs())
assert table["error"].isna().all()
names = ("_prefix_capped", "_solve_rows", "_solve_row")
counts = lambda: {name: len(getattr(weighting, name).signatures) for name in names}
capped = counts()
raw = np.array([[0.1, 0.5, 0.4, 0.0], [0.6, 0.3, 0.0, 0.1]])
weighting.bounded_weights(raw, cap=0.45, floor=0.05)
frozen = np.ones(4)[::2]
frozen.flags.writeable = False
weighting.bounded_weights(np.asfortranarray(raw), cap=0.45, totals=frozen)
print(json.dumps({"capped": capped, "all": counts()}))
"""


def test_capped_weights_compile_one_small_function_once():
    done = subprocess.run(
        [sys.executable, "-c", WEIGHTING_SIGNATURES], capture_output=True, text=True, check=True
    )
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    # A sweep's caps: the prefix solve only, one signature for runs and sweeps alike.
    assert counts["capped"] == {"_prefix_capped": 1, "_solve_rows": 0, "_solve_row": 0}
    # The general solve compiles when first needed, once, whatever arrays come in (its
    # row solve is typed with it, or not at all when it is loaded from numba's cache).
    assert counts["all"]["_prefix_capped"] == counts["all"]["_solve_rows"] == 1
    assert counts["all"]["_solve_row"] <= 1
