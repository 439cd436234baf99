"""Figures and report.html a team can publish without edits (issue 14, items 1, 2, 4):
the strategy's display title, the data's provenance instead of a local path, the
survivorship caveat on every figure of survivors-only data, and a layout that survives
a 300-character title, 70-character symbols and a long legend."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_runs import (
    LONG_TITLE,
    long_texts_strategy,
    overlapping_texts,
    survivors_table,
    texts_off_canvas,
    visible_texts,
)

import indexlab
from indexlab.coverage import SURVIVORSHIP_CAVEAT, data_label
from indexlab.errors import SpecError
from indexlab.output import write_run
from indexlab.report.figures import BY_KIND
from indexlab.report.marketing import KINDS, marketing_figure
from indexlab.report.rundata import RunData, read_run
from indexlab.report.tearsheet import report_html
from indexlab.sources.coingecko import ImportSummary, write_long_table
from indexlab.spec import Strategy

STRATEGIES = Path(__file__).resolve().parents[1] / "strategies"


def _write(frame: pd.DataFrame, path: Path, **summary) -> Path:
    return write_long_table(
        frame, path, ImportSummary(source="coins", day_convention="snapshot", **summary)
    )


def _strategy(**changes) -> Strategy:
    base = Strategy(
        name="top8-test",
        universe=indexlab.spec.Universe(top_n=8),
        benchmarks=("BTC", "TRX"),
    )
    return base.replace(**changes) if changes else base


def render_html(run) -> str:
    return report_html(run, images={kind: b"" for kind in BY_KIND})


def _texts(figure) -> str:
    return "\n".join(t.get_text() for t in visible_texts(figure))


@pytest.fixture(scope="module")
def synthetic_result(tmp_path_factory):
    """A run on five assets of synthetic data (too few to call them survivors)."""
    path = tmp_path_factory.mktemp("synthetic") / "five.csv"
    survivors_table(n_assets=5, days=400).to_csv(path, index=False)
    market = dataclasses.replace(indexlab.load_market(path), synthetic=True)
    return indexlab.run(_strategy(), market, warn=False)


@pytest.fixture(scope="module")
def survivors_result(tmp_path_factory):
    folder = tmp_path_factory.mktemp("deep") / "local" / "folders"
    path = _write(survivors_table(), folder / "market.parquet", downloaded="2025-07-24")
    market = indexlab.load_market(path)
    return indexlab.run(_strategy(title="Top 8 survivors index"), market, warn=False)


# ---------------------------------------------------------------- titles
def test_a_strategy_file_has_a_display_title_and_the_name_is_the_fallback(tmp_path):
    path = tmp_path / "x.toml"
    path.write_text('name = "top8"\ntitle = "Top 8   index"\n', encoding="utf-8")
    strategy = Strategy.from_toml(path)
    assert strategy.display_title == "Top 8 index"
    assert Strategy.from_dict(strategy.to_dict()) == strategy
    assert Strategy(name="top8").display_title == "top8"
    with pytest.raises(SpecError, match="title"):
        Strategy.from_dict({"name": "x", "title": 3})


def test_every_shipped_strategy_has_a_title():
    for path in sorted(STRATEGIES.glob("*.toml")):
        strategy = Strategy.from_toml(path)
        assert strategy.title and strategy.title != strategy.name, path.name


def test_figures_the_tearsheet_and_the_manifest_use_the_title(survivors_result, tmp_path):
    for kind, make in BY_KIND.items():
        assert "Top 8 survivors index" in make(survivors_result)._suptitle.get_text(), kind
    assert "Top 8 survivors index" in _texts(marketing_figure(survivors_result, "growth"))
    html = render_html(survivors_result)
    assert "<h1>Top 8 survivors index</h1>" in html
    assert "<title>Top 8 survivors index" in html
    write_run(survivors_result, tmp_path / "run")
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["title"] == manifest["strategy"]["title"] == "Top 8 survivors index"
    assert read_run(tmp_path / "run").display_title == "Top 8 survivors index"


# ---------------------------------------------------------------- sources
def test_the_source_is_the_vendor_and_download_day_never_a_path(survivors_result, tmp_path):
    assert survivors_result.data_label == "CoinGecko, downloaded 2025-07-24"
    figures = [make(survivors_result) for make in BY_KIND.values()]
    figures.append(marketing_figure(survivors_result, "growth"))
    for figure in figures:
        text = _texts(figure)
        assert "CoinGecko, downloaded 2025-07-24" in text
        assert "/" not in text.replace("N = 365", ""), text  # no folder of any path
    html = render_html(survivors_result)
    assert "CoinGecko, downloaded 2025-07-24" in html and "local/folders" not in html


def test_load_market_source_overrides_and_a_file_without_provenance_names_no_folder(tmp_path):
    path = _write(survivors_table(), tmp_path / "sub" / "market.parquet")
    market = indexlab.load_market(path, source="CoinGecko, downloaded 2025-07-08")
    assert data_label(market) == "CoinGecko, downloaded 2025-07-08"
    csv = tmp_path / "sub" / "prices.csv"
    survivors_table(n_assets=3, days=30).to_csv(csv, index=False)
    assert data_label(indexlab.load_market(csv)) == "prices.csv"


def test_a_coingecko_import_records_the_day_of_its_newest_point(tmp_path):
    from indexlab.sources.coingecko import import_coingecko

    coins = tmp_path / "coins"
    coins.mkdir()
    (coins / "bitcoin.csv").write_text(
        "timestamp,price,volume,market_cap\n"
        "1753228800000,100,1,1000\n1753315200000,101,1,1010\n1753357211000,102,1,1020\n",
        encoding="utf-8",
    )
    frame, summary = import_coingecko(coins)
    assert summary.downloaded == "2025-07-24"  # 1753357211000 ms: 2025-07-24 11:40 UTC
    path = write_long_table(frame, tmp_path / "m.parquet", summary)
    assert indexlab.load_market(path).provenance == "CoinGecko, downloaded 2025-07-24"


def test_a_run_folder_written_with_a_path_publishes_the_file_name(survivors_result, tmp_path):
    folder = tmp_path / "run"
    write_run(survivors_result, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["data"]["source"] = "/tmp/realdata/market.parquet"  # an older indexlab's
    manifest["assumptions"]["Data"] = "/tmp/realdata/market.parquet"
    (folder / "manifest.json").write_text(json.dumps(manifest))
    data = read_run(folder)
    assert data.data_label == data.assumptions["Data"] == "market.parquet"
    assert "/tmp/realdata" not in _texts(BY_KIND["growth"](data))


def test_run_takes_a_source(tmp_path, capsys):
    from indexlab.cli import main

    data = _write(survivors_table(), tmp_path / "m.parquet")
    strategy = tmp_path / "s.toml"
    strategy.write_text('name = "s"\n[universe]\ntop_n = 5\n', encoding="utf-8")
    out = tmp_path / "run"
    argv = ["run", str(strategy), "--data", str(data), "--source", "Vendor X, 2025-07-08"]
    assert main([*argv, "--out", str(out), "--quiet"]) == 0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["data"]["source"] == "Vendor X, 2025-07-08"


# ---------------------------------------------------------------- survivorship
def test_every_figure_of_survivors_only_data_carries_the_caveat(survivors_result):
    for kind, make in BY_KIND.items():
        assert SURVIVORSHIP_CAVEAT in _texts(make(survivors_result)), kind
    for kind in KINDS:
        text = _texts(marketing_figure(survivors_result, kind)).lower()
        assert SURVIVORSHIP_CAVEAT in text, kind
    html = render_html(survivors_result)
    assert 'id="survivorship-banner"' in html
    comparison = indexlab.compare([survivors_result, survivors_result])
    for kind in ("growth", "drawdown"):  # the comparison's figures too (issue 14, item 2)
        assert SURVIVORSHIP_CAVEAT in _texts(comparison.plot(kind)), kind


def test_signal_and_band_figures_of_survivors_only_data_carry_the_caveat(survivors_result):
    """Issue 14, item 2: every figure, the signals figure of `indexlab signals` and the
    band's figure included (a signal on a coin picked from today's survivors, or on an
    index of them, is as biased as the index's growth)."""
    from indexlab import signals
    from indexlab.report.band import band_figure
    from indexlab.signals_output import study_figure, study_signal

    market = survivors_result.market
    asset = market.close.columns[1]
    rule = signals.parse_rule("sma-cross:5,20")
    study = study_signal(market, asset, rule.signal(market, [asset]), rule.label)
    assert SURVIVORSHIP_CAVEAT in _texts(study_figure(study))
    band = indexlab.survivorship_band(survivors_result.strategy, market)
    assert SURVIVORSHIP_CAVEAT in _texts(band_figure(band))


def test_data_with_dead_coins_carry_no_caveat(synthetic_result):
    assert SURVIVORSHIP_CAVEAT not in _texts(BY_KIND["growth"](synthetic_result))
    assert "survivorship-banner" not in render_html(synthetic_result)


def test_the_caveat_reaches_a_report_made_from_the_run_folder(survivors_result, tmp_path):
    write_run(survivors_result, tmp_path / "run")
    data = read_run(tmp_path / "run")
    assert data.survivorship == SURVIVORSHIP_CAVEAT
    assert SURVIVORSHIP_CAVEAT in _texts(BY_KIND["drawdown"](data))


# ---------------------------------------------------------------- layout
@pytest.fixture(scope="module")
def long_texts_result(tmp_path_factory):
    path = tmp_path_factory.mktemp("long") / "market.parquet"
    _write(survivors_table(symbol_chars=70), path, downloaded="2025-07-24")
    return indexlab.run(long_texts_strategy(), indexlab.load_market(path), warn=False)


def _check_layout(figure, name: str) -> None:
    assert overlapping_texts(figure) == [], name
    assert texts_off_canvas(figure) == [], name


def test_a_long_title_long_symbols_and_a_long_legend_fit_every_figure(long_texts_result):
    """The tearsheet's figures: tests/test_report.py, no text overlapping another or off
    the canvas, with this run too; here, that the title shrank, and marketing figures."""
    assert len(long_texts_result.strategy.display_title) == 300
    figure = BY_KIND["growth"](long_texts_result)
    assert figure._suptitle.get_fontsize() < 15  # shrunk, not on many lines
    assert figure._suptitle.get_text().count("\n") <= 2
    for kind in KINDS:
        _check_layout(marketing_figure(long_texts_result, kind), f"marketing {kind}")


def test_a_long_title_fits_a_figure_of_synthetic_data_too(synthetic_result):
    data = RunData.from_result(synthetic_result)
    data = dataclasses.replace(data, title=LONG_TITLE, survivorship=SURVIVORSHIP_CAVEAT)
    for kind, make in BY_KIND.items():
        figure = make(data)
        _check_layout(figure, kind)
        text = _texts(figure)
        assert "synthetic demo data" in text and SURVIVORSHIP_CAVEAT in text, kind


def test_long_labels_are_cut_and_stay_distinct():
    from indexlab.report.rundata import LABEL_CHARS, _labels

    assets = pd.DataFrame(
        {
            "asset": ["a", "b", "c", "cmc:" + "q" * 40],
            "symbol": ["X" * 70, "X" * 69 + "Y", "BTC", None],
        }
    )
    labels = _labels(assets)
    assert labels["c"] == "BTC"
    shown = [labels[a] for a in assets["asset"] if a != "c"]
    assert len(set(shown)) == 3 and all(len(s) <= LABEL_CHARS for s in shown), shown


def test_notes_of_loading_name_the_file_not_its_folder(tmp_path):
    table = survivors_table(n_assets=5, days=200)
    table.loc[3, "market_cap"] = np.nan  # loading notes it, naming the file
    path = tmp_path / "private" / "folder" / "prices.csv"
    path.parent.mkdir(parents=True)
    table.to_csv(path, index=False)
    result = indexlab.run(_strategy(), indexlab.load_market(path), warn=False)
    assert any(str(path) in note for note in result.notes)  # the terminal says where
    html = render_html(result)
    assert "prices.csv" in html and "private/folder" not in html
    write_run(result, tmp_path / "run")
    assert "private/folder" not in (tmp_path / "run" / "report.html").read_text()
    notes = json.loads((tmp_path / "run" / "manifest.json").read_text())["notes"]
    assert not any("private/folder" in note for note in notes)


def test_a_cmc_import_records_coinmarketcap_and_the_newest_file_day(tmp_path):
    import os

    from indexlab.sources.cmc import CmcImportReport

    listing = tmp_path / "snapshots"
    listing.mkdir()
    (listing / "20230101.csv").write_text("x\n", encoding="utf-8")
    os.utime(listing / "20230101.csv", (1_700_000_000, 1_700_000_000))  # 2023-11-14 UTC
    report = CmcImportReport(source=str(listing), vendor="cmc-snapshots", day_convention="snapshot")
    path = write_long_table(survivors_table(n_assets=3, days=20), tmp_path / "m.parquet", report)
    assert indexlab.load_market(path).provenance == "CoinMarketCap, downloaded 2023-11-14"
