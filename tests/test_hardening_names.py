"""Names from files never choose where files go (issue 13, items 1 and 2).

An asset id, a strategy or sweep ``name`` or a symbol becomes a folder name only
through :func:`indexlab.paths.safe_component`; a strategy or sweep ``name`` that cannot
be a folder name (``/``, ``..``, NUL, newline) is a one-line error.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexlab import cli
from indexlab.paths import MAX_BYTES, name_problem, safe_component

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "strategies" / "top10-capped-monthly.toml"


def run_cli(args: list[str], capsys) -> tuple[int, str, str]:
    code = cli.main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


# ------------------------------------------------------------------ the function
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tron", "tron"),
        ("top10-capped-monthly", "top10-capped-monthly"),
        ("wrapped.bitcoin_v2", "wrapped.bitcoin_v2"),
        ("../../../../tmp/x", "tmp_x"),
        ("..\\..\\windows\\x", "windows_x"),
        ("/etc/passwd", "etc_passwd"),
        ("..", "unnamed"),
        (".", "unnamed"),
        ("", "unnamed"),
        ("\x00", "unnamed"),
        (".hidden", "hidden"),
        ("-rf", "rf"),
        ("a..b", "a.b"),
        ("trailing.", "trailing"),
        ("My index: 2024", "My_index_2024"),
        ("a\x00b", "a_b"),
        ("two\nlines", "two_lines"),
        ("evil\u202etxt.exe", "evil_txt.exe"),
        ("con", "con_"),
        ("NUL.csv", "NUL_.csv"),
        ("com1", "com1_"),
        ("東京指数", "東京指数"),
    ],
)
def test_safe_component_by_hand(name, expected):
    assert safe_component(name) == expected


def test_safe_component_long_names_are_cut_and_kept_apart():
    first, second = "a" * 300 + "1", "a" * 300 + "2"
    assert len(safe_component(first).encode()) == MAX_BYTES
    assert safe_component(first) != safe_component(second)
    assert len(safe_component("é" * 200).encode()) <= MAX_BYTES
    assert safe_component("..", fallback="asset") == "asset"


@given(st.text(max_size=300))
def test_safe_component_is_always_one_ordinary_name(name):
    component = safe_component(name)
    assert component and component not in (".", "..")
    assert len(component.encode("utf-8")) <= MAX_BYTES
    assert not component.startswith((".", "-", "_")) and not component.endswith(".")
    assert ".." not in component
    assert all(ch.isalnum() or ch in "._-" for ch in component)
    assert unicodedata.normalize("NFC", component) == component
    assert component.split(".")[0].upper() not in ("CON", "PRN", "AUX", "NUL")
    # Joined to a folder it stays directly inside that folder.
    assert os.path.dirname(os.path.normpath(os.path.join("runs", component))) == "runs"
    assert safe_component(component) == component  # what it returns is safe as it is


@given(st.text(alphabet="abcXYZ019-", min_size=1, max_size=50).filter(lambda s: s[0].isalnum()))
def test_safe_names_are_kept(name):
    assert safe_component(name) == name


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("a\x00b", "control character U+0000"),
        ("two\nlines", "control character U+000A"),
        ("tab\there", "control character U+0009"),
        ("evil\u202etxt", "invisible character U+202E"),
        ("../evil", "cannot be used as a folder name"),
        ("a/b", "cannot be used as a folder name"),
        ("..", "cannot be used as a folder name"),
        ("", "non-empty"),
    ],
)
def test_name_problem(name, fragment):
    assert fragment in name_problem(name)


def test_ordinary_names_have_no_problem():
    assert name_problem("top-n study (2024), v2 — 東京") is None


# ------------------------------------------------------------------ scenario
def hostile_market_file(tmp_path: Path, asset: str) -> Path:
    """A long table whose second asset id is ``asset``."""
    dates = pd.date_range("2025-01-01", periods=40, freq="D")
    rows = []
    for day in dates:
        rows.append(
            {"date": day.date(), "asset": "bitcoin", "close": 90_000.0, "market_cap": 1.8e12}
        )
        rows.append({"date": day.date(), "asset": asset, "close": 0.25, "market_cap": 2.5e10})
    path = tmp_path / "market.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("asset", ["../../../../tmp/x", "..", "a\nb"])
def test_scenario_asset_id_cannot_leave_runs(tmp_path, monkeypatch, capsys, asset):
    work = tmp_path / "work"
    work.mkdir()
    data = hostile_market_file(tmp_path, asset)
    monkeypatch.chdir(work)
    before = files_under(tmp_path)
    args = ["scenario", asset, "--data", str(data), "--tiers", "8T", "--shares", "x=1%"]
    code, _out, err = run_cli([*args, "--quiet"], capsys)
    assert code == 0, err
    written = files_under(tmp_path) - before
    folders = {p.parent for p in written if p.name == "scenario.csv"}
    assert folders == {work / "runs" / f"scenario-{safe_component(asset, fallback='asset')}"}
    assert all(p == work / "runs" or work / "runs" in p.parents for p in written)


# ------------------------------------------------------------------ strategy and sweep names
def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (control characters escaped, as TOML allows)."""
    return '"' + "".join(f"\\u{ord(c):04X}" if ord(c) < 32 or c in '"\\' else c for c in text) + '"'


def sweep_file(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "sweeps" / "s.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        f'name = {toml_string(name)}\nbase = "{BASE}"\n[grid]\n"universe.top_n" = [3, 5]\n',
        encoding="utf-8",
    )
    return path


BAD_NAMES = [
    ("../../../tmp/evil", "cannot be used as a folder name"),
    ("..", "cannot be used as a folder name"),
    ("a\x00b", "control character U+0000"),
    ("two\nlines", "control character U+000A"),
]


@pytest.mark.parametrize(("name", "fragment"), BAD_NAMES)
def test_a_sweep_name_that_is_not_a_folder_name_is_an_error(
    tmp_path, monkeypatch, capsys, name, fragment
):
    path = sweep_file(tmp_path, name)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before = files_under(tmp_path)
    code, out, err = run_cli(["sweep", str(path), "--quiet"], capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"indexlab: error: {path}: name: ")
    assert fragment in err
    assert files_under(tmp_path) == before


@pytest.mark.parametrize(("name", "fragment"), BAD_NAMES)
def test_a_strategy_name_with_control_characters_is_an_error(tmp_path, capsys, name, fragment):
    path = tmp_path / "s.toml"
    path.write_text(f"name = {toml_string(name)}\n", encoding="utf-8")
    before = files_under(tmp_path)
    code, out, err = run_cli(["run", str(path), "--quiet"], capsys)
    assert code == 1 and out == ""
    assert err == f"indexlab: error: {path}: name: {name_problem(name)}\n"
    assert fragment in err
    assert files_under(tmp_path) == before


def test_sweep_spec_in_python_checks_its_name():
    from indexlab.errors import SpecError
    from indexlab.spec import Strategy
    from indexlab.sweep import SweepSpec

    with pytest.raises(SpecError, match="name: '../x' cannot be used as a folder name"):
        SweepSpec(base=Strategy(), grid={"universe.top_n": (3,)}, name="../x")


def test_default_folders_of_run_and_sweep_are_safe_components(tmp_path, monkeypatch, capsys):
    """A name that passes the check may still hold spaces: its folder has none."""
    path = sweep_file(tmp_path, "top n: study")
    # ':' is refused; a space is not
    assert run_cli(["sweep", str(path), "--quiet"], capsys)[0] == 1
    path = sweep_file(tmp_path, "top n study")
    monkeypatch.chdir(tmp_path)
    code, _out, err = run_cli(["sweep", str(path), "--quiet"], capsys)
    assert code == 0, err
    assert (tmp_path / "runs" / "sweep-top_n_study" / "sweep.parquet").is_file()
