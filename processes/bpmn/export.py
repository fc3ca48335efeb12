"""MapData -> BPMN 2.0 XML bytes, with diagram coordinates from the swimlane layout.

The coordinates are the ones our own SVG uses (processes.render.layout), moved so that the
pool's and each lane's title strip sit where BPMN tools draw them (30 px each, on the left).
Same data gives the same bytes: ids come from the keys, numbers are whole or fixed-point,
and nothing depends on dict order or the clock.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal

from processes.bpmn.names import (
    BPMN_NS,
    BPMNDI_NS,
    DC_NS,
    DI_NS,
    ELEMENT_FOR_KIND,
    EXPORTER,
    EXPORTER_VERSION,
    NVQ_NS,
    STEP_ATTRIBUTES,
    TARGET_NAMESPACE,
    XSI_NS,
)
from processes.diagram import MapData, StepData
from processes.render.layout import NO_LANE_KEY, Layout, NodeBox, layout_swimlane
from processes.render.text import text_width

# bpmn.io and Camunda Modeler draw a pool's name, and each lane's, in a 30 px strip.
TITLE_STRIP = 30
# BPMN tools draw events as 36 px circles and gateways as 50 px diamonds, with the name
# outside the shape; our layout's boxes are larger because our SVG writes names inside.
COMPACT_SIZE = {"start": 36, "end": 36, "wait": 36, "decision": 50}
LABEL_GAP = 6
MIN_POOL_HEIGHT = 100
LABEL_SIZE = 10
LABEL_LINE = 12
# Characters XML 1.0 cannot hold at all, even escaped.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
NOT_NCNAME = re.compile(r"[^A-Za-z0-9_.-]")


def export_bpmn(data: MapData) -> bytes:
    """The map as a BPMN 2.0 file (UTF-8, with an XML declaration) that bpmn.io opens."""
    layout = layout_swimlane(data)
    ids = _Ids(data, layout)
    definitions = _element(
        "bpmn:definitions",
        {
            "xmlns:bpmn": BPMN_NS,
            "xmlns:bpmndi": BPMNDI_NS,
            "xmlns:dc": DC_NS,
            "xmlns:di": DI_NS,
            "xmlns:xsi": XSI_NS,
            "xmlns:nvq": NVQ_NS,
            "id": "Definitions_1",
            "targetNamespace": TARGET_NAMESPACE,
            "exporter": EXPORTER,
            "exporterVersion": EXPORTER_VERSION,
        },
    )
    collaboration = _child(definitions, "bpmn:collaboration", id="Collaboration_1")
    _child(
        collaboration,
        "bpmn:participant",
        id="Participant_1",
        name=data.title,
        processRef="Process_1",
    )
    _write_process(definitions, data, layout, ids)
    _write_diagram(definitions, data, layout, ids)
    ET.indent(definitions, space="  ")
    body = ET.tostring(definitions, encoding="unicode")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode() + b"\n"


class _Ids:
    """XML ids for lanes, steps and flows: NCNames made from the keys, unique in the file."""

    def __init__(self, data: MapData, layout: Layout):
        used = {
            "Definitions_1",
            "Collaboration_1",
            "Participant_1",
            "Process_1",
            "LaneSet_1",
            "BPMNDiagram_1",
            "BPMNPlane_1",
        }
        self.lane = {lane.key: _ncname("Lane_", lane.key or "none", used) for lane in layout.lanes}
        self.step = {step.key: _ncname("Step_", step.key, used) for step in data.steps}
        self.flows = [
            (flow, _ncname("Flow_", str(number), used))
            for number, flow in enumerate(data.flows, start=1)
            if flow.source in self.step and flow.target in self.step
        ]


def _ncname(prefix: str, key: str, used: set[str]) -> str:
    """``prefix + key`` made a valid NCName; a key that already has the prefix keeps it, so
    a map imported from our own file exports with the same ids again."""
    cleaned = NOT_NCNAME.sub("_", key)
    base = cleaned if cleaned.startswith(prefix) else prefix + cleaned
    candidate, number = base, 2
    while candidate in used:
        candidate = f"{base}_{number}"
        number += 1
    used.add(candidate)
    return candidate


def _write_process(definitions: ET.Element, data: MapData, layout: Layout, ids: _Ids) -> None:
    process = _child(
        definitions, "bpmn:process", id="Process_1", name=data.title, isExecutable="false"
    )
    lane_set = _child(process, "bpmn:laneSet", id="LaneSet_1")
    lane_of = _lane_of(data)
    for lane in layout.lanes:
        lane_element = _child(lane_set, "bpmn:lane", id=ids.lane[lane.key], name=lane.name)
        for step in data.steps:
            if lane_of[step.key] == lane.key:
                _child(lane_element, "bpmn:flowNodeRef").text = ids.step[step.key]

    incoming: dict[str, list[str]] = {step.key: [] for step in data.steps}
    outgoing: dict[str, list[str]] = {step.key: [] for step in data.steps}
    for flow, flow_id in ids.flows:
        outgoing[flow.source].append(flow_id)
        incoming[flow.target].append(flow_id)

    for step in data.steps:
        node = _child(process, f"bpmn:{ELEMENT_FOR_KIND[step.kind]}", id=ids.step[step.key])
        node.set("name", _clean(step.label))
        extensions = _child(node, "bpmn:extensionElements")
        _child(extensions, "nvq:step", **_step_attributes(step))
        for flow_id in incoming[step.key]:
            _child(node, "bpmn:incoming").text = flow_id
        for flow_id in outgoing[step.key]:
            _child(node, "bpmn:outgoing").text = flow_id
        if step.kind == "wait":
            timer = _child(node, "bpmn:timerEventDefinition", id=f"{ids.step[step.key]}_timer")
            if step.wait_minutes > 0:
                duration = _child(
                    timer, "bpmn:timeDuration", **{"xsi:type": "bpmn:tFormalExpression"}
                )
                duration.text = f"PT{_decimal(step.wait_minutes)}M"

    for flow, flow_id in ids.flows:
        attributes = {"id": flow_id}
        if flow.condition:
            attributes["name"] = flow.condition
        attributes["sourceRef"] = ids.step[flow.source]
        attributes["targetRef"] = ids.step[flow.target]
        _child(process, "bpmn:sequenceFlow", **attributes)


def _lane_of(data: MapData) -> dict[str, str]:
    """Each step's lane key; a step whose lane is missing goes where the layout draws it."""
    known = {lane.key for lane in data.lanes}
    return {step.key: step.lane if step.lane in known else NO_LANE_KEY for step in data.steps}


def _step_attributes(step: StepData) -> dict[str, str]:
    attributes = {}
    for attribute, field_name in STEP_ATTRIBUTES:
        value = getattr(step, field_name)
        if isinstance(value, bool):
            attributes[attribute] = "true" if value else "false"
        elif isinstance(value, Decimal):
            attributes[attribute] = _decimal(value)
        else:
            attributes[attribute] = value
    return attributes


def _write_diagram(definitions: ET.Element, data: MapData, layout: Layout, ids: _Ids) -> None:
    # Our lanes start at x = 0 with a wide title column; BPMN tools want a 30 px pool strip,
    # then each lane's own 30 px strip, then the steps.
    shift = 2 * TITLE_STRIP - layout.lane_header_width
    diagram = _child(definitions, "bpmndi:BPMNDiagram", id="BPMNDiagram_1")
    plane = _child(diagram, "bpmndi:BPMNPlane", id="BPMNPlane_1", bpmnElement="Collaboration_1")
    lanes_width = layout.width - layout.lane_header_width + TITLE_STRIP
    pool_height = max(layout.height, MIN_POOL_HEIGHT)  # an empty map still shows a pool
    _shape(plane, "Participant_1", (0, 0, TITLE_STRIP + lanes_width, pool_height), True)
    for lane in layout.lanes:
        bounds = (TITLE_STRIP, lane.y, lanes_width, lane.height)
        _shape(plane, ids.lane[lane.key], bounds, True)

    for step in data.steps:
        box = layout.nodes[step.key]
        shape = _shape(plane, ids.step[step.key], _node_bounds(box, shift))
        if step.kind == "decision":
            shape.set("isMarkerVisible", "true")
        if step.kind in COMPACT_SIZE:
            _outside_label(shape, box, shift)

    paths: dict[tuple[str, str], list] = {}
    for edge in layout.edges:
        paths.setdefault((edge.source, edge.target), []).append(edge)
    for flow, flow_id in ids.flows:
        source, target = layout.nodes[flow.source], layout.nodes[flow.target]
        found = paths.get((flow.source, flow.target))
        edge = found.pop(0) if found else None
        if edge is not None and len(edge.points) >= 2:
            points = [(x + shift, y) for x, y in edge.points]
        else:  # the layout draws no arrow for it (it should); a straight line still shows it
            points = [_center(source, shift), _center(target, shift)]
        first = points[0]
        points[0] = _onto_shape(points[0], points[1], source, shift)
        points[-1] = _onto_shape(points[-1], points[-2], target, shift)
        edge_element = _child(plane, "bpmndi:BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id)
        for x, y in points:
            _child(edge_element, "di:waypoint", x=_number(x), y=_number(y))
        if flow.condition and edge is not None:
            width = text_width(flow.condition, LABEL_SIZE) + 2
            # The label keeps its place beside the arrow's start, which may have moved.
            moved_x, moved_y = points[0][0] - first[0], points[0][1] - first[1]
            left, top = edge.label_x + shift + moved_x, edge.label_y - LABEL_SIZE + moved_y
            bounds = (left, top, width, LABEL_LINE + 2)
            _bounds(_child(edge_element, "bpmndi:BPMNLabel"), bounds)


def _node_bounds(box: NodeBox, shift: float) -> tuple[float, float, float, float]:
    size = COMPACT_SIZE.get(box.kind)
    if size:
        cx, cy = _center(box, shift)
        return cx - size / 2, cy - size / 2, size, size
    return box.x + shift, box.y, box.width, box.height


def _center(box: NodeBox, shift: float) -> tuple[float, float]:
    cx, cy = box.center
    return cx + shift, cy


def _onto_shape(end, neighbour, box: NodeBox, shift: float):
    """Move an arrow's end from the layout's box onto the smaller event or gateway, along
    the arrow's own (horizontal or vertical) end segment, so it stays orthogonal."""
    if box.kind not in COMPACT_SIZE:
        return end
    cx, cy = _center(box, shift)
    half = COMPACT_SIZE[box.kind] / 2
    x, y = end
    if y == neighbour[1] and y == cy:
        return (cx - half if neighbour[0] < x else cx + half), y
    if x == neighbour[0] and x == cx:
        return x, (cy - half if neighbour[1] < y else cy + half)
    return end


def _outside_label(shape: ET.Element, box: NodeBox, shift: float) -> None:
    """Where BPMN tools write the name: below an event; above and left of a gateway, clear
    of the branch labels, which start just right of the arrows leaving its corners."""
    lines = box.label_lines or ("",)
    width = max(text_width(line, LABEL_SIZE) for line in lines) + 2
    height = len(lines) * LABEL_LINE + 2
    cx, cy = _center(box, shift)
    half = COMPACT_SIZE[box.kind] / 2
    if box.kind == "decision":
        bounds = (cx - LABEL_GAP - width, cy - half - LABEL_GAP - height, width, height)
    else:
        bounds = (cx - width / 2, cy + half + LABEL_GAP, width, height)
    _bounds(_child(shape, "bpmndi:BPMNLabel"), bounds)


def _shape(plane, element_id: str, bounds, horizontal: bool = False) -> ET.Element:
    shape = _child(plane, "bpmndi:BPMNShape", id=f"{element_id}_di", bpmnElement=element_id)
    if horizontal:
        shape.set("isHorizontal", "true")
    _bounds(shape, bounds)
    return shape


def _bounds(parent: ET.Element, bounds) -> None:
    x, y, width, height = bounds
    _child(
        parent,
        "dc:Bounds",
        x=_number(x),
        y=_number(y),
        width=_number(width),
        height=_number(height),
    )


def _number(value: float) -> str:
    """Whole numbers without a point, others to one decimal place: stable text."""
    rounded = round(float(value), 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}"


def _decimal(value: Decimal) -> str:
    """Plain digits without trailing zeros ("4.00" and "4" both give "4"): the same number
    always gives the same text, whatever precision it was stored with."""
    text = format(value.normalize(), "f")
    return "0" if text in {"-0", ""} else text


def _clean(text: str) -> str:
    return NOT_XML.sub("", text)


def _element(tag: str, attributes: dict[str, str]) -> ET.Element:
    # Tags are written with their prefixes as plain names ("bpmn:task"), and the xmlns
    # declarations as plain attributes: ElementTree then writes exactly these prefixes
    # without touching its process-wide namespace registry.
    return ET.Element(tag, {name: _clean(str(value)) for name, value in attributes.items()})


def _child(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    element = _element(tag, attributes)
    parent.append(element)
    return element
