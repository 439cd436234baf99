"""Marketing figures: every kind renders for the demo and real runs at the promised
pixel sizes, carries the disclosure, and shows no overlapping or clipped text; brands
set the look and are checked; `indexlab figure` writes the files."""

from __future__ import annotations

import inspect
import xml.etree.ElementTree as ET
from pathlib import Path

import matplotlib
import pytest
from matplotlib.text import Text
from PIL import Image
from report_runs import overlapping_texts, texts_off_canvas, visible_texts, write_inputs

import indexlab
from indexlab import cli
from indexlab.report import (
    HOUSE,
    KINDS,
    Brand,
    RunData,
    load_brand,
    marketing_figure,
    save_marketing_figure,
)
from indexlab.report.brand import BrandError
from indexlab.report.style import DISCLOSURE

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "strategies" / "top100-mcap-monthly.toml"
FULL_DISCLOSURE = (
    "Backtested, hypothetical results; not the performance of any fund; past performance "
    "does not guarantee future results; not financial advice."
)


@pytest.fixture(scope="module")
def demo_run() -> RunData:
    strategy = indexlab.Strategy.from_toml(DEFAULT)
    return RunData.from_result(indexlab.run(strategy, indexlab.demo_market()))


@pytest.fixture(scope="module")
def real_run(shared_data) -> RunData:
    from indexlab.sources import market_from_long
    from indexlab.sources.coingecko import import_coingecko

    frame, _ = import_coingecko(shared_data / "coingecko-2025" / "coins")
    market = market_from_long(frame, source="CoinGecko (shared collection)")
    strategy = indexlab.Strategy.from_toml(DEFAULT).replace(
        start=pd_day("2018-01-01"), end=pd_day("2025-07-07")
    )
    return RunData.from_result(indexlab.run(strategy, market))


def pd_day(text: str):
    import pandas as pd

    return pd.Timestamp(text)


def disclosure_of(figure) -> Text:
    found = [t for t in figure.texts if t.get_gid() == "disclosure"]
    assert len(found) == 1
    return found[0]


def chart_of(figure):
    (chart,) = [ax for ax in figure.axes if ax.get_gid() == "chart"]
    return chart


def check_figure(figure) -> None:
    """What a designer checks: the disclosure in full, nothing overlapping or clipped."""
    notice = disclosure_of(figure)
    assert " ".join(notice.get_text().split()) == FULL_DISCLOSURE
    assert notice.get_visible() and notice.get_fontsize() >= 9
    assert overlapping_texts(figure) == []
    assert texts_off_canvas(figure) == []
    renderer = figure.canvas.get_renderer()
    chart = chart_of(figure).get_tightbbox(renderer)
    box = notice.get_window_extent(renderer)
    assert box.y1 < chart.y0  # under the chart, not on it


# ---------------------------------------------------------------- every kind, both runs
@pytest.mark.parametrize("which", ["demo_run", "real_run"])
def test_every_kind_renders_at_the_promised_size_with_the_disclosure(which, request, tmp_path):
    run = request.getfixturevalue(which)
    for kind in KINDS:
        figure = marketing_figure(run, kind)
        check_figure(figure)
        texts = " ".join(t.get_text() for t in visible_texts(figure))
        assert ("Synthetic demo data" in texts) is (which == "demo_run")
        assert run.display_title in texts  # the default title: the strategy file's title
        if kind == "annual":  # the values printed on the bars stay inside the chart
            chart = chart_of(figure)
            frame = chart.get_window_extent()
            renderer = figure.canvas.get_renderer()
            for label in chart.texts:
                box = label.get_window_extent(renderer)
                assert frame.y0 <= box.y0 and box.y1 <= frame.y1, label.get_text()
        written = save_marketing_figure(run, kind, tmp_path / which, dpi=100)
        assert [p.name for p in written] == [f"{kind}.png", f"{kind}.svg"]
        png, svg = written
        assert png.stat().st_size > 30_000 and svg.stat().st_size > 30_000
        if kind == "growth":  # PDF on request, its disclosure in the info dictionary
            (pdf,) = save_marketing_figure(run, kind, tmp_path / "pdf", formats=("pdf",))
            assert pdf.read_bytes().startswith(b"%PDF") and b"/Subject" in pdf.read_bytes()
        with Image.open(png) as image:
            assert image.size == (1200, 675)  # 16:9, 1200 px wide
            assert image.info["Description"] == FULL_DISCLOSURE
        root = ET.parse(svg).getroot()
        assert root.get("width") == "864pt" and root.get("height") == "486pt"  # 12 x 6.75 in
        assert FULL_DISCLOSURE in svg.read_text(encoding="utf-8")


def test_print_resolution_keeps_the_layout(demo_run, tmp_path):
    (png,) = save_marketing_figure(demo_run, "annual", tmp_path, formats=("png",))
    with Image.open(png) as image:
        assert image.size == (3600, 2025)  # the default 300 dpi
    small = marketing_figure(demo_run, "annual")
    small.set_dpi(300)
    check_figure(small)  # sizes are in points: nothing moves at another resolution


def test_growth_shows_ten_thousand_dollars_and_final_values(demo_run):
    figure = marketing_figure(demo_run, "growth")
    ax = chart_of(figure)
    assert ax.get_yscale() == "log"
    figure.canvas.draw()
    ticks = [t.get_text() for t in ax.yaxis.get_majorticklabels() if t.get_text()]
    assert "$10k" in ticks and all(t.startswith("$") for t in ticks)  # plain money, no 10^x
    finals = [t.get_text() for t in ax.texts]
    expected = [f"${v:,.0f}" for v in demo_run.equity.iloc[-1] * 10_000]
    assert sorted(finals) == sorted(expected)
    assert ax.get_legend() is not None
    legend = ax.get_legend().get_window_extent(figure.canvas.get_renderer())
    assert legend.y0 >= ax.get_window_extent().y1  # above the data, never over it


def test_texts_given_replace_the_defaults_and_wrap(demo_run):
    title = "A very long headline for the index that has to wrap before the edge of the figure"
    figure = marketing_figure(
        demo_run, "drawdown", title=title, subtitle="Since 2017", source="Acme data"
    )
    check_figure(figure)
    texts = [t.get_text() for t in figure.texts]
    assert any(" ".join(t.split()) == title and "\n" in t for t in texts)
    assert "Since 2017" in texts
    assert any(t.startswith("Source: Acme data.") for t in (" ".join(x.split()) for x in texts))


def test_the_disclosure_cannot_be_switched_off(demo_run):
    for function in (marketing_figure, save_marketing_figure):
        assert not any("disclos" in name for name in inspect.signature(function).parameters)
    empty = marketing_figure(demo_run, "growth", title="", subtitle="", source="")
    assert " ".join(disclosure_of(empty).get_text().split()) == FULL_DISCLOSURE
    assert FULL_DISCLOSURE == f"{DISCLOSURE}."


def test_figures_leave_rcparams_alone(demo_run):
    before = {k: matplotlib.rcParams[k] for k in matplotlib.rcParams if k != "backend"}
    marketing_figure(demo_run, "allocation", brand=Brand(font_family="DejaVu Serif"))
    assert {k: matplotlib.rcParams[k] for k in matplotlib.rcParams if k != "backend"} == before


# ---------------------------------------------------------------- brands
def make_logo(path: Path) -> Path:
    image = Image.new("RGBA", (300, 100), (20, 90, 60, 255))
    image.save(path)
    return path


def test_a_brand_file_sets_colours_font_and_logo(demo_run, tmp_path):
    make_logo(tmp_path / "logo.png")
    (tmp_path / "acme.toml").write_text(
        'name = "Acme"\nfont_family = "DejaVu Serif"\nlogo = "logo.png"\n'
        '[colors]\nstrategy = "#145a3c"\nbenchmarks = ["#c9a227"]\nbackground = "#fbfaf6"\n'
    )
    brand = load_brand(tmp_path / "acme.toml")
    assert brand.logo == (tmp_path / "logo.png").resolve()
    figure = marketing_figure(demo_run, "growth", brand=brand, title="Acme " * 20)
    check_figure(figure)
    assert matplotlib.colors.to_hex(figure.get_facecolor()) == "#fbfaf6"
    chart = chart_of(figure)
    assert matplotlib.colors.to_hex(chart.get_lines()[0].get_color()) == "#145a3c"
    assert {t.get_fontfamily()[0] for t in visible_texts(figure)} == {"DejaVu Serif"}
    logos = [ax for ax in figure.axes if ax.get_gid() == "logo"]
    assert len(logos) == 1 and logos[0].images
    renderer = figure.canvas.get_renderer()
    logo = logos[0].get_window_extent(renderer)
    assert logo.x1 <= figure.bbox.x1 and logo.y1 <= figure.bbox.y1
    for text in visible_texts(figure):  # the wrapped title stays left of the logo
        box = text.get_window_extent(renderer)
        assert not (box.x1 > logo.x0 and box.y1 > logo.y0 and box.y0 < logo.y1), text


def test_the_house_brand_file_is_the_default():
    assert load_brand(ROOT / "brands" / "house.toml") == HOUSE == Brand()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('colour = "red"', "unknown key 'colour'"),
        ('[colors]\nstrategy = "not-a-colour"', "colors.strategy"),
        ('[colors]\nhighlight = "red"', "unknown colour"),
        ('font_family = "No Such Font 123"', "is not installed"),
        ('logo = "missing.png"', "does not exist"),
        ("name = ", "not valid TOML"),
    ],
)
def test_brand_errors_name_the_file_and_key(tmp_path, content, message):
    path = tmp_path / "brand.toml"
    path.write_text(content)
    with pytest.raises(BrandError, match=message) as caught:
        load_brand(path)
    assert str(path) in str(caught.value)


# ---------------------------------------------------------------- the command
def test_the_figure_command_writes_each_kind_and_format(tmp_path, capsys):
    data, strategy = write_inputs(tmp_path)
    run = tmp_path / "run"
    assert cli.main(["run", str(strategy), "--data", str(data), "--out", str(run), "--quiet"]) == 0
    args = ["figure", str(run), "--kind", "growth,annual", "--format", "png", "--dpi", "100"]
    assert cli.main([*args, "--title", "Small index"]) == 0
    assert sorted(p.name for p in (run / "marketing").iterdir()) == ["annual.png", "growth.png"]
    assert "marketing/growth.png" in capsys.readouterr().out
    out = tmp_path / "elsewhere"
    assert (
        cli.main(
            ["figure", str(run), "--kind", "all", "--out", str(out), "--dpi", "100", "--quiet"]
        )
        == 0
    )
    assert len(list(out.glob("*.svg"))) == len(KINDS) == len(list(out.glob("*.png")))
    with pytest.raises(SystemExit) as caught:
        cli.main(["figure", str(run), "--kind", "pie"])
    assert caught.value.code == 2
    assert "--kind 'pie'" in capsys.readouterr().err
    assert cli.main(["figure", str(run), "--brand", str(tmp_path / "none.toml")]) == 1
    assert "none.toml: no such file" in capsys.readouterr().err
