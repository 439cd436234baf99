"""Issue 13, resources: a brand's logo cannot exhaust memory (item 11) and a brand
cannot hide the mandatory disclosure (item 12). Rows of docs/bad-input.md."""

from __future__ import annotations

import struct
import time
import zlib
from pathlib import Path

import pytest
from report_runs import write_inputs

from indexlab import cli
from indexlab.report import Brand, load_brand
from indexlab.report.brand import MAX_LOGO_SIDE, BrandError, contrast_ratio


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(path: Path, side: int = 15000) -> Path:
    """A few-MB file that decodes to ``side`` x ``side`` RGBA pixels (a compression
    bomb: 15000 x 15000 is 900 MB decoded, 3.6 GB as floats)."""
    row = b"\x00" + bytes(4 * side)
    compressor = zlib.compressobj(1)
    pixels = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", pixels)
    path.write_bytes(png + _chunk(b"IEND", b""))
    return path


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    data, strategy = write_inputs(tmp_path_factory.mktemp("inputs"))
    out = tmp_path_factory.mktemp("runs") / "small"
    assert cli.main(["run", str(strategy), "--data", str(data), "--out", str(out), "--quiet"]) == 0
    return out


def _figure(run_folder: Path, brand: Path, tmp_path: Path, capsys) -> tuple[int, str]:
    args = ["figure", str(run_folder), "--brand", str(brand), "--out", str(tmp_path / "m")]
    code = cli.main([*args, "--format", "png", "--dpi", "100", "--quiet"])
    return code, capsys.readouterr().err


# ---------------------------------------------------------------- item 11: the logo
def test_a_huge_logo_is_refused_from_its_header_at_once(run_folder, tmp_path, capsys):
    huge_png(tmp_path / "bomb.png", side=15000)
    assert (tmp_path / "bomb.png").stat().st_size < 5_000_000  # within the bytes cap
    (tmp_path / "brand.toml").write_text('logo = "bomb.png"\n')
    started = time.perf_counter()
    code, err = _figure(run_folder, tmp_path / "brand.toml", tmp_path, capsys)
    assert time.perf_counter() - started < 20  # was 57 s and 11.7 GB
    assert code == 1 and err.count("\n") == 1, err
    assert str(tmp_path / "brand.toml") in err and "15000 x 15000 pixels" in err, err
    assert f"at most {MAX_LOGO_SIDE} pixels a side" in err


def test_a_logo_just_over_the_cap_is_refused_and_one_within_it_is_drawn(tmp_path):
    huge_png(tmp_path / "wide.png", side=MAX_LOGO_SIDE + 1)
    (tmp_path / "wide.toml").write_text('logo = "wide.png"\n')
    with pytest.raises(BrandError, match=f"{MAX_LOGO_SIDE + 1} x {MAX_LOGO_SIDE + 1} pixels"):
        load_brand(tmp_path / "wide.toml")
    with pytest.raises(BrandError, match="pixels a side"):  # a Brand made in Python too
        Brand(logo=tmp_path / "wide.png").logo_image()
    huge_png(tmp_path / "fine.png", side=64)
    (tmp_path / "fine.toml").write_text('logo = "fine.png"\n')
    assert load_brand(tmp_path / "fine.toml").logo_image().shape[:2] == (64, 64)


@pytest.mark.parametrize(
    ("logo", "message"),
    [
        ("folder", "is a folder, not a file"),
        ("/dev/zero", "is not a regular file (a device, pipe or socket?)"),
        ("notes.txt", "cannot be read as an image"),
    ],
)
def test_a_logo_that_is_a_folder_or_a_device_says_so(run_folder, tmp_path, capsys, logo, message):
    (tmp_path / "folder").mkdir()
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "brand.toml").write_text(f'logo = "{logo}"\n')
    code, err = _figure(run_folder, tmp_path / "brand.toml", tmp_path, capsys)
    assert code == 1 and err.count("\n") == 1 and "internal error" not in err, err
    assert str(tmp_path / "brand.toml") in err and message in err, err


def test_a_brand_file_that_is_a_folder_or_a_device_says_so(run_folder, tmp_path, capsys):
    code, err = _figure(run_folder, tmp_path, tmp_path, capsys)
    assert code == 1 and f"--brand {tmp_path}: is a folder, not a file" in err, err
    code, err = _figure(run_folder, Path("/dev/zero"), tmp_path, capsys)
    assert code == 1 and "/dev/zero: is not a regular file" in err, err


# ---------------------------------------------------------------- item 12: contrast
def test_contrast_ratio_is_wcag_2():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # WCAG's own
    assert contrast_ratio("#00000080", "#ffffff") == pytest.approx(
        contrast_ratio("#7f7f7f", "#fff"), abs=0.05
    )


@pytest.mark.parametrize(
    ("colors", "message"),
    [
        (
            'text = "#ffffff"',
            "colors.text '#ffffff' on colors.background '#ffffff': contrast 1.00:1",
        ),
        ('text = "#fafafa"\nbackground = "#ffffff"', "the title and the disclosure"),
        ('text = "#00000010"', "colors.text '#00000010'"),  # nearly transparent
        ('muted = "#cccccc"', "colors.muted '#cccccc'"),
        ('background = "#222222"', "colors.text '#222222' on colors.background '#222222'"),
        ('background = "none"', "must be opaque"),
        (
            'background = "#b3261e"\ntext = "#ffffff"\nmuted = "#ffffff"',
            "the synthetic-data warning '#b3261e'",
        ),
    ],
)
def test_a_brand_that_hides_the_disclosure_is_refused(
    run_folder, tmp_path, capsys, colors, message
):
    (tmp_path / "brand.toml").write_text(f"[colors]\n{colors}\n")
    code, err = _figure(run_folder, tmp_path / "brand.toml", tmp_path, capsys)
    assert code == 1 and err.count("\n") == 1, err
    assert str(tmp_path / "brand.toml") in err and message in err, err
    assert not (tmp_path / "m").exists() or not any((tmp_path / "m").iterdir())


def test_a_dark_brand_with_light_text_is_fine(tmp_path):
    (tmp_path / "dark.toml").write_text(
        '[colors]\ntext = "#f5f5f5"\nmuted = "#b0b4ba"\nbackground = "#000000"\n'
    )
    assert load_brand(tmp_path / "dark.toml").background == "#000000"
    with pytest.raises(BrandError, match="colors.text"):  # a Brand made in Python too
        Brand(text="#ffffff")
