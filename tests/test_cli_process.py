"""What ``indexlab run`` no longer pays for (issue 17, item 6), and what stays the same:
the engine loads scipy's BLAS module without the rest of ``scipy.linalg`` (the same
module, found the usual way where scipy is laid out otherwise); the command's process
collects garbage less often and freezes what is left at its end, while ``main([...])``
called from Python leaves the caller's collector alone."""

from __future__ import annotations

import gc
import importlib.machinery
import subprocess
import sys

import pytest

from indexlab import cli
from indexlab.cli import process
from indexlab.engine import scipy_blas


def _run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1]


# ---------------------------------------------------------------- scipy's BLAS alone
def test_the_engine_loads_scipys_blas_without_scipy_linalg():
    last = _run_python(
        "import sys\n"
        "import indexlab.engine\n"
        "from indexlab.engine import threads\n"
        "threads._blas_libraries()\n"  # the thread limit finds the libraries too
        "print(sorted(m for m in sys.modules if m.startswith('scipy.linalg')))\n"
    )
    assert last == "[]"


def test_scipy_linalg_imported_later_gets_the_same_module_and_the_same_functions():
    last = _run_python(
        "import numpy as np\n"
        "from indexlab.engine.scipy_blas import cython_blas, function_address\n"
        "alone, address = cython_blas(), function_address('dgemm')\n"
        "import scipy.linalg.cython_blas\n"
        "from numba.extending import get_cython_function_address\n"
        "usual = get_cython_function_address('scipy.linalg.cython_blas', 'dgemm')\n"
        "a = np.arange(6.0).reshape(2, 3)\n"
        "product = scipy.linalg.blas.dgemm(1.0, a, a.T)\n"
        "print(scipy.linalg.cython_blas is alone, address == usual,\n"
        "      np.allclose(product, a @ a.T))\n"
    )
    assert last == "True True True"


def test_it_is_the_file_the_usual_import_loads():
    alone = _run_python(
        "from indexlab.engine.scipy_blas import cython_blas\n"
        "module = cython_blas()\n"
        "print(module.__name__, module.__file__, sorted(module.__pyx_capi__))\n"
    )
    usual = _run_python(
        "import scipy.linalg.cython_blas as module\n"
        "print(module.__name__, module.__file__, sorted(module.__pyx_capi__))\n"
    )
    assert alone == usual


def test_elsewhere_the_usual_import_decides(monkeypatch):
    monkeypatch.delitem(sys.modules, scipy_blas.NAME, raising=False)
    monkeypatch.setattr(scipy_blas, "_loaded", {})
    monkeypatch.setattr(importlib.machinery.PathFinder, "find_spec", lambda *a, **k: None)
    seen = []
    monkeypatch.setattr(scipy_blas.importlib, "import_module", lambda name: seen.append(name))
    scipy_blas.cython_blas()
    assert seen == [scipy_blas.NAME]


def test_a_module_that_fails_to_load_leaves_nothing_behind(monkeypatch, tmp_path):
    monkeypatch.delitem(sys.modules, scipy_blas.NAME, raising=False)
    empty = tmp_path / "scipy" / "linalg"
    empty.mkdir(parents=True)
    (empty / "cython_blas.py").write_text("")  # not an extension module: not loaded alone
    import scipy

    monkeypatch.setattr(scipy, "__file__", str(tmp_path / "scipy" / "__init__.py"))
    assert scipy_blas._load_alone() is None
    assert scipy_blas.NAME not in sys.modules


# ---------------------------------------------------------------- the collector
@pytest.fixture
def collector_restored():
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


def test_the_command_collects_young_objects_less_often_and_freezes_at_its_end(
    collector_restored,
):
    young, middle, old = gc.get_threshold()
    frozen = gc.get_freeze_count()
    with process.command_process():
        assert gc.get_threshold() == (max(young, process.YOUNG_OBJECTS), middle, old)
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() > frozen


def test_main_called_from_python_leaves_the_collector_alone(monkeypatch, capsys):
    def refuse():
        raise AssertionError("main([...]) must not tune the caller's collector")

    monkeypatch.setattr(cli, "command_process", refuse)
    threshold, frozen = gc.get_threshold(), gc.get_freeze_count()
    assert cli.main(["strategies"]) in (0, 1)
    assert gc.get_threshold() == threshold and gc.get_freeze_count() == frozen


def test_the_command_line_process_tunes_its_collector():
    last = _run_python(
        "import gc, sys\n"
        "from indexlab import cli\n"
        "sys.argv = ['indexlab', '--version']\n"
        "try:\n"
        "    cli.main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(gc.get_threshold()[0], gc.get_freeze_count() > 0)\n"
    )
    assert last == f"{process.YOUNG_OBJECTS} True"


def test_a_run_without_its_report_loads_neither_scipy_linalg_nor_matplotlib(tmp_path):
    from report_runs import write_inputs

    data, strategy = write_inputs(tmp_path)
    out = tmp_path / "run"
    last = _run_python(
        "import sys\n"
        "from indexlab import cli\n"
        f"sys.argv = ['indexlab', 'run', {str(strategy)!r}, '--data', {str(data)!r},\n"
        f"            '--out', {str(out)!r}, '--no-report', '--quiet']\n"
        "assert cli.main() == 0\n"
        "print(sorted(m for m in ('scipy.linalg', 'matplotlib') if m in sys.modules))\n"
    )
    assert last == "[]"
    assert (out / "equity.csv").is_file()
