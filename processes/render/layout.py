"""Where every lane, step and arrow of a swimlane flowchart goes.

Used by the SVG renderer and by the BPMN export (for its diagram-interchange coordinates),
so both show the same picture. The method:

1. Flows that close a loop (rework arrows, see processes.flowgraph) are set aside; the rest
   form a DAG. Each step's layer (column) is its longest-path distance from a root.
2. Lanes are full-width bands stacked top to bottom in lane order. A step sits in its
   lane's band, in its layer's column; steps sharing a lane and a column are stacked in
   "slots", and every slot of a lane has the same height so that arrows between steps in
   the same slot are straight.
3. Arrows are orthogonal. Vertical runs happen only in the corridors between columns
   (where no step is) or straight down/up from a decision; a run that cannot go directly
   goes along a channel at the bottom of its source lane, which no step uses. Loop-closing
   arrows always go that way: down into the channel, back left, up to the target.

All coordinates are whole numbers (px, origin top-left, lanes start at x = 0 with the lane
header as their first ``lane_header_width`` px), so the output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from processes.diagram import MapData, StepData
from processes.flowgraph import analyse, topological_order
from processes.render.text import wrap


@dataclass(frozen=True)
class LaneBox:
    key: str
    name: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class NodeBox:
    """A step's shape: x, y is its top-left corner; width and height bound the shape.

    Start and end circles carry their label below the shape (see ``label_below``); every
    other kind draws its label inside.
    """

    key: str
    kind: str
    label_lines: tuple[str, ...]
    x: float
    y: float
    width: float
    height: float

    @property
    def center(self) -> tuple[float, float]:
        return self.x + self.width / 2, self.y + self.height / 2

    @property
    def label_below(self) -> bool:
        return self.kind in CIRCLE_KINDS

    def extent(self) -> tuple[float, float, float, float]:
        """(left, top, right, bottom) including a label drawn below the shape."""
        bottom = self.y + self.height
        if self.label_below:
            bottom += LABEL_BELOW_GAP + len(self.label_lines) * SMALL_LINE
            half = CIRCLE_LABEL_WIDTH / 2
            cx = self.x + self.width / 2
            return cx - half, self.y, cx + half, bottom
        return self.x, self.y, self.x + self.width, bottom


@dataclass(frozen=True)
class EdgePath:
    """An arrow: ``points`` from the source's edge to the target's edge (the arrowhead end).

    ``label_x``, ``label_y`` is where the condition label's baseline starts (text-anchor
    start), just beside the arrow's first segment.
    """

    source: str
    target: str
    points: tuple[tuple[float, float], ...]
    label: str
    label_x: float
    label_y: float


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    lane_header_width: float
    lanes: tuple[LaneBox, ...]
    nodes: dict[str, NodeBox]
    edges: tuple[EdgePath, ...]


# Sizes in px. Fonts: 11 px inside tasks, 10 px in decisions and under circles.
TEXT_SIZE = 11
TEXT_LINE = 14
SMALL_SIZE = 10
SMALL_LINE = 12
CIRCLE_KINDS = frozenset({"start", "end"})
CIRCLE_SIZE = 36
CIRCLE_LABEL_WIDTH = 140
LABEL_BELOW_GAP = 6
TASK_WIDTH = 136
TASK_TEXT_WIDTH = 120
WAIT_TEXT_WIDTH = 104  # the delay shape's rounded right end takes room
TASK_MIN_HEIGHT = 52
TASK_LABEL_DROP = 4  # the label's centre sits this far below the shape's centre
DECISION_WIDTH = 150
DECISION_HEIGHT = 90
DECISION_TEXT_WIDTH = 86
LANE_HEADER_WIDTH = 120
LANE_HEADER_TEXT_WIDTH = 104
LANE_PADDING_TOP = 20
LANE_MIN_HEIGHT = 96
SLOT_GAP = 30
CHANNEL_STEP = 8
CHANNEL_MARGIN = 10
COLUMN_WIDTH = 150
COLUMN_GAP = 80
LEFT_MARGIN = COLUMN_GAP  # a corridor before the first column, for loops back to it
RIGHT_MARGIN = 24
CORRIDOR_INSET = 12
CORRIDOR_STEP = 8
LEAVING_TRACKS = 3  # at 12, 20, 28 px into the corridor
ENTERING_TRACKS_START = 40
ENTERING_TRACKS = 4  # at 40 ... 64 px, leaving room for the arrowhead before the column
CLEARANCE = 4
NO_LANE_KEY = ""
NO_LANE_NAME = "(no lane)"


def lane_label_lines(name: str) -> tuple[str, ...]:
    return wrap(name, TEXT_SIZE, LANE_HEADER_TEXT_WIDTH, max_lines=4, bold=True)


def _shape(step: StepData) -> tuple[float, float, tuple[str, ...]]:
    """Width, height and label lines of a step's shape."""
    if step.kind in CIRCLE_KINDS:
        lines = wrap(step.label, SMALL_SIZE, CIRCLE_LABEL_WIDTH, max_lines=3)
        return CIRCLE_SIZE, CIRCLE_SIZE, lines
    if step.kind == "decision":
        lines = wrap(step.label, SMALL_SIZE, DECISION_TEXT_WIDTH, max_lines=3)
        return DECISION_WIDTH, DECISION_HEIGHT, lines
    text_width = WAIT_TEXT_WIDTH if step.kind == "wait" else TASK_TEXT_WIDTH
    lines = wrap(step.label, TEXT_SIZE, text_width, max_lines=4)
    # 12 px at the top are for the value-class code, so the label sits a little low.
    return TASK_WIDTH, max(TASK_MIN_HEIGHT, len(lines) * TEXT_LINE + 26), lines


def _reserved_height(step: StepData, height: float, lines: tuple[str, ...]) -> float:
    """Vertical room a step needs, symmetric about its centre line."""
    if step.kind in CIRCLE_KINDS:
        below = height / 2 + LABEL_BELOW_GAP + len(lines) * SMALL_LINE
        return 2 * below
    return height


def _layers(data: MapData, graph, order: tuple[str, ...]) -> dict[str, int]:
    layer = dict.fromkeys(graph.step_order, 0)
    incoming: dict[str, list[str]] = {key: [] for key in graph.step_order}
    for index in graph.forward_flows():
        flow = data.flows[index]
        incoming[flow.target].append(flow.source)
    for key in order:
        if incoming[key]:
            layer[key] = max(layer[source] + 1 for source in incoming[key])
    return layer


def column_left(column: int) -> int:
    return LANE_HEADER_WIDTH + LEFT_MARGIN + column * (COLUMN_WIDTH + COLUMN_GAP)


class _Router:
    """Chooses orthogonal routes that keep clear of every step's box."""

    def __init__(self, nodes: dict[str, NodeBox], lane_bottom: dict[str, float]):
        self.nodes = nodes
        self.lane_bottom = lane_bottom
        self.corridor_left_uses: dict[int, int] = {}
        self.corridor_right_uses: dict[int, int] = {}
        self.channel_uses: dict[str, int] = {}

    # Corridor c is the gap just left of column c. Arrows leaving a column use tracks on its
    # left part, arrows entering a column tracks on its right part; both count from left to
    # right and arrows are routed shortest vertical run first, so arrows joining at one
    # target nest instead of crossing. When a corridor is full, tracks are reused (lines may
    # then overlap, but never cross a step).
    def _track(self, uses: dict[int, int], corridor: int, first: int, count: int, take: bool):
        used = uses.get(corridor, 0)
        if take:
            uses[corridor] = used + 1
        return column_left(corridor) - COLUMN_GAP + first + (used % count) * CORRIDOR_STEP

    def leaving_x(self, column: int, *, take: bool = True) -> int:
        """A vertical track in the corridor right after ``column``."""
        return self._track(
            self.corridor_left_uses, column + 1, CORRIDOR_INSET, LEAVING_TRACKS, take
        )

    def entering_x(self, column: int, *, take: bool = True) -> int:
        """A vertical track in the corridor just before ``column``."""
        return self._track(
            self.corridor_right_uses, column, ENTERING_TRACKS_START, ENTERING_TRACKS, take
        )

    def channel_y(self, lane: str) -> float:
        uses = self.channel_uses.get(lane, 0)
        self.channel_uses[lane] = uses + 1
        return self.lane_bottom[lane] - CHANNEL_MARGIN - uses * CHANNEL_STEP

    def is_clear(self, points, ignore: set[str]) -> bool:
        for (x1, y1), (x2, y2) in pairwise(points):
            left, right = min(x1, x2), max(x1, x2)
            top, bottom = min(y1, y2), max(y1, y2)
            for key, node in self.nodes.items():
                if key in ignore:
                    continue
                n_left, n_top, n_right, n_bottom = node.extent()
                if (
                    left <= n_right + CLEARANCE
                    and right >= n_left - CLEARANCE
                    and top <= n_bottom + CLEARANCE
                    and bottom >= n_top - CLEARANCE
                ):
                    return False
        return True


def _tidy(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Drop repeated points and middle points of straight runs."""
    result: list[tuple[float, float]] = []
    for point in points:
        point = (round(point[0]), round(point[1]))
        if result and result[-1] == point:
            continue
        if len(result) >= 2:
            (ax, ay), (bx, by) = result[-2], result[-1]
            if (ax == bx == point[0]) or (ay == by == point[1]):
                result[-1] = point
                continue
        result.append(point)
    return tuple(result)


def layout_swimlane(data: MapData) -> Layout:
    graph = analyse(data)
    order = topological_order(data, graph)
    layer = _layers(data, graph, order)
    columns = (max(layer.values()) + 1) if layer else 0

    lane_keys = [lane.key for lane in data.lanes]
    lane_names = {lane.key: lane.name for lane in data.lanes}
    lane_of = {}
    for step in data.steps:
        lane_of[step.key] = step.lane if step.lane in lane_names else NO_LANE_KEY
    if NO_LANE_KEY in lane_of.values() and NO_LANE_KEY not in lane_names:
        lane_keys.append(NO_LANE_KEY)
        lane_names[NO_LANE_KEY] = NO_LANE_NAME

    shapes = {step.key: _shape(step) for step in data.steps}
    slot_of: dict[str, int] = {}
    cell_count: dict[tuple[str, int], int] = {}
    for step in data.steps:  # step order decides stacking within a cell
        cell = (lane_of[step.key], layer[step.key])
        slot_of[step.key] = cell_count.get(cell, 0)
        cell_count[cell] = slot_of[step.key] + 1

    # Loop arrows and arrows skipping columns may need a channel at the bottom of their
    # source lane; reserve room for all of them up front.
    channel_need = dict.fromkeys(lane_keys, 0)
    for index in graph.usable_flows:
        flow = data.flows[index]
        if layer[flow.target] - layer[flow.source] != 1:
            channel_need[lane_of[flow.source]] += 1

    # At least one column wide, so that lanes with no steps still draw.
    width = max(
        column_left(columns) - COLUMN_GAP + RIGHT_MARGIN,
        LANE_HEADER_WIDTH + COLUMN_WIDTH + LEFT_MARGIN + RIGHT_MARGIN,
    )
    lanes: list[LaneBox] = []
    slot_center: dict[tuple[str, int], float] = {}
    lane_bottom: dict[str, float] = {}
    y = 0
    for key in lane_keys:
        members = [step for step in data.steps if lane_of[step.key] == key]
        slots = max((cell_count[(key, layer[s.key])] for s in members), default=0)
        slot_height = max(
            (_reserved_height(s, shapes[s.key][1], shapes[s.key][2]) for s in members),
            default=0,
        )
        slot_height += SLOT_GAP
        channels = channel_need[key]
        channel_room = CHANNEL_MARGIN + channels * CHANNEL_STEP if channels else 0
        header = len(lane_label_lines(lane_names[key])) * TEXT_LINE + 2 * LANE_PADDING_TOP
        height = max(LANE_MIN_HEIGHT, LANE_PADDING_TOP + slots * slot_height + channel_room, header)
        # Centre the slots in whatever room the band has beyond the channels.
        used = slots * slot_height
        top = y + (height - channel_room - used) / 2
        for slot in range(slots):
            slot_center[(key, slot)] = round(top + slot * slot_height + slot_height / 2)
        lanes.append(LaneBox(key, lane_names[key], 0, y, width, height))
        lane_bottom[key] = y + height
        y += height

    nodes: dict[str, NodeBox] = {}
    for step in data.steps:
        shape_width, shape_height, lines = shapes[step.key]
        center_x = column_left(layer[step.key]) + COLUMN_WIDTH / 2
        center_y = slot_center[(lane_of[step.key], slot_of[step.key])]
        nodes[step.key] = NodeBox(
            key=step.key,
            kind=step.kind,
            label_lines=lines,
            x=round(center_x - shape_width / 2),
            y=round(center_y - shape_height / 2),
            width=shape_width,
            height=shape_height,
        )

    edges = _route_edges(data, graph, nodes, layer, lane_of, lane_bottom)
    return Layout(
        width=round(width),
        height=round(y),
        lane_header_width=LANE_HEADER_WIDTH,
        lanes=tuple(lanes),
        nodes=nodes,
        edges=edges,
    )


def _route_edges(data, graph, nodes, layer, lane_of, lane_bottom) -> tuple[EdgePath, ...]:
    router = _Router(nodes, lane_bottom)
    ports_taken: dict[str, set[str]] = {key: set() for key in nodes}
    edges: list[EdgePath] = []

    # Shortest vertical runs first (then flow order): see _Router's tracks.
    def vertical_run(index: int) -> float:
        flow = data.flows[index]
        return abs(nodes[flow.source].center[1] - nodes[flow.target].center[1])

    routed = {}
    for index in sorted(graph.usable_flows, key=lambda index: (vertical_run(index), index)):
        flow = data.flows[index]
        source, target = nodes[flow.source], nodes[flow.target]
        points, port = _route(router, flow, source, target, layer, lane_of, ports_taken)
        shared = port in ports_taken[flow.source]
        ports_taken[flow.source].add(port)
        routed[index] = (points, port, shared)
    for index in graph.usable_flows:
        flow = data.flows[index]
        points, port, shared = routed[index]
        label_x, label_y = _label_position(points, port, shared=shared)
        edges.append(
            EdgePath(
                source=flow.source,
                target=flow.target,
                points=points,
                label=flow.condition,
                label_x=round(label_x),
                label_y=round(label_y),
            )
        )
    return tuple(edges)


def _label_position(points, port: str, *, shared: bool) -> tuple[float, float]:
    """Beside the arrow's start; beside its first vertical run if another arrow shares the port.

    Arrows sharing a port overlap until they part, so a second label at the port would sit
    on the first one.
    """
    x0, y0 = points[0]
    if shared:
        for (x1, y1), (x2, y2) in pairwise(points):
            if x1 == x2 and y1 != y2:
                return x1 + 6, (y1 + y2) / 2 + 4
    if port == "bottom":
        return x0 + 6, y0 + 14
    return x0 + 6, y0 - 6


def _route(router, flow, source: NodeBox, target: NodeBox, layer, lane_of, ports_taken):
    """Points of one arrow and the port ("right", "top", "bottom") it leaves from."""
    sx, sy = source.center
    _, ty = target.center
    right_port = (source.x + source.width, sy)
    entry = (target.x, ty)
    ignore = {source.key, target.key}
    from_column, to_column = layer[flow.source], layer[flow.target]

    if to_column > from_column:
        # A decision sends a branch straight up or down when that port is free and the
        # way is clear: the usual flowchart look.
        if source.kind == "decision" and ty != sy:
            port = "bottom" if ty > sy else "top"
            port_y = source.y + source.height if port == "bottom" else source.y
            points = [(sx, port_y), (sx, ty), entry]
            if port not in ports_taken[source.key] and router.is_clear(points, ignore):
                return _tidy(points), port
        if ty == sy and router.is_clear([right_port, entry], ignore):
            return _tidy([right_port, entry]), "right"
        if to_column == from_column + 1:
            x = router.leaving_x(from_column)
            return _tidy([right_port, (x, sy), (x, ty), entry]), "right"
        x = router.entering_x(to_column, take=False)
        points = [right_port, (x, sy), (x, ty), entry]
        if router.is_clear(points, ignore):
            router.entering_x(to_column)
            return _tidy(points), "right"
        x = router.leaving_x(from_column, take=False)
        points = [right_port, (x, sy), (x, ty), entry]
        if router.is_clear(points, ignore):
            router.leaving_x(from_column)
            return _tidy(points), "right"

    # Loops, same-column arrows and anything blocked: by the channel below the source lane.
    channel = router.channel_y(lane_of[flow.source])
    back_x = router.entering_x(to_column)
    down = [(sx, source.y + source.height), (sx, channel)]
    bottom_free = "bottom" not in ports_taken[source.key] and not source.label_below
    if bottom_free and router.is_clear(down, ignore):
        points = [*down, (back_x, channel), (back_x, ty), entry]
        return _tidy(points), "bottom"
    out_x = router.leaving_x(from_column)
    points = [right_port, (out_x, sy), (out_x, channel), (back_x, channel), (back_x, ty), entry]
    return _tidy(points), "right"
