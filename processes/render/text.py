"""Text measurement and wrapping with the real DejaVu Sans advance widths.

The SVG names "DejaVu Sans" and WeasyPrint prints it with the vendored font, so measuring
with the same font's metrics is what keeps labels inside their boxes. The widths are read
once from static/vendor/dejavu with fontTools and cached for the life of the process.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

FONT_DIR = Path(__file__).resolve().parents[2] / "static" / "vendor" / "dejavu"
FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
ELLIPSIS = "\u2026"


@lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Advance widths in em units per code point, and the width of a missing glyph."""
    font = TTFont(FONT_DIR / FONT_FILES[bold], lazy=True)
    units_per_em = font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    widths = {
        code_point: metrics[glyph_name][0] / units_per_em
        for code_point, glyph_name in font.getBestCmap().items()
    }
    missing = metrics[".notdef"][0] / units_per_em
    font.close()
    return widths, missing


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The width of ``text`` set in DejaVu Sans at ``size`` px (no kerning, as in the SVG)."""
    widths, missing = _advances(bold)
    return sum(widths.get(ord(char), missing) for char in text) * size


def _split_long_word(word: str, size: float, max_width: float, bold: bool) -> list[str]:
    pieces: list[str] = []
    current = ""
    for char in word:
        if current and text_width(current + char, size, bold=bold) > max_width:
            pieces.append(current)
            current = char
        else:
            current += char
    if current:
        pieces.append(current)
    return pieces


def _truncate(line: str, size: float, max_width: float, bold: bool) -> str:
    while line and text_width(line + ELLIPSIS, size, bold=bold) > max_width:
        line = line[:-1]
    return line.rstrip() + ELLIPSIS


def wrap(
    text: str, size: float, max_width: float, *, max_lines: int = 0, bold: bool = False
) -> tuple[str, ...]:
    """Greedy word wrap to ``max_width`` px; words longer than a line are split.

    With ``max_lines`` the last kept line ends in an ellipsis when text was cut, so a long
    label never spills out of its shape (the full text goes in the shape's <title>).
    """
    words = " ".join(text.split()).split(" ")
    lines: list[str] = []
    current = ""
    for word in words:
        if not word:
            continue
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size, bold=bold) <= max_width:
            current = candidate
            continue
        if current:
            lines.append(current)
        if text_width(word, size, bold=bold) <= max_width:
            current = word
        else:
            *full, current = _split_long_word(word, size, max_width, bold)
            lines.extend(full)
    if current:
        lines.append(current)
    if max_lines and len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], _truncate(lines[max_lines - 1], size, max_width, bold)]
    return tuple(lines)
