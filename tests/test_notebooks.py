"""The notebooks run top to bottom, on the demo market and on real data, each in under a
minute, and are stored without outputs.

They are executed once per session, two kernels at a time (one per core), and each test
reads the outcome of its own notebook.
"""

from __future__ import annotations

import os
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from conftest import shared_data_dir
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
LIMIT_SECONDS = 60
MARKET_VARIABLES = ("INDEXLAB_MARKET", "INDEXLAB_SHARED_DATA")
# Run on the demo market only: what they show (a Dask cluster's mechanics) does not
# depend on the data, and each real-data run costs the session most of a minute.
DEMO_ONLY = {"07-sweeps-on-dask"}
REAL_NOTEBOOKS = [path for path in NOTEBOOKS if path.stem not in DEMO_ONLY]


def execute(path: Path, env: dict[str, str]) -> tuple[nbformat.NotebookNode | None, float, str]:
    """Run a notebook in a fresh kernel with ``env``: (notebook, seconds, error or "")."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=LIMIT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    started = time.perf_counter()
    try:
        client.execute(env=env)
    except Exception:  # reported by the notebook's own test, with the failing cell
        return notebook, time.perf_counter() - started, traceback.format_exc(limit=3)
    return notebook, time.perf_counter() - started, ""


@pytest.fixture(scope="session")
def executed(tmp_path_factory) -> dict[tuple[str, str], tuple]:
    """(mode, notebook stem) -> (notebook, seconds, error); mode "real" only with the
    shared data, read from one import of its CoinGecko collection."""
    plain = {k: v for k, v in os.environ.items() if k not in MARKET_VARIABLES}
    jobs = [("demo", path, plain) for path in NOTEBOOKS]
    shared = shared_data_dir()
    if shared is not None:
        from indexlab.sources.coingecko import import_coingecko, write_long_table

        frame, summary = import_coingecko(shared / "coingecko-2025" / "coins")
        market = tmp_path_factory.mktemp("market") / "market.parquet"
        write_long_table(frame, market, summary)
        real = {**plain, "INDEXLAB_MARKET": str(market)}
        jobs += [("real", path, real) for path in REAL_NOTEBOOKS]
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {(mode, path.stem): pool.submit(execute, path, env) for mode, path, env in jobs}
    return {key: future.result() for key, future in futures.items()}


def printed(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.append(output.get("data", {}).get("text/plain", ""))
    return "\n".join(parts)


def outcome(executed, mode: str, path: Path) -> nbformat.NotebookNode:
    notebook, seconds, error = executed[(mode, path.stem)]
    assert not error, error
    assert seconds < LIMIT_SECONDS
    images = sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    assert images >= 1 or path.stem.startswith("05"), "no figure was shown"
    return notebook


def test_the_notebooks_are_there():
    names = {path.stem for path in NOTEBOOKS}
    assert names == {
        "01-quick-start",
        "02-designing-an-index",
        "03-signal-flips",
        "04-parameter-study",
        "05-interoperability",
        "06-survivorship",
        "07-sweeps-on-dask",
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_stored_without_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_the_demo_market(path, executed):
    assert "synthetic demo data" in printed(outcome(executed, "demo", path))


@pytest.mark.parametrize("path", REAL_NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_on_real_data(path, shared_data, executed):
    text = printed(outcome(executed, "real", path))
    assert "synthetic demo data" not in text
    assert "market.parquet" in text
