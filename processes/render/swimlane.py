"""The swimlane flowchart: lanes as full-width bands, steps as conventional shapes.

Shapes: start = thin circle, end = thick circle (as in BPMN), task = rounded rectangle,
decision = diamond, wait = the flowchart "delay" shape (a rectangle with a round right end).
Tasks, decisions and waits are coloured by value class and carry its code (VA, NVA, BN);
customer touchpoints carry a blue star. Arrows that close a loop (rework) are dashed.
"""

from __future__ import annotations

from processes.diagram import MapData, StepData
from processes.flowgraph import analyse
from processes.render import layout as geometry
from processes.render.document import (
    HEADER_HEIGHT,
    INK,
    MARGIN,
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
from processes.render.layout import EdgePath, Layout, NodeBox, layout_swimlane
from processes.render.text import text_width, wrap

LANE_FILLS = ("#f7f8fa", "#ffffff")
LANE_HEADER_FILL = "#e3e8ee"
LANE_STROKE = "#8a96a3"
EDGE_COLOUR = "#333333"
ARROW_LENGTH = 9
ARROW_HALF_WIDTH = 4.5
LABEL_SIZE = 10
EDGE_LABEL_MAX_WIDTH = 120
EDGE_LABEL_MIN_WIDTH = 30


def step_summary(step: StepData) -> str:
    """The hover text of a step: its full label and figures."""
    parts = [step.label or "(no label)"]
    if step.kind not in geometry.CIRCLE_KINDS:
        parts.append(f"process {num(step.process_minutes)} min, wait {num(step.wait_minutes)} min")
        parts.append(f"{num(step.percent_complete_accurate)}% complete and accurate")
    if step.inputs:
        parts.append(f"inputs: {step.inputs}")
    if step.outputs:
        parts.append(f"outputs: {step.outputs}")
    if step.customer_touchpoint:
        parts.append("customer touchpoint")
    return "; ".join(parts)


def _lane_lines(layout: Layout) -> list[str]:
    lines = []
    for number, lane in enumerate(layout.lanes):
        fill = LANE_FILLS[number % 2]
        lines.append(
            f'<rect x="{num(lane.x)}" y="{num(lane.y)}" width="{num(lane.width)}" '
            f'height="{num(lane.height)}" fill="{fill}" stroke="{LANE_STROKE}"/>'
        )
        lines.append(
            f'<rect x="{num(lane.x)}" y="{num(lane.y)}" width="{num(layout.lane_header_width)}" '
            f'height="{num(lane.height)}" fill="{LANE_HEADER_FILL}" stroke="{LANE_STROKE}"/>'
        )
        lines += text_lines(
            lane.x + layout.lane_header_width / 2, lane.y + lane.height / 2,
            geometry.lane_label_lines(lane.name), size=geometry.TEXT_SIZE,
            line_height=geometry.TEXT_LINE, bold=True,
        )  # fmt: skip
    return lines


def _arrowhead(points: tuple[tuple[float, float], ...]) -> str:
    (x1, y1), (x2, y2) = points[-2], points[-1]
    if x1 == x2:
        direction = 1 if y2 > y1 else -1
        base_y = y2 - direction * ARROW_LENGTH
        corners = ((x2 - ARROW_HALF_WIDTH, base_y), (x2 + ARROW_HALF_WIDTH, base_y))
    else:
        direction = 1 if x2 > x1 else -1
        base_x = x2 - direction * ARROW_LENGTH
        corners = ((base_x, y2 - ARROW_HALF_WIDTH), (base_x, y2 + ARROW_HALF_WIDTH))
    points_text = " ".join(f"{num(x)},{num(y)}" for x, y in ((x2, y2), *corners))
    return f'<polygon points="{points_text}" fill="{EDGE_COLOUR}"/>'


def _edge_lines(edge: EdgePath, is_loop: bool) -> list[str]:
    if len(edge.points) < 2:
        return []
    path = "M " + " L ".join(f"{num(x)} {num(y)}" for x, y in edge.points)
    dash = ' stroke-dasharray="6 4"' if is_loop else ""
    return [
        f'<path d="{path}" fill="none" stroke="{EDGE_COLOUR}" stroke-width="1.5"{dash}/>',
        _arrowhead(edge.points),
    ]


def _edge_label_lines(edge: EdgePath) -> list[str]:
    """The condition label on a white patch, cut short (…) where it would run into the target."""
    if not edge.label.strip():
        return []
    label = " ".join(edge.label.split())
    room = EDGE_LABEL_MAX_WIDTH
    (x0, y0), (x1, y1) = edge.points[0], edge.points[1]
    if y0 == y1 and abs(edge.label_x - x0) <= 10:  # above a horizontal first segment
        room = max(EDGE_LABEL_MIN_WIDTH, abs(x1 - x0) - 14)
    shown = wrap(label, LABEL_SIZE, room, max_lines=1, bold=True)[0]
    width = text_width(shown, LABEL_SIZE, bold=True) + 6
    return [
        f"<g><title>{esc(label)}</title>",
        f'<rect x="{num(edge.label_x - 3)}" y="{num(edge.label_y - 10)}" width="{num(width)}" '
        f'height="13" fill="#ffffff" fill-opacity="0.9"/>',
        text_element(edge.label_x, edge.label_y, shown, size=LABEL_SIZE, bold=True),
        "</g>",
    ]


def _code(x: float, y: float, code: str, colour: str) -> str:
    return text_element(x, y, code, size=8, bold=True, fill=colour) if code else ""


def _node_lines(node: NodeBox, step: StepData) -> list[str]:
    fill, stroke, code, _ = value_style(step.value_class)
    x, y, w, h = node.x, node.y, node.width, node.height
    cx, cy = node.center
    lines = [f"<g>{f'<title>{esc(step_summary(step))}</title>'}"]
    if node.kind in geometry.CIRCLE_KINDS:
        is_end = node.kind == "end"
        lines.append(
            f'<circle cx="{num(cx)}" cy="{num(cy)}" r="{num(w / 2 - (2 if is_end else 1))}" '
            f'fill="{"#fdecea" if is_end else "#e6f4ea"}" stroke="{INK if is_end else "#2e7d32"}" '
            f'stroke-width="{4 if is_end else 2}"/>'
        )
        first = y + h + geometry.LABEL_BELOW_GAP + geometry.SMALL_SIZE * 0.9
        for number, line in enumerate(node.label_lines):
            lines.append(
                text_element(
                    cx, first + number * geometry.SMALL_LINE, line,
                    size=geometry.SMALL_SIZE, anchor="middle",
                )
            )  # fmt: skip
        if step.customer_touchpoint:
            lines.append(star(x + w - 1, y + 3, 6.5))
    elif node.kind == "decision":
        diamond = (
            f"{num(cx)},{num(y)} {num(x + w)},{num(cy)} {num(cx)},{num(y + h)} {num(x)},{num(cy)}"
        )
        lines.append(
            f'<polygon points="{diamond}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
        )
        lines += text_lines(
            cx, cy, node.label_lines, size=geometry.SMALL_SIZE, line_height=geometry.SMALL_LINE
        )
        lines.append(_code(x + 14, y + 16, code, stroke))
        if step.customer_touchpoint:
            lines.append(star(x + w - 18, y + 12))
    else:
        if node.kind == "wait":
            radius = h / 2
            straight = x + w - radius
            shape = (
                f'<path d="M {num(x)} {num(y)} H {num(straight)} A {num(radius)} {num(radius)} '
                f'0 0 1 {num(straight)} {num(y + h)} H {num(x)} Z" fill="{fill}" '
                f'stroke="{stroke}" stroke-width="1.5"/>'
            )
            text_x = x + 8 + geometry.WAIT_TEXT_WIDTH / 2
        else:
            shape = (
                f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" rx="8" '
                f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
            )
            text_x = cx
        lines.append(shape)
        lines += text_lines(
            text_x, cy + geometry.TASK_LABEL_DROP, node.label_lines, size=geometry.TEXT_SIZE,
            line_height=geometry.TEXT_LINE,
        )  # fmt: skip
        lines.append(_code(x + 6, y + 11, code, stroke))
        if step.customer_touchpoint:
            lines.append(star(x + w - (h / 2 if node.kind == "wait" else 2), y + 2))
    lines.append("</g>")
    return [line for line in lines if line]


def _swatch_rect(value_class: str) -> str:
    fill, stroke, code, _ = value_style(value_class)
    return (
        f'<rect x="0" y="0" width="22" height="14" rx="3" fill="{fill}" stroke="{stroke}" '
        f'stroke-width="1.5"/>'
        f'<text x="11" y="10" font-size="7" font-weight="bold" text-anchor="middle" '
        f'fill="{stroke}">{code}</text>'
    )


def legend_items(has_loops: bool) -> list[tuple[str, str]]:
    items = [(_swatch_rect(key), value_style(key)[3]) for key in ("va", "nva", "bn")]
    items.append((star(11, 7, 7), "Customer touchpoint"))
    if has_loops:
        items.append(
            (
                f'<path d="M 0 7 L 18 7" stroke="{EDGE_COLOUR}" stroke-width="1.5" '
                f'stroke-dasharray="6 4"/><polygon points="22,7 14,3 14,11" fill="{EDGE_COLOUR}"/>',
                "Loop back (rework)",
            )
        )
    return items


def swimlane_svg(data: MapData) -> str:
    if not data.steps:
        return empty_svg(
            title=data.title,
            subtitle=data.subtitle,
            message="Nothing to draw yet: add lanes and steps.",
            what="Swimlane flowchart",
        )
    layout = layout_swimlane(data)
    graph = analyse(data)
    loops = set(graph.loop_flows)
    loop_per_edge = [index in loops for index in graph.usable_flows]
    width = layout.width + 2 * MARGIN

    body = header_lines(data.title, data.subtitle, width - 2 * MARGIN)
    body.append(f'<g transform="translate({MARGIN},{HEADER_HEIGHT})">')
    body += _lane_lines(layout)
    for edge, is_loop in zip(layout.edges, loop_per_edge, strict=True):
        body += _edge_lines(edge, is_loop)
    steps = {step.key: step for step in data.steps}
    for key, node in layout.nodes.items():
        body += _node_lines(node, steps[key])
    for edge in layout.edges:
        body += _edge_label_lines(edge)
    body.append("</g>")

    legend_lines, legend_height = legend(
        legend_items(bool(loops)),
        x=MARGIN,
        y=HEADER_HEIGHT + layout.height + 14,
        max_width=width - 2 * MARGIN,
    )
    body += legend_lines
    height = HEADER_HEIGHT + layout.height + 14 + legend_height + MARGIN
    lane_names = ", ".join(lane.name for lane in layout.lanes)
    return svg_document(
        width=width,
        height=height,
        title=f"Swimlane flowchart: {data.title}",
        description=(
            f"{len(data.steps)} steps in {len(layout.lanes)} lanes ({lane_names}), "
            f"{len(layout.edges)} arrows."
        ),
        body=body,
    )
