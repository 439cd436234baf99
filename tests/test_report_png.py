"""How the report's PNGs are made faster (issue 17, item 6) without changing a pixel:
date ticks worked out once per draw, and a quicker zlib level. Each figure's PNG,
decoded, is the canvas matplotlib draws with its own date locators, and the figure
keeps those locators afterwards."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.dates import AutoDateLocator
from PIL import Image
from report_runs import write_inputs

import indexlab
from indexlab.output import write_run
from indexlab.report import figures, rundata


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("png")
    market, strategy = write_inputs(folder)
    result = indexlab.run(indexlab.Strategy.from_toml(strategy), indexlab.load_market(market))
    write_run(result, folder / "run", report=False)
    return rundata.read_run(folder / "run")


def _locators(figure) -> list:
    return [(ax.xaxis.get_major_locator(), ax.xaxis.get_minor_locator()) for ax in figure.axes]


@pytest.mark.parametrize("kind", list(figures.BY_KIND))
def test_each_figures_png_has_the_pixels_matplotlib_draws(data, kind):
    drawn = figures.BY_KIND[kind](data)
    drawn.canvas.draw()  # matplotlib's own way, every locator as set
    expected = np.asarray(drawn.canvas.buffer_rgba())[..., :3]

    figure = figures.BY_KIND[kind](data)
    before = _locators(figure)
    png = figures.figure_png(figure)
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))
    np.testing.assert_array_equal(pixels, expected)
    assert _locators(figure) == before  # given back: a notebook's figure can still zoom


def test_date_axes_are_the_ones_whose_ticks_are_fixed_while_drawing(data, monkeypatch):
    figure = figures.growth_figure(data)
    assert isinstance(figure.axes[0].xaxis.get_major_locator(), AutoDateLocator)
    calls = []
    original = AutoDateLocator.__call__

    def counted(self):
        calls.append(self)
        return original(self)

    monkeypatch.setattr(AutoDateLocator, "__call__", counted)
    figures.figure_png(figure)
    assert len(calls) == 1  # once, before the draw (it was asked a dozen times)
