"""The value-stream timeline ladder along the main path.

One box per step of the main path (start and end events left out unless they carry time).
Under the boxes runs the ladder: low rungs under each box carry its process time, high
rungs between boxes carry the wait before the step (VSM's "inventory" triangle marks it).
The totals at the right end are the figures of processes.figures.
"""

from __future__ import annotations

from decimal import Decimal

from processes.diagram import MapData, StepData
from processes.figures import Figures, compute_figures
from processes.render.document import (
    HEADER_HEIGHT,
    INK,
    MARGIN,
    MUTED,
    empty_svg,
    esc,
    header_lines,
    legend,
    num,
    star,
    svg_document,
    text_element,
    text_lines,
    value_style,
)
from processes.render.swimlane import legend_items, step_summary
from processes.render.text import wrap

BOX_WIDTH = 140
BOX_TEXT_WIDTH = 124
WAIT_GAP = 120
NO_WAIT_GAP = 40
LADDER_GAP = 34
RUNG_HEIGHT = 34
TOTALS_WIDTH = 230
LEVEL_LABEL_WIDTH = 56  # room for the "Waiting" and "Working" level names
LABEL_SIZE = 11
LABEL_LINE = 14
DATA_SIZE = 10
DATA_LINE = 13
LADDER_COLOUR = "#1a1a1a"


def duration(minutes: Decimal) -> str:
    """Minutes as a readable duration: "45 min", "1 h 30 min", "2 d 1 h 25 min"."""
    minutes = Decimal(minutes)
    if minutes < 60:
        return f"{num(minutes)} min"
    whole = int(minutes)
    rest = minutes - whole
    days, whole = divmod(whole, 1440)
    hours, mins = divmod(whole, 60)
    parts = []
    if days:
        parts.append(f"{days} d")
    if hours:
        parts.append(f"{hours} h")
    if mins or rest:
        parts.append(f"{num(mins + rest)} min")
    return " ".join(parts)


def _timeline_steps(data: MapData, figures: Figures) -> list[StepData]:
    steps = [data.step(key) for key in figures.main_path]
    return [
        s
        for s in steps
        if s.kind not in ("start", "end") or s.process_minutes > 0 or s.wait_minutes > 0
    ]


def _box_lines(step: StepData) -> tuple[tuple[str, ...], tuple[str, ...]]:
    label = wrap(step.label or "(no label)", LABEL_SIZE, BOX_TEXT_WIDTH, max_lines=3, bold=True)
    data_lines = (
        f"P/T {duration(step.process_minutes)}",
        f"%C&A {num(step.percent_complete_accurate)}%",
        f"Cost £{Decimal(step.cost).quantize(Decimal('0.01'))}",
    )
    return label, data_lines


def value_stream_svg(data: MapData) -> str:
    figures = compute_figures(data)
    steps = _timeline_steps(data, figures)
    if not steps:
        return empty_svg(
            title=data.title,
            subtitle=data.subtitle,
            message="Nothing to draw yet: add steps, with times, from the start to the end.",
            what="Value-stream map",
        )
    contents = [_box_lines(step) for step in steps]
    label_rows = max(len(label) for label, _ in contents)
    box_height = 14 + label_rows * LABEL_LINE + 8 + 3 * DATA_LINE + 6
    box_top = HEADER_HEIGHT + 10
    high_y = box_top + box_height + LADDER_GAP
    low_y = high_y + RUNG_HEIGHT

    body: list[str] = []  # the header goes first once the width is known
    x = MARGIN + LEVEL_LABEL_WIDTH
    ladder = [(x, high_y)]
    for step, (label, data_lines) in zip(steps, contents, strict=True):
        gap = WAIT_GAP if step.wait_minutes > 0 else NO_WAIT_GAP
        if step.wait_minutes > 0:
            middle = x + gap / 2
            tri_top = box_top + box_height / 2 - 16
            body.append(
                f'<polygon points="{num(middle)},{num(tri_top)} {num(middle + 17)},'
                f'{num(tri_top + 28)} {num(middle - 17)},{num(tri_top + 28)}" fill="#fff0c7" '
                f'stroke="#8a6100" stroke-width="1.5"/>'
            )
            body.append(text_element(middle, tri_top + 24, "I", size=12, anchor="middle",
                                     bold=True, fill="#8a6100"))  # fmt: skip
            body.append(text_element(middle, high_y - 8, f"wait {duration(step.wait_minutes)}",
                                     size=DATA_SIZE, anchor="middle", bold=True))  # fmt: skip
        x += gap
        ladder += [(x, high_y), (x, low_y), (x + BOX_WIDTH, low_y), (x + BOX_WIDTH, high_y)]
        fill, stroke, code, _ = value_style(step.value_class)
        body.append(f"<g><title>{esc(step_summary(step))}</title>")
        body.append(
            f'<rect x="{num(x)}" y="{num(box_top)}" width="{BOX_WIDTH}" '
            f'height="{num(box_height)}" rx="4" fill="{fill}" stroke="{stroke}" '
            f'stroke-width="1.5"/>'
        )
        if code:
            body.append(text_element(x + 6, box_top + 11, code, size=8, bold=True, fill=stroke))
        if step.customer_touchpoint:
            body.append(star(x + BOX_WIDTH - 2, box_top + 2))
        label_center = box_top + 14 + label_rows * LABEL_LINE / 2
        body += text_lines(x + BOX_WIDTH / 2, label_center, label, size=LABEL_SIZE,
                           line_height=LABEL_LINE, bold=True)  # fmt: skip
        separator = box_top + 14 + label_rows * LABEL_LINE + 2
        body.append(
            f'<line x1="{num(x)}" y1="{num(separator)}" x2="{num(x + BOX_WIDTH)}" '
            f'y2="{num(separator)}" stroke="{stroke}"/>'
        )
        for number, line in enumerate(data_lines):
            body.append(text_element(x + 8, separator + 15 + number * DATA_LINE, line,
                                     size=DATA_SIZE))  # fmt: skip
        body.append("</g>")
        body.append(text_element(x + BOX_WIDTH / 2, low_y + 15, duration(step.process_minutes),
                                 size=DATA_SIZE, anchor="middle", bold=True))  # fmt: skip
        x += BOX_WIDTH
    x += NO_WAIT_GAP / 2
    ladder.append((x, high_y))
    path = "M " + " L ".join(f"{num(px)} {num(py)}" for px, py in ladder)
    body.append(f'<path d="{path}" fill="none" stroke="{LADDER_COLOUR}" stroke-width="2"/>')
    body.append(text_element(MARGIN, high_y + 4, "Waiting", size=DATA_SIZE, fill=MUTED))
    body.append(text_element(MARGIN, low_y + 4, "Working", size=DATA_SIZE, fill=MUTED))

    totals_x = x + 16
    process_total = sum((s.process_minutes for s in steps), Decimal(0))
    pce = figures.process_cycle_efficiency
    totals = (
        ("Lead time", duration(figures.lead_time_minutes)),
        ("Process time", duration(process_total)),
        ("Value-added time", duration(figures.value_added_minutes)),
        ("Process cycle efficiency", "n/a" if pce is None else f"{pce}%"),
        ("Rolled %C&A", f"{figures.rolled_percent_complete_accurate}%"),
        ("Cost per case", f"£{figures.total_cost}"),
    )
    totals_top = box_top
    totals_height = low_y + 20 - totals_top
    body.append(
        f'<rect x="{num(totals_x)}" y="{num(totals_top)}" width="{TOTALS_WIDTH}" '
        f'height="{num(totals_height)}" rx="4" fill="#f3f5f8" stroke="{INK}" stroke-width="1.5"/>'
    )
    body.append(text_element(totals_x + 10, totals_top + 20, "Totals along the main path",
                             size=LABEL_SIZE, bold=True))  # fmt: skip
    row_height = (totals_height - 34) / len(totals)
    for number, (name, value) in enumerate(totals):
        row_y = totals_top + 38 + number * row_height
        body.append(text_element(totals_x + 10, row_y, name, size=DATA_SIZE, fill=MUTED))
        body.append(text_element(totals_x + TOTALS_WIDTH - 10, row_y, value, size=DATA_SIZE,
                                 anchor="end", bold=True))  # fmt: skip

    width = totals_x + TOTALS_WIDTH + MARGIN
    body[0:0] = header_lines(data.title, data.subtitle, width - 2 * MARGIN)
    note_y = low_y + 42
    body.append(
        text_element(
            MARGIN, note_y,
            "Times along the main path only; loops back and other branches are not counted. "
            "I = cases waiting.",
            size=DATA_SIZE, fill=MUTED,
        )
    )  # fmt: skip
    legend_lines, legend_height = legend(
        legend_items(False), x=MARGIN, y=note_y + 12, max_width=width - 2 * MARGIN
    )
    body += legend_lines
    height = note_y + 12 + legend_height + MARGIN
    return svg_document(
        width=width,
        height=height,
        title=f"Value-stream map: {data.title}",
        description=(
            f"{len(steps)} steps on the main path; lead time {duration(figures.lead_time_minutes)}"
            f", value-added time {duration(figures.value_added_minutes)}."
        ),
        body=body,
    )
