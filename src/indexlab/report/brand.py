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
synthetic-data warning, which every marketing figure carries, and it cannot hide them
either: ``text`` (the title and the disclosure) and ``muted`` (the source line) need a
WCAG contrast ratio of at least 4.5:1 on an opaque ``background``, and the red
synthetic-data warning 3:1 (it is bold). A logo is a PNG or JPEG file of at most
``MAX_LOGO_BYTES`` and ``MAX_LOGO_SIDE`` pixels a side (it is drawn about 180 pixels
high), checked from its header before it is decoded.
"""

from __future__ import annotations

import struct
import tomllib
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from matplotlib import colors as mcolors
from matplotlib import font_manager

from indexlab.errors import IndexlabError
from indexlab.report import style


class BrandError(IndexlabError):
    """A brand file that cannot be used."""


MAX_BRAND_BYTES = 1_000_000  # a brand file is a few lines of TOML
MAX_LOGO_BYTES = 10_000_000
MAX_LOGO_SIDE = 2048  # pixels; the figure draws the logo about 180 pixels high at 300 dpi
LOGO_FORMATS = ("PNG", "JPEG")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MIN_TEXT_CONTRAST = 4.5  # WCAG 2 AA for body text: the disclosure, the title, the source
MIN_WARNING_CONTRAST = 3.0  # WCAG 2 AA for bold text: the synthetic-data warning


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

    def __post_init__(self) -> None:
        check_legible(self)

    def logo_image(self) -> np.ndarray | None:
        """The logo as an image array (rows x columns x channels), or None."""
        if self.logo is None:
            return None
        from matplotlib import image

        check_logo(Path(self.logo))
        try:
            return image.imread(self.logo)
        except (OSError, ValueError, SyntaxError) as exc:
            raise BrandError(f"logo {self.logo}: cannot be read as an image ({exc})") from None


# ---------------------------------------------------------------- legibility
def relative_luminance(color: str | tuple) -> float:
    """WCAG 2's relative luminance of an sRGB colour (0 black, 1 white)."""
    channels = mcolors.to_rgb(color)
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2's contrast ratio (1 to 21) of ``foreground`` drawn on an opaque
    ``background``; a translucent foreground is blended onto the background first."""
    *fg, alpha = mcolors.to_rgba(foreground)
    bg = mcolors.to_rgb(background)
    seen = tuple(alpha * f + (1 - alpha) * b for f, b in zip(fg, bg, strict=True))
    lighter, darker = sorted((relative_luminance(seen), relative_luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def check_legible(brand: Brand) -> None:
    """The disclosure, the source line and the synthetic-data warning can be read on the
    brand's background (module docstring), else a BrandError naming the colour keys."""
    for key in ("text", "muted", "background"):
        if not mcolors.is_color_like(getattr(brand, key)):
            raise BrandError(f"colors.{key}: {getattr(brand, key)!r} is not a colour")
    if mcolors.to_rgba(brand.background)[3] < 1:
        raise BrandError(
            f"colors.background {brand.background!r}: must be opaque, so that the disclosure "
            "is legible whatever the figure is placed on"
        )
    checks = (
        ("colors.text", brand.text, "the title and the disclosure", MIN_TEXT_CONTRAST),
        ("colors.muted", brand.muted, "the source line", MIN_TEXT_CONTRAST),
        ("the synthetic-data warning", style.SYNTHETIC_COLOR, "it", MIN_WARNING_CONTRAST),
    )
    for key, color, what, minimum in checks:
        ratio = contrast_ratio(color, brand.background)
        if ratio < minimum:
            raise BrandError(
                f"{key} {color!r} on colors.background {brand.background!r}: contrast "
                f"{ratio:.2f}:1 is too low to read {what}; at least {minimum:g}:1 is needed "
                "(WCAG 2 AA)"
            )


HOUSE = Brand()


# ---------------------------------------------------------------- files
def _regular_file(path: Path, what: str) -> None:
    """``path`` is a regular file, else a BrandError that says what it is."""
    if path.is_dir():
        raise BrandError(f"{what} {path}: is a folder, not a file")
    if not path.exists():
        raise BrandError(
            f"{what} {path}: {'no such file' if what == '--brand' else 'does not exist'}"
        )
    if not path.is_file():
        raise BrandError(f"{what} {path}: is not a regular file (a device, pipe or socket?)")


def _image_header(logo: Path) -> tuple[str, int, int]:
    """Format, width and height from Pillow, which reads the header only."""
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(logo) as image:
                return str(image.format), *image.size
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise BrandError(
                f"logo {logo}: {exc}; a logo may be at most {MAX_LOGO_SIDE} pixels a side"
            ) from None
        except (UnidentifiedImageError, OSError, ValueError) as exc:
            raise BrandError(f"logo {logo}: cannot be read as an image ({exc})") from None


def check_logo(logo: Path) -> None:
    """The logo is a PNG or JPEG file within the caps (module docstring), read from its
    header without decoding the pixels."""
    _regular_file(logo, "logo")
    size = logo.stat().st_size
    if size > MAX_LOGO_BYTES:
        raise BrandError(
            f"logo {logo}: {size / 1e6:.1f} MB; a logo may be at most "
            f"{MAX_LOGO_BYTES / 1e6:g} MB (and {MAX_LOGO_SIDE} pixels a side)"
        )
    with open(logo, "rb") as stream:
        head = stream.read(24)
    if head.startswith(PNG_SIGNATURE) and head[12:16] == b"IHDR":
        kind, (width, height) = "PNG", struct.unpack(">II", head[16:24])
    else:
        kind, width, height = _image_header(logo)
    if kind not in LOGO_FORMATS:
        raise BrandError(f"logo {logo}: a {kind} image; use PNG or JPEG")
    if max(width, height) > MAX_LOGO_SIDE:
        raise BrandError(
            f"logo {logo}: {width} x {height} pixels; a logo may be at most {MAX_LOGO_SIDE} "
            "pixels a side (it is drawn about 180 pixels high)"
        )


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
    _regular_file(path, "--brand")
    if path.stat().st_size > MAX_BRAND_BYTES:
        raise BrandError(f"--brand {path}: larger than {MAX_BRAND_BYTES / 1e6:g} MB; not a brand")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
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
        try:
            check_logo(logo)
        except BrandError as exc:
            raise BrandError(f"{path}: {exc}") from None
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
    try:
        brand = replace(HOUSE, **changes)
    except BrandError as exc:
        raise BrandError(f"{path}: {exc}") from None
    if brand.logo is not None:
        brand.logo_image()  # fail now, naming the file, rather than while drawing
    return brand
