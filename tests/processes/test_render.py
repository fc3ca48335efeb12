"""The SVG renderers and the swimlane layout.

Golden files: tests/processes/golden/<example>_<technique>.svg hold the expected bytes for
processes.examples.CURRENT and FUTURE. After a deliberate change to the drawing, look at the
new pictures, then regenerate the files with

    UPDATE_GOLDEN=1 .venv/bin/python -m pytest -p no:cacheprovider tests/processes/test_render.py

and review the diff of the golden files before committing them.
"""

import base64
import io
import os
from dataclasses import replace
from decimal import Decimal as D
from itertools import combinations
from pathlib import Path

import pytest
from defusedxml import ElementTree as ET
from pypdf import PdfReader
from weasyprint import HTML

from processes.diagram import CauseData, FlowData, LaneData, MapData, SipocRowData, StepData
from processes.examples import CURRENT, FUTURE
from processes.flowgraph import analyse
from processes.models import Technique
from processes.render import technique_svg
from processes.render.layout import layout_swimlane
from processes.render.text import text_width, wrap

GOLDEN = Path(__file__).parent / "golden"
SVG = "{http://www.w3.org/2000/svg}"
ALLOWED_TAGS = {
    "svg", "g", "rect", "path", "circle", "line", "polygon", "text", "tspan", "title", "desc",
}  # fmt: skip
EXAMPLES = {"current": CURRENT, "future": FUTURE}
TECHNIQUES = [technique.value for technique in Technique]
HOSTILE = '<script>alert(1)</script> & "x"'


def step(key, kind="task", lane="a", **fields):
    fields.setdefault("label", f"Step {key}")
    return StepData(key=key, lane=lane, kind=kind, **fields)


# A busier map than the examples: three lanes, a skip over columns, two loops back
# (one across lanes), a wait, a decision with three branches and stacked steps.
BUSY = MapData(
    title="Busy map",
    lanes=(LaneData("a", "Alpha team"), LaneData("b", "Beta"), LaneData("c", "Gamma desk")),
    steps=(
        step("s", "start", label="Request arrives"),
        step("t1", label="Check request details against the policy and the customer record"),
        step("d", "decision", lane="b", label="Complete?"),
        step("w", "wait", lane="b", label="Wait for reply", wait_minutes=D(60)),
        step("t2", lane="c", label="Process", value_class="va", customer_touchpoint=True),
        step("t3", lane="c", label="Escalate"),
        step("t4", lane="b", label="Quality check"),
        step("e", "end", lane="a", label="Done"),
    ),
    flows=(
        FlowData("s", "t1"),
        FlowData("t1", "d"),
        FlowData("d", "t2", "Yes"),
        FlowData("d", "w", "No"),
        FlowData("d", "t3", "Unclear"),
        FlowData("w", "t1", "Reply received"),
        FlowData("t2", "t4"),
        FlowData("t3", "e"),
        FlowData("t4", "t2", "Fails"),
        FlowData("t4", "e"),
        FlowData("s", "e", "Withdrawn"),
    ),
)


def render(data, technique):
    return technique_svg(data, technique)


@pytest.mark.parametrize("technique", TECHNIQUES)
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_golden_files(name, technique):
    svg = render(EXAMPLES[name], technique)
    golden = GOLDEN / f"{name}_{technique}.svg"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        golden.write_text(svg, encoding="utf-8")
    assert golden.exists(), f"{golden.name} is missing: run with UPDATE_GOLDEN=1"
    assert svg == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("technique", TECHNIQUES)
def test_same_data_gives_same_bytes(technique):
    # A copy built from scratch (new objects, same content) must draw identically.
    rebuilt = MapData(
        title=str(CURRENT.title),
        subtitle=str(CURRENT.subtitle),
        lanes=tuple(LaneData(lane.key, lane.name) for lane in CURRENT.lanes),
        steps=tuple(StepData(**vars(s)) for s in CURRENT.steps),
        flows=tuple(FlowData(**vars(f)) for f in CURRENT.flows),
        sipoc=tuple(SipocRowData(**vars(r)) for r in CURRENT.sipoc),
        causes=tuple(CauseData(**vars(c)) for c in CURRENT.causes),
        kpis=CURRENT.kpis,
        effect=str(CURRENT.effect),
    )
    assert render(CURRENT, technique) == render(CURRENT, technique) == render(rebuilt, technique)


def all_svgs():
    empty = MapData(title="Nothing yet")
    for data in (CURRENT, FUTURE, BUSY, empty, hostile_map()):
        for technique in TECHNIQUES:
            yield technique, render(data, technique)


def test_every_svg_is_well_formed_plain_svg():
    for technique, svg in all_svgs():
        root = ET.fromstring(svg)
        assert root.tag == f"{SVG}svg", technique
        assert {"width", "height", "viewBox"} <= set(root.attrib)
        assert root.attrib["viewBox"] == f"0 0 {root.attrib['width']} {root.attrib['height']}"
        assert root.attrib["font-family"] == "DejaVu Sans"
        assert root.find(f"{SVG}title").text
        for element in root.iter():
            assert element.tag.startswith(SVG), element.tag
            assert element.tag.removeprefix(SVG) in ALLOWED_TAGS, (technique, element.tag)
            for attribute, value in element.attrib.items():
                assert "href" not in attribute
                assert attribute != "style" and not attribute.startswith("on")
                assert "url(" not in value and "javascript:" not in value


def hostile_map():
    return MapData(
        title=HOSTILE,
        subtitle=HOSTILE,
        lanes=(LaneData("a", HOSTILE),),
        steps=(
            step("s", "start", label=HOSTILE, customer_touchpoint=True),
            step(
                "t",
                label=HOSTILE,
                inputs=HOSTILE,
                outputs=HOSTILE,
                process_minutes=D(5),
                wait_minutes=D(5),
            ),
            step("d", "decision", label=HOSTILE),
            step("e", "end", label=HOSTILE),
        ),
        flows=(FlowData("s", "t"), FlowData("t", "d"), FlowData("d", "e", HOSTILE)),
        sipoc=(SipocRowData(HOSTILE, HOSTILE, HOSTILE, HOSTILE, HOSTILE),),
        causes=(CauseData("people", HOSTILE), CauseData(HOSTILE, HOSTILE)),
        effect=HOSTILE,
    )


@pytest.mark.parametrize("technique", TECHNIQUES)
def test_user_text_is_escaped(technique):
    svg = render(hostile_map(), technique)
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    root = ET.fromstring(svg)
    # The title is the first line of text; what the reader sees is the text as typed.
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert HOSTILE in texts


def test_empty_data_draws_a_placeholder():
    empty = MapData(title="New map", subtitle="Version 1")
    for technique in TECHNIQUES:
        svg = render(empty, technique)
        assert "Nothing to draw yet" in svg
        assert ET.fromstring(svg).find(f"{SVG}title").text.endswith("New map")


def test_unknown_technique_is_refused():
    with pytest.raises(ValueError, match="No renderer"):
        technique_svg(CURRENT, "gantt")


@pytest.mark.parametrize("data", [CURRENT, FUTURE, BUSY], ids=["current", "future", "busy"])
def test_swimlane_layout_geometry(data):
    layout = layout_swimlane(data)
    lanes = {lane.key: lane for lane in layout.lanes}
    steps = {s.key: s for s in data.steps}
    assert list(layout.nodes) == [s.key for s in data.steps]

    # Lanes are full width, stacked without gaps, top to bottom in lane order.
    assert [lane.key for lane in layout.lanes] == [lane.key for lane in data.lanes]
    y = 0
    for lane in layout.lanes:
        assert (lane.x, lane.y, lane.width) == (0, y, layout.width)
        y += lane.height
    assert y == layout.height

    for key, node in layout.nodes.items():
        lane = lanes[steps[key].lane]
        left, top, right, bottom = node.extent()
        assert lane.y <= top and bottom <= lane.y + lane.height, key
        assert layout.lane_header_width <= left and right <= layout.width, key

    for first, second in combinations(layout.nodes.values(), 2):
        a, b = first.extent(), second.extent()
        apart = a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1]
        assert apart, (first.key, second.key)

    assert len(layout.edges) == len(data.flows)
    for edge in layout.edges:
        assert len(edge.points) >= 2
        for (x1, y1), (x2, y2) in zip(edge.points, edge.points[1:], strict=False):
            assert x1 == x2 or y1 == y2, edge
        # An arrow touches only its own two steps' boxes.
        for key, node in layout.nodes.items():
            if key in (edge.source, edge.target):
                continue
            left, top, right, bottom = node.extent()
            for (x1, y1), (x2, y2) in zip(edge.points, edge.points[1:], strict=False):
                crosses = (
                    min(x1, x2) < right and max(x1, x2) > left
                    and min(y1, y2) < bottom and max(y1, y2) > top
                )  # fmt: skip
                assert not crosses, (edge.source, edge.target, key)
        # It starts on the source's outline and ends on the target's left side.
        source, target = layout.nodes[edge.source], layout.nodes[edge.target]
        first_x, first_y = edge.points[0]
        assert source.x <= first_x <= source.x + source.width
        assert source.y <= first_y <= source.y + source.height
        assert edge.points[-1] == (target.x, target.y + target.height / 2)
        # Condition labels sit by the start of their arrow: by its first point or, when
        # another arrow leaves from the same point, by its first vertical run.
        lead = edge.points[:3]
        xs, ys = [x for x, _ in lead], [y for _, y in lead]
        assert min(xs) - 10 <= edge.label_x <= max(xs) + 10, edge
        assert min(ys) - 16 <= edge.label_y <= max(ys) + 16, edge


def test_layout_layers_left_to_right_with_loops_set_aside():
    layout = layout_swimlane(BUSY)
    graph = analyse(BUSY)
    loops = {(BUSY.flows[i].source, BUSY.flows[i].target) for i in graph.loop_flows}
    assert loops == {("w", "t1"), ("t4", "t2")}
    for flow in BUSY.flows:
        source, target = layout.nodes[flow.source], layout.nodes[flow.target]
        if (flow.source, flow.target) in loops:
            assert target.x <= source.x
        else:
            assert target.x > source.x


def test_loops_are_dashed_in_the_swimlane():
    root = ET.fromstring(render(BUSY, "swimlane"))
    dashed = [p for p in root.iter(f"{SVG}path") if p.get("stroke-dasharray")]
    assert len(dashed) == 2 + 1  # two loop arrows and the legend's sample


def test_customer_touchpoints_are_marked_and_explained():
    svg = render(CURRENT, "swimlane")
    root = ET.fromstring(svg)
    stars = [p for p in root.iter(f"{SVG}polygon") if p.get("fill") == "#1f5fa8"]
    touchpoints = sum(1 for s in CURRENT.steps if s.customer_touchpoint)
    assert len(stars) == touchpoints + 1  # one per touchpoint, one in the legend
    texts = {element.text for element in root.iter(f"{SVG}text")}
    assert {"Customer touchpoint", "Value-added", "Non-value-added", "VA", "NVA"} <= texts


def test_value_stream_shows_the_figures():
    root = ET.fromstring(render(CURRENT, "value_stream"))
    texts = [element.text for element in root.iter(f"{SVG}text")]
    # 4405 min = 3 days (4320) + 1 h (60) + 25 min; PCE 60 / 4405 = 1.4%.
    assert "3 d 1 h 25 min" in texts
    assert "1.4%" in texts
    assert "wait 2 d" in texts  # investigate waits 2880 min
    # Start and end carry no time and are left out of the timeline.
    assert "Customer complains" not in texts


def test_fishbone_has_a_bone_per_category():
    root = ET.fromstring(render(CURRENT, "fishbone"))
    texts = [element.text for element in root.iter(f"{SVG}text")]
    for label in ("People", "Process (methods)", "Equipment and systems", "Measurement"):
        assert label in texts
    assert "Materials and information" not in texts  # no causes in that category
    assert "Complaints take three" in texts  # the effect, wrapped in the head


def test_sipoc_has_the_five_headings_and_every_cell():
    root = ET.fromstring(render(CURRENT, "sipoc"))
    texts = [element.text for element in root.iter(f"{SVG}text")]
    headings = ["Suppliers", "Inputs", "Process", "Outputs", "Customers"]
    assert [t for t in texts if t in headings][:5] == headings
    for row in CURRENT.sipoc:
        for cell in vars(row).values():
            assert cell in texts


def test_wrap_keeps_lines_within_width_and_marks_cuts():
    text = "Check request details against the policy and an extraordinarilylongwordindeed"
    lines = wrap(text, 11, 120, max_lines=3)
    assert len(lines) == 3
    assert all(text_width(line, 11) <= 120 for line in lines)
    assert lines[-1].endswith("\u2026")
    assert wrap("Short", 11, 120) == ("Short",)
    # DejaVu Sans: "M" is wider than "i" (real metrics, not a fixed width per character).
    assert text_width("M", 10) > 2 * text_width("i", 10)


@pytest.mark.parametrize("technique", TECHNIQUES)
def test_weasyprint_prints_each_svg(technique):
    svg = render(CURRENT, technique)
    data_uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    html = (
        "<html><head><style>@page { size: A4 landscape; margin: 10mm } img { width: 100% }"
        f'</style></head><body><img src="{data_uri}" alt="diagram"></body></html>'
    )
    pdf = HTML(string=html).write_pdf()
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    # The SVG's text made it into the PDF as text (drawn by WeasyPrint, not dropped).
    assert "Complaint handling" in text
    expected = {
        "swimlane": "Front-line",
        "sipoc": "Suppliers",
        "value_stream": "Totals along the main path",
        "fishbone": "Measurement",
    }[technique]
    assert expected in text


def segments(edge):
    return list(zip(edge.points, edge.points[1:], strict=False))


def crosses(first, second):
    """A horizontal and a vertical segment meeting strictly inside both."""
    for (a1, a2), (b1, b2) in ((first, second), (second, first)):
        if a1[1] == a2[1] and b1[0] == b2[0]:  # a horizontal, b vertical
            x, y = b1[0], a1[1]
            inside_a = min(a1[0], a2[0]) < x < max(a1[0], a2[0])
            inside_b = min(b1[1], b2[1]) < y < max(b1[1], b2[1])
            if inside_a and inside_b:
                return True
    return False


def test_arrows_joining_at_one_step_nest_instead_of_crossing():
    # In the future state both "Resolve on the call" and "Investigate and call customer"
    # go up to "Complaint closed" through the same corridor.
    layout = layout_swimlane(FUTURE)
    into_end = [edge for edge in layout.edges if edge.target == "end"]
    assert len(into_end) == 2
    for first, second in combinations(layout.edges, 2):
        for a in segments(first):
            for b in segments(second):
                assert not crosses(a, b), (first.source, first.target, second.source)


@pytest.mark.parametrize("technique", Technique.values)
def test_a_long_title_is_cut_to_the_drawing_width(technique):
    data = replace(CURRENT, title="Complaint handling " * 9)
    root = ET.fromstring(render(data, technique))
    width = float(root.get("width"))
    title = next(
        element
        for element in root.iter(f"{SVG}text")
        if "".join(element.itertext()).startswith("Complaint handling")
    )
    drawn = text_width("".join(title.itertext()), float(title.get("font-size")), bold=True)
    assert float(title.get("x")) + drawn <= width
