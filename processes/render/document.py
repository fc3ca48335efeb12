"""Small helpers shared by the SVG renderers: escaping, numbers, the document frame.

Every renderer writes a list of lines and wraps them with ``svg_document``. Only plain SVG
elements and presentation attributes are used (no CSS, no scripts, no external references,
no ids taken from memory), so the same data always gives the same bytes and WeasyPrint
prints it as the browser shows it.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape as _escape

from processes.render.text import text_width, wrap

FONT_FAMILY = "DejaVu Sans"
INK = "#1a1a1a"
MUTED = "#4d4d4d"
RULE = "#666666"
PAGE = "#ffffff"
MARGIN = 16
TITLE_SIZE = 16
SUBTITLE_SIZE = 12
HEADER_HEIGHT = 52

# Fill and stroke per value class; the letter code is drawn too, so colour is not the only cue.
VALUE_STYLES = {
    "va": ("#dff3df", "#2e7d32", "VA", "Value-added"),
    "nva": ("#fbe0e0", "#c62828", "NVA", "Non-value-added"),
    "bn": ("#fff0c7", "#8a6100", "BN", "Business-necessary"),
}
NEUTRAL_STYLE = ("#eef1f4", "#4d5b6a", "", "")


def esc(text: object) -> str:
    """Escape text for an XML element or a double-quoted attribute."""
    return _escape(str(text), {'"': "&quot;"})


def num(value: float | int | Decimal) -> str:
    """A coordinate or size: whole numbers without a point, else one decimal place."""
    value = Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    if value == value.to_integral_value():
        return str(int(value))
    return str(value)


def value_style(value_class: str) -> tuple[str, str, str, str]:
    return VALUE_STYLES.get(value_class, NEUTRAL_STYLE)


def text_element(
    x: float,
    y: float,
    text: str,
    *,
    size: float = 11,
    anchor: str = "start",
    bold: bool = False,
    fill: str = INK,
    italic: bool = False,
) -> str:
    attributes = [f'x="{num(x)}"', f'y="{num(y)}"', f'font-size="{num(size)}"']
    if anchor != "start":
        attributes.append(f'text-anchor="{anchor}"')
    if bold:
        attributes.append('font-weight="bold"')
    if italic:
        attributes.append('font-style="italic"')
    if fill != INK:
        attributes.append(f'fill="{fill}"')
    return f"<text {' '.join(attributes)}>{esc(text)}</text>"


def text_lines(
    x: float,
    y_center: float,
    lines: tuple[str, ...] | list[str],
    *,
    size: float,
    line_height: float,
    anchor: str = "middle",
    bold: bool = False,
    fill: str = INK,
) -> list[str]:
    """Lines of text centred vertically on ``y_center`` (baselines placed for DejaVu Sans)."""
    first_baseline = y_center - (len(lines) - 1) * line_height / 2 + size * 0.36
    return [
        text_element(
            x, first_baseline + number * line_height, line, size=size, anchor=anchor,
            bold=bold, fill=fill,
        )
        for number, line in enumerate(lines)
    ]  # fmt: skip


def title_element(text: str) -> str:
    return f"<title>{esc(text)}</title>"


def star_points(cx: float, cy: float, radius: float) -> str:
    """A five-pointed star: the customer-touchpoint mark (drawn, not a font glyph)."""
    # Fixed unit coordinates (cos/sin of the 10 star vertices) keep the output exact.
    unit = (
        (0.0, -1.0), (0.2245, -0.309), (0.9511, -0.309), (0.3633, 0.118), (0.5878, 0.809),
        (0.0, 0.382), (-0.5878, 0.809), (-0.3633, 0.118), (-0.9511, -0.309), (-0.2245, -0.309),
    )  # fmt: skip
    return " ".join(f"{num(cx + ux * radius)},{num(cy + uy * radius)}" for ux, uy in unit)


def star(cx: float, cy: float, radius: float = 7) -> str:
    return (
        f'<polygon points="{star_points(cx, cy, radius)}" fill="#1f5fa8" stroke="#ffffff" '
        f'stroke-width="1"/>'
    )


def header_lines(title: str, subtitle: str, width: float) -> list[str]:
    lines = [
        text_element(
            MARGIN, 24, wrap(title, TITLE_SIZE, width, max_lines=1, bold=True)[0]
            if title.strip() else "Untitled process", size=TITLE_SIZE, bold=True,
        )
    ]  # fmt: skip
    if subtitle.strip():
        lines.append(
            text_element(
                MARGIN, 42, wrap(subtitle, SUBTITLE_SIZE, width, max_lines=1)[0],
                size=SUBTITLE_SIZE, fill=MUTED,
            )
        )  # fmt: skip
    return lines


def svg_document(
    *, width: float, height: float, title: str, description: str, body: list[str]
) -> str:
    """The outer <svg> with its accessible title, a white page and the body lines."""
    width, height = num(width), num(height)
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}" '
        f'role="img">'
    )
    lines = [
        head,
        title_element(title),
        f"<desc>{esc(description)}</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="{PAGE}"/>',
        *body,
        "</svg>",
    ]
    return "\n".join(lines) + "\n"


def empty_svg(*, title: str, subtitle: str, message: str, what: str) -> str:
    """A clear placeholder instead of an error when there is nothing to draw."""
    width, height = 520, 170
    body = header_lines(title, subtitle, width - 2 * MARGIN)
    body.append(
        f'<rect x="{MARGIN}" y="{HEADER_HEIGHT + 8}" width="{width - 2 * MARGIN}" height="86" '
        f'rx="8" fill="#f6f7f9" stroke="{RULE}" stroke-dasharray="6 4"/>'
    )
    body += text_lines(
        width / 2, HEADER_HEIGHT + 51, wrap(message, 13, width - 4 * MARGIN, max_lines=2),
        size=13, line_height=17, fill=MUTED,
    )  # fmt: skip
    return svg_document(
        width=width,
        height=height,
        title=f"{what}: {title}" if title else what,
        description=message,
        body=body,
    )


def legend(
    items: list[tuple[str, str]], *, x: float, y: float, max_width: float
) -> tuple[list[str], float]:
    """A row (wrapping) of legend entries: (swatch SVG snippet at 0,0 size 18x12, label).

    Returns the lines and the height used. Each swatch is given as SVG drawn in a 22 x 14
    box whose top-left is placed by a translate.
    """
    lines = ['<g font-size="11">']
    cursor_x, cursor_y = x, y
    row_height = 20
    for swatch, label in items:
        item_width = 28 + text_width(label, 11) + 18
        if cursor_x > x and cursor_x + item_width > x + max_width:
            cursor_x = x
            cursor_y += row_height
        lines.append(f'<g transform="translate({num(cursor_x)},{num(cursor_y)})">{swatch}</g>')
        lines.append(text_element(cursor_x + 28, cursor_y + 11, label, size=11))
        cursor_x += item_width
    lines.append("</g>")
    return lines, cursor_y - y + row_height
