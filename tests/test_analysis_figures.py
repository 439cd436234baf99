"""Issue 14, items 3-5 (the parts of the analysis figures): allocation colours that mean
no portfolio, the house frame on the signal and scenario figures, and honest scenarios."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import PIL.Image
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.text import Text

from indexlab import cli, signals_output
from indexlab.cli.scenario_command import scenario_text
from indexlab.market import Market
from indexlab.report import charts, style, tables
from indexlab.report.brand import HOUSE, Brand
from indexlab.report.house import FigureOptions
from indexlab.report.signal_figure import plain_number
from indexlab.scenario_output import scenario_figure, scenario_json, write_scenario
from indexlab.scenarios import Scenario, format_amount, format_amounts, scenario
from indexlab.signals import parse_rule
from indexlab.signals_output import study_signal, write_signals
from indexlab.sources import load_market


# ---------------------------------------------------------------- allocation colours
def _bands(n_holdings: int) -> pd.DataFrame:
    dates = pd.date_range("2024-01-01", periods=5, freq="D")
    names = ["BTC", "ETH", "SOL", "XRP", "BNB", "TRX", "ADA", "DOGE", "TON", "LINK", "AVAX"]
    weights = {name: np.full(5, 0.9 / n_holdings) for name in names[:n_holdings]}
    weights[tables.OTHER] = np.full(5, 0.06)
    weights[tables.CASH] = np.full(5, 0.04)
    return pd.DataFrame(weights, index=dates)


def _band_colors(bands: pd.DataFrame, brand: Brand) -> dict[str, str]:
    figure = style.new_figure()
    ax = figure.add_subplot()
    charts.draw_allocation(ax, bands, brand)
    return {
        str(name): to_hex(collection.get_facecolor()[0])
        for name, collection in zip(bands.columns, ax.collections, strict=True)
    }


@pytest.mark.parametrize("n_holdings", [2, 10])
def test_allocation_bands_never_take_a_portfolio_colour(n_holdings: int) -> None:
    """BTC held was drawn in the strategy's blue and ETH in the BTC benchmark's ochre:
    every holding's colour is now far from the strategy's and every benchmark's."""
    colors = _band_colors(_bands(n_holdings), HOUSE)
    portfolio_colors = (HOUSE.strategy, *HOUSE.benchmarks)
    for name, color in colors.items():
        if name in (tables.OTHER, tables.CASH):
            continue
        closest = min(style.color_distance(color, other) for other in portfolio_colors)
        assert closest >= style.ALLOCATION_MIN_DISTANCE, (name, color, closest)
    holdings = [c for n, c in colors.items() if n not in (tables.OTHER, tables.CASH)]
    assert len(set(holdings)) == len(holdings)  # ten holdings, ten colours
    assert colors[tables.OTHER] == style.OTHER_COLOR
    assert colors[tables.CASH] == style.CASH_COLOR


def test_allocation_palette_is_distinct_from_the_house_and_within_itself() -> None:
    palette = style.HOLDING_COLORS
    for k, color in enumerate(palette):
        for other in (style.STRATEGY_COLOR, *style.BENCHMARK_COLORS, *palette[k + 1 :]):
            assert style.color_distance(color, other) >= style.ALLOCATION_MIN_DISTANCE


def test_allocation_skips_a_band_colour_that_a_brand_uses_for_a_portfolio() -> None:
    """A brand whose strategy is the palette's teal: the first holding is not teal."""
    brand = Brand(strategy=style.HOLDING_COLORS[0], benchmarks=(style.HOLDING_COLORS[1],))
    colors = _band_colors(_bands(3), brand)
    assert colors["BTC"] == style.HOLDING_COLORS[2]
    assert style.HOLDING_COLORS[0] not in colors.values()
    assert style.HOLDING_COLORS[1] not in colors.values()


def test_color_distance_is_delta_e_1976() -> None:
    """Hand values: white to black is 100 (L only); a colour to itself is 0."""
    assert style.color_distance("#ffffff", "#000000") == pytest.approx(100.0, abs=0.05)
    assert style.color_distance("#0b4f9c", "#0b4f9c") == 0.0


# ---------------------------------------------------------------- scenario honesty
def _share_market() -> Market:
    """tron at $0.25 and a 2.5T total; its share is 1 % on the last day, 2-5 % before."""
    dates = pd.date_range("2025-01-01", periods=5, freq="D")
    shares = np.array([0.03, 0.05, 0.02, 0.04, 0.01])
    close = pd.DataFrame({"bitcoin": 90_000.0, "tron": 0.25}, index=dates)
    cap = pd.DataFrame({"bitcoin": 1.8e12, "tron": shares * 2.5e12}, index=dates)
    assets = pd.DataFrame({"symbol": ["btc", "trx"], "name": ["Bitcoin", "TRON"]}, close.columns)
    market = Market.from_panels(close, cap, assets=assets, source="hand-made market")
    return market.with_total_market_cap(pd.Series(2.5e12, index=dates), source="hand-made total")


def test_amounts_side_by_side_have_the_same_decimals() -> None:
    """$17.0T next to $23.2T, not $17T; tiers of one list with one number of decimals."""
    assert [format_amount(v) for v in (17e12, 23.2e12, 13.6e12, 5e12)] == [
        "17.0T",
        "23.2T",
        "13.6T",
        "5.00T",
    ]
    assert format_amount(999.96e9) == "1.00T"  # not 1000B
    assert format_amount(950e6) == "950M"
    assert format_amounts(np.array([1.5e12, 8e12, 16e12])) == ["1.5T", "8.0T", "16.0T"]
    assert format_amounts(np.array([8e12, 16e12, 23e12])) == ["8T", "16T", "23T"]
    result = scenario(_share_market(), "tron", "8T,1.5T", shares="base=1%")
    assert list(result.table["tier"].unique()) == ["$1.5T", "$8.0T"]


def _above() -> Scenario:
    """Today's share (1 %) above every case, as TRX's 0.758 % above a 0.699 % moon."""
    return scenario(
        _share_market(), "tron", "8T", shares="bear=0.5%,base=0.6%,moon=0.8%", targets=1.0
    )


def test_a_share_above_every_case_is_said_in_the_table_and_the_json() -> None:
    result = _above()
    (note,) = result.share_notes
    assert "Today's share, 1.000% on 2025-01-05, is above every case" in note
    assert "the highest, moon, is 0.800%" in note and "TRX loses market share" in note
    assert "Note: Today's share, 1.000%" in scenario_text(result)
    assert scenario_json(result)["share_notes"] == [note]


def test_a_share_below_every_case_is_said_and_inside_the_cases_nothing() -> None:
    below = scenario(_share_market(), "tron", "8T")  # p25..p90 of 1-5 %: 2 % and up
    (note,) = below.share_notes
    assert "is below every case (the lowest, bear, is 2.000%" in note
    assert "TRX gains market share" in note
    inside = scenario(_share_market(), "tron", "8T", shares="bear=0.5%,base=1%,moon=2%")
    assert inside.share_notes == ()
    assert "Note:" not in scenario_text(inside)
    assert scenario_json(inside)["share_notes"] == []
    given = scenario(_share_market(), "tron", "8T", shares="x=0.5%").share_notes
    assert given  # today's share is known here (the total is), so the note holds too


# ---------------------------------------------------------------- the house frame
def _texts(figure: Figure) -> str:
    figure.canvas.draw()
    return "\n".join(text.get_text() for text in figure.findobj(Text))


def _file_market(folder: Path) -> Market:
    """Two coins read from a CSV in ``folder``: the market's source is a local path."""
    dates = pd.date_range("2023-01-01", periods=300, freq="D")
    rng = np.random.default_rng(5)
    rows = []
    for asset, symbol, start in (("tron", "trx", 0.05), ("bitcoin", "btc", 20_000.0)):
        close = start * np.exp(np.cumsum(rng.normal(0, 0.03, len(dates))))
        rows.append(
            pd.DataFrame(
                {
                    "date": dates.strftime("%Y-%m-%d"),
                    "asset": asset,
                    "symbol": symbol,
                    "close": close,
                    "market_cap": close * 1e9,
                }
            )
        )
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "prices.csv"
    pd.concat(rows).to_csv(path, index=False)
    return load_market(path)


def _study(market: Market, asset: str = "tron"):
    rule = parse_rule("sma-cross:10,40")
    return study_signal(market, asset, rule.signal(market, [asset]), rule.label)


def test_signal_figure_is_16_9_and_names_no_local_path(tmp_path) -> None:
    """The chart was 1500 x 1080 px with 'Data: /tmp/...' in its footer."""
    study = _study(_file_market(tmp_path / "private-folder"))
    write_signals(study, tmp_path / "out")
    with PIL.Image.open(tmp_path / "out" / "figures" / "signals.png") as image:
        assert image.size == (1920, 1080)
        assert "private-folder" not in str(image.info)
    text = _texts(signals_output.study_figure(study, FigureOptions()))
    assert "private-folder" not in text and str(tmp_path) not in text
    assert "Source: prices.csv." in text
    assert style.DISCLOSURE in text.replace("\n", " ")
    assert "sma-cross 10/40" in text  # the default title


def test_signal_figure_takes_the_marketing_options(tmp_path) -> None:
    study = _study(_file_market(tmp_path))
    brand = Brand(strategy="#7b1fa2", text="#111111")
    options = FigureOptions(
        title="TRX trend",
        subtitle="A subtitle",
        source="CoinGecko, downloaded 2025-07-24",
        brand=brand,
        formats=("png", "svg", "pdf"),
        dpi=100,
    )
    write_signals(study, tmp_path / "out", options=options)
    folder = tmp_path / "out" / "figures"
    assert {p.name for p in folder.iterdir()} == {"signals.png", "signals.svg", "signals.pdf"}
    with PIL.Image.open(folder / "signals.png") as image:
        assert image.size == (1200, 675)
    assert (folder / "signals.pdf").read_bytes()[:5] == b"%PDF-"
    figure = signals_output.study_figure(study, options)
    text = _texts(figure)
    assert "TRX trend" in text and "A subtitle" in text
    assert "Source: CoinGecko, downloaded 2025-07-24." in text
    colors = {to_hex(line.get_color()) for ax in figure.axes for line in ax.get_lines()}
    assert "#7b1fa2" in colors and style.STRATEGY_COLOR not in colors


def test_signal_price_ticks_are_plain_numbers(tmp_path) -> None:
    """A price axis over 5,000..200,000 printed 2e+05 and 5e+04."""
    study = _study(_file_market(tmp_path), "bitcoin")
    figure = signals_output.study_figure(study, FigureOptions())
    figure.canvas.draw()
    labels = [t.get_text() for ax in figure.axes for t in ax.get_yticklabels() if t.get_text()]
    assert labels and not any("e+" in label or "e-" in label for label in labels)
    assert plain_number(200_000.0) == "200,000" and plain_number(0.05) == "0.05"


def test_signals_cli_figure_options(tmp_path, capsys) -> None:
    out = tmp_path / "sig"
    args = ["signals", "BTC", "--rule", "momentum:30", "--out", str(out), "--quiet"]
    assert cli.main([*args, "--format", "svg,png", "--dpi", "50", "--title", "My title"]) == 0
    assert {p.name for p in (out / "figures").iterdir()} == {"signals.png", "signals.svg"}
    assert "My title" in (out / "figures" / "signals.svg").read_text()
    with pytest.raises(SystemExit) as exited:
        cli.main([*args, "--format", "gif"])
    assert exited.value.code == 2
    assert "--format 'gif': use one or more of png, svg, pdf" in capsys.readouterr().err
    assert cli.main([*args, "--dpi", "0"]) == 1
    assert "--dpi 0: use a resolution between 1 and 1200" in capsys.readouterr().err


def _texts_with_gid(figure: Figure, gid: str) -> list[str]:
    return [text.get_text() for text in figure.findobj(Text) if text.get_gid() == gid]


def test_scenario_figure_says_when_today_is_above_every_case(tmp_path) -> None:
    """TRX at 0.758 % against a 0.699 % moon: the figure said nothing of it."""
    (note,) = _texts_with_gid(scenario_figure(_above()), "share-note")
    assert "above every case" in note.replace("\n", " ")
    inside = scenario(_share_market(), "tron", "8T", shares="bear=0.5%,base=1%,moon=2%")
    assert _texts_with_gid(scenario_figure(inside), "share-note") == []


def test_scenario_figure_is_16_9_in_the_house_frame_without_local_paths(tmp_path) -> None:
    market = _file_market(tmp_path / "private-folder")
    total = market.market_cap.sum(axis=1) * 40
    market = market.with_total_market_cap(total, source=str(tmp_path / "private-folder/t.csv"))
    result = scenario(market, "tron", "8T,16T", targets=1.0)
    write_scenario(result, tmp_path / "out")
    with PIL.Image.open(tmp_path / "out" / "scenario.png") as image:
        assert image.size == (1920, 1080)
        assert "private-folder" not in str(image.info)
    text = _texts(scenario_figure(result))
    assert "private-folder" not in text and str(tmp_path) not in text
    assert "Source: prices.csv. Total market cap: t.csv." in text.replace("\n", " ")
    assert style.SCENARIO_DISCLOSURE in text.replace("\n", " ")
    options = FigureOptions(title="TRX in a bigger market", source="CoinGecko", dpi=100)
    text = _texts(scenario_figure(result, options))
    assert "TRX in a bigger market" in text and "Source: CoinGecko." in text


def test_scenario_cli_figure_options(tmp_path, capsys) -> None:
    out = tmp_path / "scen"
    args = ["scenario", "TRX", "--tiers", "1T,2T", "--out", str(out)]
    assert cli.main([*args, "--format", "pdf,svg", "--title", "Tron, scenario"]) == 0
    printed = capsys.readouterr().out
    assert "scenario.pdf, scenario.svg" in printed
    files = {p.name for p in out.iterdir()}
    assert {"scenario.pdf", "scenario.svg"} <= files and "scenario.png" not in files
    assert "Tron, scenario" in (out / "scenario.svg").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"scenario.pdf", "scenario.svg"} <= set(manifest["files"])


def test_the_command_line_states_the_house_formats_and_resolution() -> None:
    """cli.figure_options mirrors report.house without importing it (a fast --help)."""
    from indexlab.cli import figure_options
    from indexlab.report import house

    assert figure_options.FORMATS == house.FORMATS and figure_options.DPI == house.DPI
