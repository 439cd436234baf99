"""Correctness in the benchmark: the sweep against the single run and the reference
loop, and vectorbt's and bt's equity curves against indexlab's.

``task_check`` (a fresh process, untimed) takes the sweep's random sample of 20
configurations (bench_libraries.sample_configs) and compares, within 1e-9 relative:
``run_configs(..., keep_equity=True)`` (the batched engine), ``indexlab.run`` of each
configuration alone, the day-by-day reference loop of ``tests/reference_loop.py`` (an
oracle written apart from the engine), and the timed ``sweep``'s total return.
:func:`crosscheck` then compares the other libraries' curves with these: within 1e-12
without fees; with fees, each library's own fee convention makes them differ, by
less than the fees paid (see bench_libraries for the three conventions).
"""

from __future__ import annotations

import multiprocessing
import sys
from pathlib import Path
from typing import Any

import bench_libraries as libs
import numpy as np
import pandas as pd
from bench_tasks import equity_file, load_market

import indexlab
from indexlab.sweep import run_configs

SAMPLE_SIZE = 20
ENGINE_TOLERANCE = 1e-9  # batched engine, single run and reference loop
NO_FEE_TOLERANCE = 1e-12  # vectorbt and bt without fees
TESTS = Path(__file__).resolve().parents[1] / "tests"

_reference_inputs: tuple[pd.DataFrame, pd.DataFrame] | None = None


def relative_difference(other: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """|other - reference| / |reference| on the reference's dates and columns."""
    other = other.reindex(index=reference.index, columns=reference.columns)
    return (other - reference).abs() / reference.abs()


def _worst(other: pd.DataFrame, reference: pd.DataFrame) -> float:
    """The largest relative difference; infinite if a date or a value is missing."""
    values = relative_difference(other, reference).to_numpy()
    return float("inf") if np.isnan(values).any() else float(values.max())


def _reference_curve(config: libs.Config) -> pd.Series:
    """The reference loop over the whole panel (runs in a forked worker)."""
    from reference_loop import reference_backtest

    assert _reference_inputs is not None
    close, market_cap = _reference_inputs
    return reference_backtest(
        close,
        market_cap,
        start=close.index[0],
        end=close.index[-1],
        top_n=config.top_n,
        scheme=config.weighting,
        cap=config.cap,
        frequency=config.rebalance,
        lag_days=0,
        cost_rate=config.cost_rate,
    )


def task_check(workdir: Path, panel: str) -> dict[str, Any]:
    global _reference_inputs
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    market = load_market(workdir, panel)
    sample = libs.sample_configs(libs.sweep_spec().configs(), SAMPLE_SIZE)
    configs = [libs.Config.of_sweep(c) for c in sample]
    labels = [c.label for c in configs]
    frame, equities = run_configs(market, sample, keep_equity=True)
    batch = pd.DataFrame({label: equities[c.id] for label, c in zip(labels, sample, strict=True)})
    batch.to_pickle(equity_file(workdir, panel, "check_batch"))
    single = pd.DataFrame(
        {
            label: indexlab.run(c.strategy, market).equity[c.strategy.name]
            for label, c in zip(labels, sample, strict=True)
        }
    )
    # The reference loop takes seconds per configuration: two forked workers.
    _reference_inputs = (market.close, market.market_cap)
    with multiprocessing.get_context("fork").Pool(2) as pool:
        curves = pool.map(_reference_curve, configs)
    reference = pd.DataFrame(dict(zip(labels, curves, strict=True)))
    table = pd.read_pickle(workdir / f"{panel}.sweep-table.pkl").set_index("config_id")
    swept = table.loc[[c.id for c in sample], "total_return"].to_numpy()
    rows = []
    for label, c in zip(labels, sample, strict=True):
        final = batch[label].iloc[-1]
        rows.append(
            {
                "config": label,
                "batch_vs_single": _worst(batch[[label]], single[[label]]),
                "batch_vs_reference": _worst(batch[[label]], reference[[label]]),
                "total_cost": float(frame.set_index("config_id").at[c.id, "total_cost"]),
                "final_equity": float(final),
            }
        )
    sweep_vs_batch = np.abs((swept + 1.0) - batch.iloc[-1].to_numpy()) / batch.iloc[-1].to_numpy()
    worst = {key: max(r[key] for r in rows) for key in ("batch_vs_single", "batch_vs_reference")}
    worst["sweep_total_return_vs_batch"] = float(sweep_vs_batch.max())
    return {
        "configs": rows,
        "worst": worst,
        "tolerance": ENGINE_TOLERANCE,
        "passed": all(v <= ENGINE_TOLERANCE for v in worst.values()),
    }


# ------------------------------------------------------------- other libraries
def _pair(name: str, other: pd.DataFrame, reference: pd.DataFrame, fees: pd.Series) -> dict:
    """Max relative differences of ``other``'s curves from ``reference``'s, apart for the
    configurations without fees (1e-12) and with (explained if below the fees paid)."""
    diff = relative_difference(other, reference)
    worst = diff.max()
    free = [c for c in diff.columns if fees.get(c, 0.0) == 0.0]
    charged = [c for c in diff.columns if c not in free]
    entry: dict[str, Any] = {
        "pair": name,
        "curves": len(diff.columns),
        "missing_points": int(diff.isna().to_numpy().sum()),
    }
    if free:
        entry["no_fee_curves"] = len(free)
        entry["no_fee_max"] = float(worst[free].max())
        entry["no_fee_worst"] = str(worst[free].idxmax())
        entry["no_fee_passed"] = bool(worst[free].max() <= NO_FEE_TOLERANCE)
    if charged:
        paid = fees[charged]
        entry["fee_curves"] = len(charged)
        entry["fee_max"] = float(worst[charged].max())
        entry["fee_final_max"] = float(diff[charged].iloc[-1].max())
        entry["fee_first_day_max"] = float(diff[charged].iloc[0].max())
        entry["fee_max_share_of_fees_paid"] = float((worst[charged] / paid).max())
        entry["fee_explained"] = bool((worst[charged] <= paid).all())
    return entry


def crosscheck(
    equities: dict[str, pd.DataFrame | pd.Series], check: dict[str, Any]
) -> dict[str, Any]:
    """One panel: case A and the sweep's sample, vectorbt and bt against indexlab."""
    frames = {k: v.to_frame() if isinstance(v, pd.Series) else v for k, v in equities.items()}
    a_ref = frames["indexlab_a"]
    no_fees = pd.Series({a_ref.columns[0]: 0.0})
    case_a = [
        _pair(f"{lib} vs indexlab", frames[f"{lib}_a"].set_axis(a_ref.columns, axis=1), a_ref,
              no_fees)
        for lib in ("vectorbt", "bt")
    ]  # fmt: skip
    batch = frames["check_batch"]
    # Fees paid (sum of cost / value before each trade); exactly 0 without fees.
    fees = pd.Series({r["config"]: r["total_cost"] for r in check["configs"]})
    sweep = [
        _pair(f"{lib} vs indexlab", frames[f"{lib}_grid"], batch[frames[f"{lib}_grid"].columns],
              fees)
        for lib in ("vectorbt", "bt")
    ]  # fmt: skip
    return {
        "final_equity_a": {
            lib: float(frames[f"{lib}_a"].iloc[-1, 0]) for lib in ("indexlab", "vectorbt", "bt")
        },
        "case_a": case_a,
        "sweep_sample": sweep,
    }
