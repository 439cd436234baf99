"""The report: figures on their own canvas and a self-contained, escaped HTML tearsheet."""

from __future__ import annotations

import base64
import io
import math
import subprocess
import sys
from html import escape
from html.parser import HTMLParser
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text
from PIL import Image

import indexlab
from indexlab.report import drawdown_figure, growth_figure, style, write_report
from indexlab.report.tearsheet import FIGURES, format_metric

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
DEMO_WORDS = "synthetic demo data"
HOSTILE_DESCRIPTION = '<script>alert("x")</script> & <b>bold</b>'


# ---------------------------------------------------------------- parsing the HTML
class _Page(HTMLParser):
    """Tables (by id) as rows of cell texts, and every attribute of every tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self.attributes: list[tuple[str, str, str]] = []  # (tag, name, value)
        self.text_by_class: dict[str, list[str]] = {}
        self._table: str | None = None
        self._cell: list[str] | None = None
        self._classed: list[tuple[str, list[str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.attributes.extend((tag, name, value) for name, value in values.items())
        if tag == "table":
            self._table = values.get("id", f"table{len(self.tables)}")
            self.tables[self._table] = []
        elif tag == "tr" and self._table is not None:
            self.tables[self._table].append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = []
        if "class" in values and tag in ("div", "p"):
            self._classed.append((values["class"], []))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._table = None
        elif tag in ("div", "p") and self._classed:
            css, parts = self._classed.pop()
            self.text_by_class.setdefault(css, []).append("".join(parts))

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        for _, parts in self._classed:
            parts.append(data)


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def metric_cells(page: _Page) -> dict[str, dict[str, str]]:
    """portfolio -> heading -> cell text, from the metrics table (a row per metric)."""
    header, *rows = page.tables["metrics"]
    return {portfolio: {row[0]: row[k] for row in rows} for k, portfolio in enumerate(header) if k}


def percent(fraction: float) -> str:
    return f"{100 * fraction:.1f}%"


# ---------------------------------------------------------------- fixtures
def _small_synthetic_market() -> indexlab.Market:
    """90 days of 5 random assets, one with a symbol that needs escaping, no bitcoin."""
    rng = np.random.default_rng(11)
    dates = pd.date_range("2024-01-01", periods=90, freq="D")
    ids = ["AAA", "BBB", "CCC", "DDD", "EEE"]
    close = pd.DataFrame(
        np.exp(np.cumsum(rng.normal(0.0, 0.03, (90, 5)), axis=0)) * [5.0, 2.0, 1.0, 9.0, 3.0],
        index=dates,
        columns=ids,
    )
    cap = close * [4e9, 3e9, 2e9, 1e9, 5e8]
    assets = pd.DataFrame({"symbol": ["AAA", "BBB", "c<i>c", "DDD", "EEE"]}, index=ids)
    return indexlab.Market.from_panels(
        close, cap, assets=assets, source="generator <seed 11>", synthetic=True
    )


@pytest.fixture(scope="module")
def reference_result(reference_root: Path) -> indexlab.Result:
    market = indexlab.load_market(reference_root / "market.parquet")
    strategy = indexlab.Strategy(
        name="top10",
        description=HOSTILE_DESCRIPTION,
        universe=indexlab.Universe(top_n=10),
        benchmarks=("BTC", "TRX"),
        costs=indexlab.Costs(fee_bps=10),
        start=market.dates[0],  # before the first decision snapshot: the run notes it
    )
    return indexlab.run(strategy, market)


@pytest.fixture(scope="module")
def synthetic_result() -> indexlab.Result:
    strategy = indexlab.Strategy(
        name="tiny",
        universe=indexlab.Universe(top_n=10),  # more than the 5 assets: the run notes it
        benchmarks=("c<i>c",),
        costs=indexlab.Costs(fee_bps=10, slippage_bps=5),
    )
    return indexlab.run(strategy, _small_synthetic_market())


@pytest.fixture(scope="module")
def reference_report(reference_result, tmp_path_factory) -> tuple[list[Path], Path]:
    out = tmp_path_factory.mktemp("reference-run")
    return write_report(reference_result, out), out


@pytest.fixture(scope="module")
def synthetic_report(synthetic_result, tmp_path_factory) -> tuple[list[Path], Path]:
    out = tmp_path_factory.mktemp("synthetic-run")
    return write_report(synthetic_result, out), out


def html_of(report: tuple[list[Path], Path]) -> str:
    return (report[1] / "report.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- files
# Pixel sizes at the house resolution: 10 in wide; taller for the multi-panel figures.
FIGURE_PIXELS = {
    "growth": (1500, 840),
    "drawdown": (1500, 840),
    "annual": (1500, 840),
    "allocation": (1500, 840),
    "rolling": (1500, 1260),
    "rebalances": (1500, 1140),
}


def test_the_files_are_written_and_the_pngs_have_the_house_size(reference_result, reference_report):
    written, out = reference_report
    names = [name for name, _ in FIGURES]
    assert names == [
        "growth",
        "drawdown",
        "rolling",
        "annual",
        "monthly",
        "allocation",
        "rebalances",
    ]
    expected = [out / "figures" / f"{name}.png" for name in names] + [out / "report.html"]
    assert sorted(written) == sorted(expected)
    size = (round(style.FIGSIZE_IN[0] * style.DPI), round(style.FIGSIZE_IN[1] * style.DPI))
    assert size == FIGURE_PIXELS["growth"]
    years = len(set(reference_result.equity.index.year))
    for png in expected[:-1]:
        assert png.read_bytes().startswith(PNG_SIGNATURE)
        assert png.stat().st_size > 20_000, png  # a chart, not a blank canvas
        with Image.open(png) as image:
            image.verify()
        with Image.open(png) as image:
            assert image.format == "PNG"
            # The heatmap grows with the number of years: 2.3 in + 0.36 in per year.
            monthly = (1500, round((2.3 + 0.36 * years) * style.DPI))
            assert image.size == FIGURE_PIXELS.get(png.stem, monthly), png.stem


# ---------------------------------------------------------------- self-contained
@pytest.mark.parametrize("report", ["reference_report", "synthetic_report"])
def test_the_html_is_self_contained(report, request):
    written, out = request.getfixturevalue(report)
    html = html_of((written, out))
    page = parse(html)
    links = [(tag, name, value) for tag, name, value in page.attributes if name in ("src", "href")]
    images = [value for tag, name, value in links if tag == "img"]
    assert len(images) == len(FIGURES)
    # The only links are the contents' jumps to sections of the page itself.
    jumps = [value for tag, name, value in links if tag == "a"]
    assert jumps and all(value.startswith("#") for value in jumps), jumps
    ids = {value for _, name, value in page.attributes if name == "id"}
    assert {jump[1:] for jump in jumps} <= ids
    assert all((tag, name) in (("img", "src"), ("a", "href")) for tag, name, _ in links), links
    embedded = []
    for src in images:
        assert src.startswith("data:image/png;base64,")
        png = base64.b64decode(src.removeprefix("data:image/png;base64,"), validate=True)
        assert png.startswith(PNG_SIGNATURE)
        with Image.open(io.BytesIO(png)) as image:
            image.verify()
        embedded.append(png)
    assert len(set(embedded)) == len(embedded)
    # The embedded figures are the ones written beside the report, in the report's order.
    assert embedded == [(out / "figures" / f"{name}.png").read_bytes() for name, _ in FIGURES]
    lowered = html.lower()
    for external in ("http://", "https://", "<link", "<script", "@import", "url("):
        assert external not in lowered, external


# ---------------------------------------------------------------- content
def test_the_metrics_table_has_every_portfolio_and_formatted_values(
    reference_result, reference_report
):
    cells = metric_cells(parse(html_of(reference_report)))
    equity = reference_result.equity
    assert list(cells) == list(equity.columns) == ["top10", "BTC", "TRX"]
    for name in equity.columns:
        values = equity[name].to_numpy()
        assert cells[name]["Total return"] == percent(values[-1] - 1.0)  # C0 = 1
        max_drawdown = np.min(values / np.maximum.accumulate(values) - 1.0)
        assert cells[name]["Max drawdown"] == percent(max_drawdown)
    table = reference_result.metrics()
    strategy = cells["top10"]
    assert strategy["Sharpe"] == f"{table.loc['top10', 'sharpe']:.2f}"
    assert strategy["Longest drawdown (days)"] == str(
        int(table.loc["top10", "longest_drawdown_days"])
    )
    assert strategy["Rebalances"] == str(len(reference_result.trades))


def test_the_report_states_assumptions_notes_version_and_disclaimer(
    reference_result, reference_report
):
    html = html_of(reference_report)
    page = parse(html)
    assert dict(page.tables["assumptions-table"]) == reference_result.assumptions()
    assert "N = 365" in reference_result.assumptions()["Annualisation"]
    assert reference_result.notes, "the fixture's start date should produce a note"
    folder = str(Path(reference_result.market.source_path).parent)
    for note in reference_result.notes:  # as published: the data file's name, no folder
        assert escape(note.replace(folder + "/", "")) in html
    assert folder not in html
    assert f"indexlab {indexlab.__version__}" in html
    assert (
        "Backtested, hypothetical results; not the performance of any fund; past performance "
        "does not guarantee future results; not financial advice"
    ) in html


def test_the_synthetic_run_has_its_notes_and_dashes_for_missing_metrics(
    synthetic_result, synthetic_report
):
    page = parse(html_of(synthetic_report))
    assert any("fewer than top_n=10" in note for note in synthetic_result.notes)
    html = html_of(synthetic_report)
    for note in synthetic_result.notes:
        assert escape(note) in html
    # No bitcoin in this market: beta and correlation to BTC are NaN, shown as a dash.
    assert synthetic_result.metrics()["beta_btc"].isna().all()
    for row in metric_cells(page).values():
        assert row["Beta to BTC"] == "–"
        assert row["Correlation to BTC"] == "–"


@pytest.mark.parametrize(
    ("column", "value", "shown"),
    [
        ("total_return", 0.1234, "12.3%"),
        ("max_drawdown", -0.76897, "-76.9%"),
        ("cagr", 12.5, "1,250.0%"),
        ("sharpe", 1.2345, "1.23"),
        ("calmar", math.nan, "–"),
        ("longest_drawdown_days", 966.0, "966"),
        ("longest_drawdown_days", math.nan, "–"),
    ],
)
def test_metric_formats(column, value, shown):
    assert format_metric(column, value) == shown


def test_synthetic_demo_data_is_said_if_and_only_if_the_market_is_synthetic(
    reference_result, synthetic_result, reference_report, synthetic_report
):
    synthetic_page = parse(html_of(synthetic_report))
    assert any(DEMO_WORDS in text for text in synthetic_page.text_by_class.get("banner", []))
    assert DEMO_WORDS not in html_of(reference_report).lower()
    for result, expected in ((synthetic_result, True), (reference_result, False)):
        for make in (growth_figure, drawdown_figure):
            texts = [t.get_text() for t in make(result).findobj(Text)]
            assert any(DEMO_WORDS in text for text in texts) is expected


def test_text_from_specs_and_data_is_escaped(reference_report, synthetic_report):
    html = html_of(reference_report)
    assert "<script>" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    synthetic = html_of(synthetic_report)
    assert "C<I>C" not in synthetic and "C&lt;I&gt;C" in synthetic  # a benchmark's label
    assert "<seed 11>" not in synthetic and "&lt;seed 11&gt;" in synthetic  # the data source
    assert "C<I>C" in metric_cells(parse(synthetic))


def test_the_worst_drawdowns_start_with_the_max_drawdown(reference_result, reference_report):
    page = parse(html_of(reference_report))
    header, *rows = page.tables["worst-drawdowns"]
    assert 1 <= len(rows) <= 5
    depth_column = header.index("Depth")
    depths = [row[depth_column] for row in rows]
    max_drawdown = reference_result.metrics().loc["top10", "max_drawdown"]
    assert depths[0] == percent(max_drawdown)
    assert depths[0] == metric_cells(page)["top10"]["Max drawdown"]
    as_numbers = [float(depth.rstrip("%")) for depth in depths]
    assert as_numbers == sorted(as_numbers)


# ---------------------------------------------------------------- no global state
def test_figures_use_their_own_canvas_and_leave_rcparams_alone(synthetic_result):
    def settings() -> dict:  # "backend" left out: reading it may resolve the backend
        return {key: matplotlib.rcParams[key] for key in matplotlib.rcParams if key != "backend"}

    before = settings()
    figures = [growth_figure(synthetic_result), drawdown_figure(synthetic_result)]
    assert settings() == before
    for figure in figures:
        assert isinstance(figure.canvas, FigureCanvasAgg)
        width, height = figure.get_size_inches()
        assert (width, height) == style.FIGSIZE_IN


def test_importing_the_report_does_not_load_pyplot():
    code = (
        "import sys, indexlab.report, matplotlib\n"
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------- what a reader sees
@pytest.fixture(scope="module")
def long_texts_result() -> indexlab.Result:
    """A 300-character title, 70-character symbols, a long legend (issue 14, item 4)."""
    from report_runs import long_texts_strategy, survivors_table

    from indexlab.sources import market_from_long

    market = market_from_long(survivors_table(symbol_chars=70), source="long")
    return indexlab.run(long_texts_strategy(), market, warn=False)


@pytest.mark.parametrize("which", ["reference_result", "synthetic_result", "long_texts_result"])
def test_no_text_of_a_figure_overlaps_another_or_leaves_the_canvas(which, request):
    from report_runs import overlapping_texts, texts_off_canvas

    from indexlab.report.tearsheet import _MAKERS

    result = request.getfixturevalue(which)
    for name, make in _MAKERS.items():
        figure = make(result)
        assert overlapping_texts(figure) == [], name
        assert texts_off_canvas(figure) == [], name
        renderer = figure.canvas.get_renderer()
        for ax in figure.axes:  # a legend sits beside the data, never on it
            legend = ax.get_legend()
            if legend is None:
                continue
            box, frame = legend.get_window_extent(renderer), ax.get_window_extent(renderer)
            beside = box.x0 >= frame.x1 or box.x1 <= frame.x0
            assert beside or box.y1 <= frame.y0 or box.y0 >= frame.y1, name
