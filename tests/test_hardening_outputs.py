"""Issue 13, what files say: names that look like spreadsheet formulas (item 3), saved
report sections with markup (item 6) and hand-edited or truncated run folders (item 10).
Each test names a row of docs/bad-input.md."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from report_runs import STRATEGY_TOML, small_market_table

from indexlab import cli
from indexlab.cells import neutralise, neutralise_cells, restore, restore_cells
from indexlab.export import export
from indexlab.report import read_run

EVIL_ID = '=HYPERLINK("http://evil.example","click")'
EVIL_SYMBOL = "@SUM(1+1)"
MINUS_ID = "-2+3"
EVIL_NAME = "+top4"


@pytest.fixture(scope="module")
def evil_run(tmp_path_factory) -> Path:
    """A run whose asset ids, a symbol and the strategy name look like formulas."""
    inputs = tmp_path_factory.mktemp("evil-inputs")
    table = small_market_table()
    table.loc[table["asset"] == "alpha-coin", "symbol"] = EVIL_SYMBOL
    table = table.replace({"asset": {"alpha-coin": EVIL_ID, "beta-coin": MINUS_ID}})
    table.to_csv(inputs / "market.csv", index=False)
    strategy = inputs / "evil.toml"
    strategy.write_text(STRATEGY_TOML.replace('"small-top4"', f'"{EVIL_NAME}"'), encoding="utf-8")
    out = tmp_path_factory.mktemp("evil-runs") / "evil"
    args = ["run", str(strategy), "--data", str(inputs / "market.csv"), "--out", str(out)]
    assert cli.main([*args, "--quiet"]) == 0
    written = pd.read_csv(out / "weights.csv")["asset"]
    # The run folder's CSVs are neutralised too, and read back to the same names.
    assert {"'" + EVIL_ID, "'" + MINUS_ID} <= set(written)
    assert {EVIL_ID, MINUS_ID} <= set(written.map(restore))  # the run holds both
    assert f"'{EVIL_NAME}" in (out / "equity.csv").read_text(encoding="utf-8").splitlines()[0]
    return out


# ---------------------------------------------------------------- item 3: formulas
def test_xlsx_export_writes_cells_from_data_as_text_never_as_formulas(evil_run, tmp_path):
    import openpyxl

    (book_path,) = export(evil_run, tmp_path, formats=("xlsx",))
    book = openpyxl.load_workbook(book_path)
    found = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if cell.value in (EVIL_ID, MINUS_ID, EVIL_NAME, EVIL_SYMBOL):
                    assert cell.data_type == "s" and cell.quotePrefix, cell.coordinate
                    found.add(cell.value)
    assert {EVIL_ID, MINUS_ID, EVIL_NAME} <= found
    # Numbers stay numbers: the worst drawdown is a negative float, not text.
    depth = pd.read_excel(book_path, sheet_name="drawdowns")["depth"]
    assert pd.api.types.is_float_dtype(depth) and (depth < 0).all()


def test_csv_export_puts_a_quote_before_text_that_starts_a_formula(evil_run, tmp_path):
    export(evil_run, tmp_path, formats=("csv",))
    weights = pd.read_csv(tmp_path / "csv" / "weights.csv")
    assert {"'" + EVIL_ID, "'" + MINUS_ID} <= set(weights["asset"])
    assert not weights["asset"].str.startswith(("=", "+", "-", "@")).any()
    equity = pd.read_csv(tmp_path / "csv" / "equity.csv", index_col="date")
    assert equity.columns[0] == "'" + EVIL_NAME
    metrics = pd.read_csv(tmp_path / "csv" / "metrics.csv", index_col=0)
    assert metrics.index[0] == "'" + EVIL_NAME
    # Numeric columns are untouched: negative returns and drawdowns are numbers.
    returns = pd.read_csv(tmp_path / "csv" / "returns.csv", index_col="date")
    assert (
        all(pd.api.types.is_float_dtype(returns[c]) for c in returns) and (returns < 0).any().all()
    )
    assert pd.api.types.is_float_dtype(metrics["max_drawdown"])


def test_a_neutralised_run_folder_reads_back_the_same_names(evil_run, tmp_path):
    """The run folder's CSVs, written with the quote (indexlab.cells), read back exactly."""
    before = read_run(evil_run)
    copy = tmp_path / "run"
    shutil.copytree(evil_run, copy)
    for name in ("equity.csv", "metrics.csv", "weights.csv", "assets.csv", "trades.csv"):
        frame = restore_cells(pd.read_csv(copy / name, dtype=str, keep_default_na=False))
        neutralise_cells(frame).to_csv(copy / name, index=False)  # whatever output.py did
    assert "'" + EVIL_ID in set(pd.read_csv(copy / "weights.csv")["asset"])
    after = read_run(copy)
    assert list(after.equity.columns) == list(before.equity.columns) == [EVIL_NAME, "BTC", "TRX"]
    assert list(after.metrics.index) == list(before.metrics.index)
    assert list(after.weights.columns) == list(before.weights.columns)
    assert {EVIL_ID, MINUS_ID} <= set(after.weights.columns)
    assert after.asset_labels == before.asset_labels
    assert after.label(EVIL_ID) == EVIL_SYMBOL
    pd.testing.assert_frame_equal(after.equity, before.equity)


@given(st.text(max_size=12))
def test_restore_undoes_neutralise_and_nothing_starts_a_formula(text):
    safe = neutralise(text)
    assert restore(safe) == text
    if safe.startswith(("=", "+", "-", "@", "\t", "\r")):
        float(safe)  # only a plain number may keep its sign


def test_neutralise_examples():
    assert neutralise("=1+2") == "'=1+2"
    assert neutralise("-0.05") == "-0.05"
    assert neutralise("-2+3") == "'-2+3"
    assert neutralise("'x") == "''x"
    assert neutralise("bitcoin") == "bitcoin"
    assert neutralise("\t=x") == "'\t=x"


# ---------------------------------------------------------------- item 10: run folders
@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> Path:
    from report_runs import write_inputs

    data, strategy = write_inputs(tmp_path_factory.mktemp("good-inputs"))
    out = tmp_path_factory.mktemp("good-runs") / "small"
    assert cli.main(["run", str(strategy), "--data", str(data), "--out", str(out), "--quiet"]) == 0
    return out


def _cut(name: str, size: int):
    def edit(folder: Path) -> None:
        content = (folder / name).read_bytes()
        (folder / name).write_bytes(content[:size])

    return edit


def _replace_line(name: str, number: int, change):
    def edit(folder: Path) -> None:
        lines = (folder / name).read_text().splitlines(keepends=True)
        lines[number - 1] = change(lines[number - 1])
        (folder / name).write_text("".join(lines))

    return edit


def _manifest(key: str, value):
    def edit(folder: Path) -> None:
        import json

        manifest = json.loads((folder / "manifest.json").read_text())
        manifest[key] = value
        (folder / "manifest.json").write_text(json.dumps(manifest))

    return edit


def _second_field(text: str):
    return lambda line: ",".join([line.split(",")[0], text, *line.split(",")[2:]])


BROKEN_FOLDERS = {  # case -> (edit, what the one line says)
    "truncated equity.csv": (_cut("equity.csv", 3000), "equity.csv line 57: 1 field(s) where"),
    "non-numeric equity cell": (
        _replace_line("equity.csv", 5, _second_field("abc")),
        "equity.csv line 5, column 'small-top4': 'abc' is not a number > 0",
    ),
    "missing column": (
        _replace_line("equity.csv", 1, lambda line: line.replace("date", "day", 1)),
        "equity.csv: no column 'date' (it has: day,",
    ),
    "truncated manifest.json": (
        _cut("manifest.json", 200),
        ("manifest.json line ", " column ", ": not valid JSON (Unterminated string"),
    ),
    "bad manifest value": (
        _manifest("periods_per_year", "abc"),
        "manifest.json: key 'periods_per_year' should be a whole number > 0",
    ),
    "bad weight": (
        _replace_line("weights.csv", 3, lambda line: line.rsplit(",", 1)[0] + ",xyz\n"),
        "weights.csv line 3, column 'weight': 'xyz' is not a finite number",
    ),
    "truncated trades.csv": (_cut("trades.csv", 500), "trades.csv line 6: 3 field(s) where"),
    "metrics row removed": (
        _replace_line("metrics.csv", 2, lambda line: ""),
        "metrics.csv: no row for portfolio 'small-top4' of equity.csv",
    ),
    "truncated parquet": (
        _cut("daily_weights.parquet", 100),
        "daily_weights.parquet: not a readable Parquet file",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN_FOLDERS))
def test_a_broken_run_folder_is_one_line_naming_file_and_line(case, good_run, tmp_path, capsys):
    edit, message = BROKEN_FOLDERS[case]
    folder = tmp_path / "run"
    shutil.copytree(good_run, folder)
    edit(folder)
    for command in (
        ["report", str(folder)],
        ["figure", str(folder), "--kind", "all", "--out", str(tmp_path / "m")],
        ["export", str(folder), "--format", "csv,xlsx", "--out", str(tmp_path / "e")],
    ):
        assert cli.main(command) == 1, command
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "internal error" not in err, err
        for part in message if isinstance(message, tuple) else (message,):
            assert part in err, err


# ---------------------------------------------------------------- item 6: sections
HOSTILE_SECTIONS = {  # html -> what the one line names
    "<p>fine</p><script>alert(1)</script>": "<script>",
    '<img src="x" onerror="alert(1)">': "<img>",
    '<a href="javascript:alert(1)">click</a>': "attribute href='javascript:alert(1)' on <a>",
    '<p onclick="alert(1)">x</p>': "attribute onclick=",
    '<a href="https://evil.example/">x</a>': "attribute href='https://evil.example/'",
    '<p style="background:url(https://evil.example/x.png)">x</p>': "attribute style=",
    "<iframe src=data:text/html,x></iframe>": "<iframe>",
}


def _save_section(folder: Path, html: str, **extra) -> Path:
    import json

    path = folder / "sections" / "hostile.json"
    path.parent.mkdir(exist_ok=True)
    record = {"title": "<b>t</b>", "order": 5, "html": html, "figures": [], **extra}
    path.write_text(json.dumps(record))
    return path


@pytest.mark.parametrize("html", list(HOSTILE_SECTIONS))
def test_a_saved_section_with_scripts_or_outside_links_is_refused(html, good_run, tmp_path, capsys):
    folder = tmp_path / "run"
    shutil.copytree(good_run, folder)
    before = (folder / "report.html").read_text()
    path = _save_section(folder, html)
    assert cli.main(["report", str(folder)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(path) in err and "line 1 column" in err, err
    assert HOSTILE_SECTIONS[html] in err and "not allowed in a report section" in err, err
    assert (folder / "report.html").read_text() == before  # the previous report is kept


def test_a_section_is_written_out_from_its_parse_and_the_page_forbids_scripts(good_run, tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(good_run, folder)
    html = (
        '<p class="x">a &lt; b &amp; <em>c</em><!-- gone --></p>'
        '<table><tr style="text-align: right;"><td colspan=2>1</td></tr>'
        '<a href="#performance">up</a><ul><li>unclosed'
    )
    _save_section(folder, html)
    assert cli.main(["report", str(folder), "--quiet"]) == 0
    page = (folder / "report.html").read_text()
    body = page.split('<section id="section-hostile">', 1)[1].split("</section>", 1)[0]
    assert "<h2>&lt;b&gt;t&lt;/b&gt;</h2>" in body
    assert (
        '<p class="x">a &lt; b &amp; <em>c</em></p><table><tr style="text-align: right;">'
        '<td colspan="2">1</td></tr><a href="#performance">up</a><ul><li>unclosed</li></ul>'
        "</table>"
    ) in body
    head = page.split("</head>", 1)[0]
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'\">"
    ) in head
    assert "<script" not in page.lower()


def test_a_saved_section_cannot_pull_in_a_file_from_elsewhere(good_run, tmp_path, capsys):
    folder = tmp_path / "run"
    shutil.copytree(good_run, folder)
    (tmp_path / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\nsecret")
    figure = {"file": "../../secret.png", "caption": "c"}
    path = _save_section(folder, "<p>x</p>", figures=[figure])
    assert cli.main(["report", str(folder)]) == 1
    err = capsys.readouterr().err
    assert str(path) in err and "must be a file name in" in err and err.count("\n") == 1
