"""The SIPOC table: suppliers, inputs, process, outputs, customers, one row per line."""

from __future__ import annotations

from processes.diagram import MapData
from processes.render.document import (
    HEADER_HEIGHT,
    MARGIN,
    RULE,
    empty_svg,
    header_lines,
    svg_document,
    text_element,
    text_lines,
)
from processes.render.text import wrap

COLUMNS = (
    ("suppliers", "Suppliers", "S"),
    ("inputs", "Inputs", "I"),
    ("process", "Process", "P"),
    ("outputs", "Outputs", "O"),
    ("customers", "Customers", "C"),
)
COLUMN_WIDTH = 180
TEXT_SIZE = 11
LINE_HEIGHT = 14
CELL_PADDING = 10
HEAD_ROW_HEIGHT = 46
HEAD_FILL = "#2f4858"
PROCESS_FILL = "#eaf1f8"
ROW_FILLS = ("#ffffff", "#f7f8fa")


def sipoc_svg(data: MapData) -> str:
    if not data.sipoc:
        return empty_svg(
            title=data.title,
            subtitle=data.subtitle,
            message="Nothing to draw yet: add SIPOC rows.",
            what="SIPOC",
        )
    table_width = COLUMN_WIDTH * len(COLUMNS)
    width = table_width + 2 * MARGIN
    body = header_lines(data.title, data.subtitle, table_width)
    top = HEADER_HEIGHT + 4
    body.append(f'<g transform="translate({MARGIN},{top})">')
    for number, (_, heading, letter) in enumerate(COLUMNS):
        x = number * COLUMN_WIDTH
        body.append(
            f'<rect x="{x}" y="0" width="{COLUMN_WIDTH}" height="{HEAD_ROW_HEIGHT}" '
            f'fill="{HEAD_FILL}" stroke="#ffffff"/>'
        )
        body.append(
            text_element(x + COLUMN_WIDTH / 2, 20, letter, size=15, anchor="middle", bold=True,
                         fill="#ffffff")
        )  # fmt: skip
        body.append(
            text_element(x + COLUMN_WIDTH / 2, 37, heading, size=11, anchor="middle",
                         fill="#ffffff")
        )  # fmt: skip

    y = HEAD_ROW_HEIGHT
    for row_number, row in enumerate(data.sipoc):
        cells = [
            wrap(getattr(row, field), TEXT_SIZE, COLUMN_WIDTH - 2 * CELL_PADDING, max_lines=6)
            for field, _, _ in COLUMNS
        ]
        height = max(len(lines) for lines in cells) * LINE_HEIGHT + 2 * CELL_PADDING
        height = max(height, 40)
        for number, lines in enumerate(cells):
            x = number * COLUMN_WIDTH
            fill = PROCESS_FILL if COLUMNS[number][0] == "process" else ROW_FILLS[row_number % 2]
            body.append(
                f'<rect x="{x}" y="{y}" width="{COLUMN_WIDTH}" height="{height}" fill="{fill}" '
                f'stroke="{RULE}"/>'
            )
            body += text_lines(
                x + COLUMN_WIDTH / 2, y + height / 2, lines or ("-",), size=TEXT_SIZE,
                line_height=LINE_HEIGHT,
            )  # fmt: skip
        y += height
    body.append("</g>")
    height = top + y + MARGIN
    return svg_document(
        width=width,
        height=height,
        title=f"SIPOC: {data.title}",
        description=f"{len(data.sipoc)} rows of suppliers, inputs, process, outputs, customers.",
        body=body,
    )
