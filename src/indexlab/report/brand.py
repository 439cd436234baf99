"""Brands: the colours, font and logo of the marketing figures.

A brand file is TOML (``brands/house.toml`` in the repository shows every key and is
the house style, the default)::

    name = "Acme Indices"
    font_family = "DejaVu Sans"     # a font matplotlib can find on this machine
    logo = "acme.png"               # optional: PNG (or JPEG) beside the file, top right

    [colors]
    strategy = "#0b4f9c"            # the index: the subject of every figure
    benchmarks = ["#d9913a", "#6f9f7d"]
    text = "#222222"
    muted = "#5f6368"               # subtitles, axis ticks, footers
    grid = "#e3e5e8"
    axis = "#b9bdc2"
    background = "#ffffff"

Any key may be left out (the house value is used). Unknown keys, colours matplotlib
cannot read, fonts it cannot find and missing logo files are errors naming the file and
the key. What a brand cannot change: the hypothetical-performance disclosure and the
synthetic-data warning, which every marketing figure carries.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from matplotlib import colors as mcolors
from matplotlib import font_manager

from indexlab.errors import IndexlabError
from indexlab.report import style


class BrandError(IndexlabError):
    """A brand file that cannot be used."""


@dataclass(frozen=True)
class Brand:
    """The look of a marketing figure; ``Brand()`` is the house style."""

    name: str = "indexlab"
    font_family: str = style.FONT_FAMILY
    strategy: str = style.STRATEGY_COLOR
    benchmarks: tuple[str, ...] = style.BENCHMARK_COLORS
    text: str = style.INK
    muted: str = style.MUTED_INK
    grid: str = style.GRID
    axis: str = style.SPINE
    background: str = "#ffffff"
    logo: Path | None = None

    def benchmark_color(self, position: int) -> str:
        """The ``position``-th benchmark's colour (0-based), cycling if there are many."""
        return self.benchmarks[position % len(self.benchmarks)]

    def logo_image(self) -> np.ndarray | None:
        """The logo as an image array (rows x columns x channels), or None."""
        if self.logo is None:
            return None
        from matplotlib import image

        try:
            return image.imread(self.logo)
        except (OSError, ValueError, SyntaxError) as exc:
            raise BrandError(f"logo {self.logo}: cannot be read as an image ({exc})") from None


HOUSE = Brand()
_COLOR_KEYS = ("strategy", "benchmarks", "text", "muted", "grid", "axis", "background")
_TOP_KEYS = ("name", "font_family", "logo", "colors")


def _check_font(family: str, where: str) -> None:
    if family in ("sans-serif", "serif", "monospace"):
        return
    try:
        font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
    except ValueError:
        installed = sorted({f.name for f in font_manager.fontManager.ttflist})
        raise BrandError(
            f"{where}: font_family {family!r} is not installed; installed: "
            + ", ".join(installed[:12])
            + (", ..." if len(installed) > 12 else "")
        ) from None


def _color(value: object, where: str) -> str:
    if not isinstance(value, str) or not mcolors.is_color_like(value):
        raise BrandError(f"{where}: {value!r} is not a colour (use '#rrggbb' or a name)")
    return value


def load_brand(path: str | Path) -> Brand:
    """Read and check a brand file (module docstring)."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BrandError(f"--brand {path}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BrandError(f"{path}: not valid TOML ({exc})") from None
    for key in data:
        if key not in _TOP_KEYS:
            raise BrandError(f"{path}: unknown key {key!r}; valid keys: {', '.join(_TOP_KEYS)}")
    changes: dict[str, object] = {}
    if "name" in data:
        changes["name"] = str(data["name"])
    if "font_family" in data:
        family = data["font_family"]
        if not isinstance(family, str) or not family.strip():
            raise BrandError(f"{path}: font_family must be a font name")
        _check_font(family, str(path))
        changes["font_family"] = family
    if "logo" in data:
        logo = (path.parent / str(data["logo"])).resolve()
        if not logo.is_file():
            raise BrandError(f"{path}: logo {logo} does not exist")
        changes["logo"] = logo
    palette = data.get("colors", {})
    if not isinstance(palette, dict):
        raise BrandError(f"{path}: [colors] must be a table")
    for key, value in palette.items():
        where = f"{path}: colors.{key}"
        if key not in _COLOR_KEYS:
            raise BrandError(f"{where}: unknown colour; valid: {', '.join(_COLOR_KEYS)}")
        if key == "benchmarks":
            if not isinstance(value, list) or not value:
                raise BrandError(f"{where}: must be a non-empty list of colours")
            changes[key] = tuple(_color(v, where) for v in value)
        else:
            changes[key] = _color(value, where)
    brand = replace(HOUSE, **changes)
    if brand.logo is not None:
        brand.logo_image()  # fail now, naming the file, rather than while drawing
    return brand
