"""The cause-and-effect (fishbone, Ishikawa) diagram.

The effect sits in the head at the right; a spine runs left from it. Each category with at
least one cause is a bone, alternating above and below the spine in the fixed category
order (people, process, equipment, materials, environment, measurement; unknown
categories after them by first use). Causes hang off their bone as short horizontal ribs.
"""

from __future__ import annotations

from processes.diagram import MapData
from processes.models import CauseCategory
from processes.render.document import (
    HEADER_HEIGHT,
    INK,
    MARGIN,
    empty_svg,
    esc,
    header_lines,
    num,
    svg_document,
    text_element,
    text_lines,
)
from processes.render.text import text_width, wrap

CAUSE_SIZE = 10
CAUSE_LINE = 12
CAUSE_TEXT_WIDTH = 150
CAUSE_PITCH = 34  # least vertical distance between ribs on a bone
BONE_SLANT = 0.45  # horizontal run per unit of vertical rise
BONE_MARGIN = 28  # bone length beyond the first and last rib
CATEGORY_HEIGHT = 26
HEAD_WIDTH = 190
HEAD_TEXT_WIDTH = 166
BONE_COLOUR = "#2f4858"
CATEGORY_FILL = "#e3e8ee"


def _categories(data: MapData) -> list[tuple[str, list[str]]]:
    labels = dict(CauseCategory.choices)
    order = [value for value, _ in CauseCategory.choices]
    grouped: dict[str, list[str]] = {}
    for cause in data.causes:
        grouped.setdefault(cause.category, []).append(cause.text)
    known = [value for value in order if value in grouped]
    unknown = [value for value in grouped if value not in labels]
    return [
        (labels.get(value) or value[:1].upper() + value[1:] or "Other", grouped[value])
        for value in known + unknown
    ]


def fishbone_svg(data: MapData) -> str:
    if not data.causes:
        return empty_svg(
            title=data.title,
            subtitle=data.subtitle,
            message="Nothing to draw yet: add causes (and the problem they explain).",
            what="Cause and effect diagram",
        )
    categories = _categories(data)
    wrapped = [
        (name, [wrap(text, CAUSE_SIZE, CAUSE_TEXT_WIDTH, max_lines=3) for text in causes])
        for name, causes in categories
    ]
    # Every bone on a side has the same height so the category boxes line up.
    most_causes = max(len(causes) for _, causes in wrapped)
    most_lines = max(len(lines) for _, causes in wrapped for lines in causes)
    pitch = max(CAUSE_PITCH, most_lines * CAUSE_LINE + 10)
    rise = BONE_MARGIN * 2 + (most_causes - 1) * pitch
    run = rise * BONE_SLANT
    pairs = (len(wrapped) + 1) // 2
    bone_pitch = CAUSE_TEXT_WIDTH + run + 40
    has_bottom = len(wrapped) > 1

    spine_y = HEADER_HEIGHT + 12 + CATEGORY_HEIGHT + rise
    spine_left = MARGIN + 10
    first_bone_x = spine_left + CAUSE_TEXT_WIDTH + run + 20
    head_x = first_bone_x + (pairs - 1) * bone_pitch + 40
    effect_lines = wrap(data.effect.strip() or "(the problem)", 12, HEAD_TEXT_WIDTH,
                        max_lines=5, bold=True)  # fmt: skip
    head_height = max(70, len(effect_lines) * 16 + 24)
    width = head_x + HEAD_WIDTH + MARGIN
    height = spine_y + (rise + CATEGORY_HEIGHT if has_bottom else head_height / 2) + 12 + MARGIN

    body = header_lines(data.title, data.subtitle, width - 2 * MARGIN)
    body.append(
        f'<path d="M {num(spine_left)} {num(spine_y)} L {num(head_x)} {num(spine_y)}" '
        f'stroke="{BONE_COLOUR}" stroke-width="3" fill="none"/>'
    )
    body.append(
        f'<polygon points="{num(head_x)},{num(spine_y - 8)} {num(head_x + 12)},{num(spine_y)} '
        f'{num(head_x)},{num(spine_y + 8)}" fill="{BONE_COLOUR}"/>'
    )
    body.append(
        f'<rect x="{num(head_x + 12)}" y="{num(spine_y - head_height / 2)}" '
        f'width="{HEAD_WIDTH - 12}" height="{num(head_height)}" rx="6" fill="#fbe0e0" '
        f'stroke="#c62828" stroke-width="2"/>'
    )
    body += text_lines(head_x + 12 + (HEAD_WIDTH - 12) / 2, spine_y, effect_lines, size=12,
                       line_height=16, bold=True)  # fmt: skip

    for number, (name, causes) in enumerate(wrapped):
        above = number % 2 == 0
        sign = -1 if above else 1
        foot_x = first_bone_x + (number // 2) * bone_pitch  # where the bone meets the spine
        end_x, end_y = foot_x - run, spine_y + sign * rise
        body.append("<g>")
        body.append(f"<title>{esc(name)}: {len(causes)} cause(s)</title>")
        body.append(
            f'<line x1="{num(foot_x)}" y1="{num(spine_y)}" x2="{num(end_x)}" y2="{num(end_y)}" '
            f'stroke="{BONE_COLOUR}" stroke-width="2"/>'
        )
        label_width = text_width(name, 11, bold=True) + 20
        box_y = end_y - CATEGORY_HEIGHT if above else end_y
        body.append(
            f'<rect x="{num(end_x - label_width / 2)}" y="{num(box_y)}" width="{num(label_width)}"'
            f' height="{CATEGORY_HEIGHT}" rx="4" fill="{CATEGORY_FILL}" stroke="{BONE_COLOUR}"/>'
        )
        body.append(text_element(end_x, box_y + 17, name, size=11, anchor="middle", bold=True))
        for rib, lines in enumerate(causes):
            rib_y = end_y - sign * (BONE_MARGIN + rib * pitch)
            rib_x = foot_x - run * abs(rib_y - spine_y) / rise
            body.append(
                f'<line x1="{num(rib_x - 14)}" y1="{num(rib_y)}" x2="{num(rib_x)}" '
                f'y2="{num(rib_y)}" stroke="{INK}" stroke-width="1.2"/>'
            )
            body += text_lines(rib_x - 18, rib_y, lines, size=CAUSE_SIZE, line_height=CAUSE_LINE,
                               anchor="end")  # fmt: skip
        body.append("</g>")
    return svg_document(
        width=width,
        height=height,
        title=f"Cause and effect diagram: {data.title}",
        description=(
            f"Effect: {data.effect.strip() or 'not stated'}. {len(data.causes)} causes in "
            f"{len(categories)} categories."
        ),
        body=body,
    )
