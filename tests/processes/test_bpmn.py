"""BPMN 2.0 export and import (processes/bpmn): round trips, diagram interchange, files from
other tools, and hostile input. Pure functions of MapData: no database."""

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import replace
from decimal import Decimal as D
from pathlib import Path

import pytest
from defusedxml.ElementTree import fromstring as defused_fromstring

from processes.bpmn import (
    MAX_BPMN_BYTES,
    MAX_FLOW_NODES,
    BpmnImportError,
    export_bpmn,
    import_bpmn,
)
from processes.diagram import FlowData, LaneData, MapData, StepData
from processes.examples import CURRENT, FUTURE

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
DC = "{http://www.omg.org/spec/DD/20100524/DC}"
DI = "{http://www.omg.org/spec/DD/20100524/DI}"
NVQ = "{https://nvq-portfolio.example/bpmn/1.0}"
FLOW_NODE_TAGS = {BPMN + name for name in ("startEvent", "endEvent", "task")} | {
    BPMN + "exclusiveGateway",
    BPMN + "intermediateCatchEvent",
}
NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "var" / "node" / "node_modules"
MODDLE_CHECK = Path(__file__).with_name("bpmn_moddle_check.mjs")
MODDLE_INSTALL = (
    "npm install --prefix var/node --no-audit --no-fund --save-exact bpmn-moddle@10.3.1"
)

# A rework loop (check -> fix -> check again), a wait, awkward keys and text that needs
# escaping: what the examples do not cover.
REWORK = MapData(
    title="Refund <requests> & \"quick\" fixes — £",
    lanes=(LaneData("1", "Customer"), LaneData("desk team", "Help desk")),
    steps=(
        StepData("a b", "1", "start", "Asks for a refund", customer_touchpoint=True),
        StepData("2", "desk team", "task", "Check the claim", inputs="Receipt & form",
                 outputs="Checked claim", value_class="va", process_minutes=D("12.50"),
                 wait_minutes=D(30), percent_complete_accurate=D("87.5"), cost=D("5.25")),
        StepData("3", "desk team", "decision", "Claim complete?", process_minutes=D(1)),
        StepData("4", "1", "task", "Send missing details", customer_touchpoint=True,
                 value_class="nva", process_minutes=D(5), wait_minutes=D(1440)),
        StepData("5", "desk team", "wait", "Wait for bank run", wait_minutes=D(720),
                 value_class="nva"),
        StepData("6", "1", "end", "Refund received", customer_touchpoint=True),
    ),
    flows=(
        FlowData("a b", "2"),
        FlowData("2", "3"),
        FlowData("3", "5", "Yes"),
        FlowData("3", "4", "No: ask again"),
        FlowData("4", "2"),  # the rework loop
        FlowData("5", "6"),
    ),
)  # fmt: skip
MAPS = pytest.mark.parametrize(
    "data", [CURRENT, FUTURE, REWORK], ids=["current", "future", "rework"]
)


def map_content(data: MapData):
    """A map's content without its keys: lanes by order and name, steps by lane name, label
    and fields, flows by their ends' labels and condition."""
    lane_name = {lane.key: lane.name for lane in data.lanes}
    label = {step.key: step.label for step in data.steps}
    return {
        "title": data.title,
        "lanes": [lane.name for lane in data.lanes],
        "steps": [
            (
                lane_name[step.lane],
                step.kind,
                step.label,
                step.inputs,
                step.outputs,
                step.customer_touchpoint,
                step.value_class,
                step.process_minutes,
                step.wait_minutes,
                step.percent_complete_accurate,
                step.cost,
            )
            for step in data.steps
        ],
        "flows": [(label[flow.source], label[flow.target], flow.condition) for flow in data.flows],
    }


def parse(raw: bytes) -> ET.Element:
    return defused_fromstring(raw)


# -- round trip ------------------------------------------------------------------------------


@MAPS
def test_export_then_import_gives_the_same_map(data):
    result = import_bpmn(export_bpmn(data))

    assert map_content(result.data) == map_content(data)
    assert result.report == ()


@MAPS
def test_exporting_an_imported_export_gives_the_same_bytes(data):
    exported = export_bpmn(data)

    assert export_bpmn(import_bpmn(exported).data) == exported


def test_map_content_sees_a_changed_field():
    # The comparison the round trip relies on must notice a difference.
    steps = (CURRENT.steps[0], replace(CURRENT.steps[1], cost=D("4.01")), *CURRENT.steps[2:])
    changed = replace(CURRENT, steps=steps)

    assert map_content(changed) != map_content(CURRENT)


def test_title_argument_names_the_imported_map():
    result = import_bpmn(export_bpmn(CURRENT), title="  My   complaints map ")

    assert result.data.title == "My complaints map"


# -- what the export contains ----------------------------------------------------------------


def test_export_is_utf8_bpmn_with_the_expected_namespaces_and_header():
    raw = export_bpmn(CURRENT)

    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    root = parse(raw)
    assert root.tag == BPMN + "definitions"
    assert root.get("exporter") == "NVQ Portfolio"
    assert root.get("targetNamespace")
    text = raw.decode("utf-8")
    for prefix, uri in {
        "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
        "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
        "dc": "http://www.omg.org/spec/DD/20100524/DC",
        "di": "http://www.omg.org/spec/DD/20100524/DI",
    }.items():
        assert f'xmlns:{prefix}="{uri}"' in text


def test_export_has_a_pool_lanes_and_an_element_for_each_kind():
    root = parse(export_bpmn(REWORK))

    participants = root.findall(f"{BPMN}collaboration/{BPMN}participant")
    processes = root.findall(f"{BPMN}process")
    assert len(participants) == 1 and len(processes) == 1
    process = processes[0]
    assert participants[0].get("processRef") == process.get("id")
    assert participants[0].get("name") == REWORK.title
    lanes = process.findall(f"{BPMN}laneSet/{BPMN}lane")
    assert [lane.get("name") for lane in lanes] == ["Customer", "Help desk"]
    refs = {
        lane.get("name"): [r.text for r in lane.findall(f"{BPMN}flowNodeRef")] for lane in lanes
    }
    by_id = {node.get("id"): node for node in process if node.tag in FLOW_NODE_TAGS}
    assert [by_id[ref].get("name") for ref in refs["Customer"]] == [
        "Asks for a refund",
        "Send missing details",
        "Refund received",
    ]
    assert [node.tag.removeprefix(BPMN) for node in by_id.values()] == [
        "startEvent",
        "task",
        "exclusiveGateway",
        "task",
        "intermediateCatchEvent",
        "endEvent",
    ]
    wait = process.find(f"{BPMN}intermediateCatchEvent")
    assert wait.find(f"{BPMN}timerEventDefinition/{BPMN}timeDuration").text == "PT720M"
    check = next(node for node in by_id.values() if node.get("name") == "Check the claim")
    ours = check.find(f"{BPMN}extensionElements/{NVQ}step")
    assert ours.attrib == {
        "inputs": "Receipt & form",
        "outputs": "Checked claim",
        "customerTouchpoint": "false",
        "valueClass": "va",
        "processMinutes": "12.5",
        "waitMinutes": "30",
        "percentCompleteAccurate": "87.5",
        "cost": "5.25",
    }


def test_sequence_flows_carry_conditions_and_nodes_list_their_flows():
    root = parse(export_bpmn(CURRENT))
    process = root.find(f"{BPMN}process")
    names = {node.get("id"): node.get("name") for node in process if node.tag in FLOW_NODE_TAGS}

    flows = process.findall(f"{BPMN}sequenceFlow")
    described = [
        (names[f.get("sourceRef")], names[f.get("targetRef")], f.get("name")) for f in flows
    ]
    assert ("Can the adviser resolve it?", "Resolve on the call", "Yes") in described
    assert ("Can the adviser resolve it?", "Email to complaints team", "No") in described
    assert len(flows) == len(CURRENT.flows)
    for node in process:
        if node.tag in FLOW_NODE_TAGS:
            outgoing = [o.text for o in node.findall(f"{BPMN}outgoing")]
            incoming = [i.text for i in node.findall(f"{BPMN}incoming")]
            assert outgoing == [f.get("id") for f in flows if f.get("sourceRef") == node.get("id")]
            assert incoming == [f.get("id") for f in flows if f.get("targetRef") == node.get("id")]


def _bounds(shape) -> tuple[float, float, float, float]:
    bounds = shape.find(f"{DC}Bounds")
    return tuple(float(bounds.get(name)) for name in ("x", "y", "width", "height"))


def _inside(point, bounds, slack=1.0) -> bool:
    x, y = point
    left, top, width, height = bounds
    return left - slack <= x <= left + width + slack and top - slack <= y <= top + height + slack


@MAPS
def test_diagram_interchange_places_every_node_in_its_lane_and_every_flow_as_an_edge(data):
    root = parse(export_bpmn(data))
    process = root.find(f"{BPMN}process")
    collaboration = root.find(f"{BPMN}collaboration")
    plane = root.find(f"{BPMNDI}BPMNDiagram/{BPMNDI}BPMNPlane")
    assert plane.get("bpmnElement") == collaboration.get("id")
    shapes = {s.get("bpmnElement"): s for s in plane.findall(f"{BPMNDI}BPMNShape")}
    edges = {e.get("bpmnElement"): e for e in plane.findall(f"{BPMNDI}BPMNEdge")}

    pool = shapes[collaboration.find(f"{BPMN}participant").get("id")]
    assert pool.get("isHorizontal") == "true"
    pool_box = _bounds(pool)
    for lane in process.findall(f"{BPMN}laneSet/{BPMN}lane"):
        lane_shape = shapes[lane.get("id")]
        assert lane_shape.get("isHorizontal") == "true"
        lane_box = _bounds(lane_shape)
        assert _inside(lane_box[:2], pool_box, 0)
        assert _inside((lane_box[0] + lane_box[2], lane_box[1] + lane_box[3]), pool_box, 0)
        for ref in lane.findall(f"{BPMN}flowNodeRef"):
            x, y, width, height = _bounds(shapes[ref.text])
            assert width > 0 and height > 0
            assert _inside((x, y), lane_box, 0) and _inside((x + width, y + height), lane_box, 0)

    nodes = [node for node in process if node.tag in FLOW_NODE_TAGS]
    assert len(nodes) == len(data.steps)
    assert all(node.get("id") in shapes for node in nodes)
    flows = process.findall(f"{BPMN}sequenceFlow")
    assert len(flows) == len(data.flows)
    for flow in flows:
        waypoints = edges[flow.get("id")].findall(f"{DI}waypoint")
        assert len(waypoints) >= 2
        points = [(float(w.get("x")), float(w.get("y"))) for w in waypoints]
        # The arrow starts on its source and ends on its target, in straight runs.
        assert _inside(points[0], _bounds(shapes[flow.get("sourceRef")]))
        assert _inside(points[-1], _bounds(shapes[flow.get("targetRef")]))
        for (x1, y1), (x2, y2) in itertools.pairwise(points):
            assert x1 == x2 or y1 == y2


def test_every_id_is_an_ncname_and_unique_and_every_reference_resolves():
    raw = export_bpmn(REWORK)
    root = parse(raw)
    ids = [element.get("id") for element in root.iter() if element.get("id") is not None]

    assert all(NCNAME.match(element_id) for element_id in ids), ids
    assert len(ids) == len(set(ids))
    for element in root.iter():
        for name in ("processRef", "sourceRef", "targetRef", "bpmnElement"):
            if element.get(name) is not None:
                assert element.get(name) in ids
        if element.tag in {BPMN + "flowNodeRef", BPMN + "incoming", BPMN + "outgoing"}:
            assert element.text in ids


def test_a_step_in_an_unknown_lane_still_exports_and_comes_back():
    # Not a map the editor makes, but the export must not lose or invent anything for it.
    odd = MapData(
        title="Odd",
        lanes=(LaneData("a", "Desk"),),
        steps=(StepData("x", "a", "task", "X"), StepData("y", "ghost", "wait", "Y")),
        flows=(FlowData("x", "y", "then"),),
    )

    result = import_bpmn(export_bpmn(odd))

    assert [lane.name for lane in result.data.lanes] == ["Desk", "(no lane)"]
    assert [(s.label, s.kind) for s in result.data.steps] == [("X", "task"), ("Y", "wait")]
    assert result.data.steps[1].lane == result.data.lanes[1].key
    assert map_content(result.data)["flows"] == [("X", "Y", "then")]
    assert result.report == ()


def test_an_empty_map_exports_an_empty_pool():
    root = parse(export_bpmn(MapData(title="Nothing yet")))

    assert root.find(f"{BPMN}process").findall(f"{BPMN}laneSet/{BPMN}lane") == []
    pool = root.find(f"{BPMNDI}BPMNDiagram/{BPMNDI}BPMNPlane/{BPMNDI}BPMNShape")
    assert _bounds(pool)[3] > 0
    with pytest.raises(BpmnImportError, match="has no steps"):
        import_bpmn(export_bpmn(MapData(title="Nothing yet")))


@MAPS
def test_export_is_deterministic(data):
    assert export_bpmn(data) == export_bpmn(data)


@pytest.mark.parametrize("seed", ["1", "2"])
def test_export_is_the_same_in_another_process(seed):
    # Another interpreter with another hash seed: set or dict order cannot leak into the file.
    script = (
        "import django, sys; django.setup();"
        "from processes.bpmn import export_bpmn; from processes.examples import FUTURE;"
        "sys.stdout.buffer.write(export_bpmn(FUTURE))"
    )
    env = {
        **os.environ,
        "PYTHONHASHSEED": seed,
        "DJANGO_SETTINGS_MODULE": "portfolio_site.test_settings",
    }
    other = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, check=True, env=env, timeout=60
    ).stdout
    assert other == export_bpmn(FUTURE)


def test_export_changes_when_the_map_changes():
    assert export_bpmn(CURRENT) != export_bpmn(FUTURE)


# -- bpmn.io's reader accepts it ---------------------------------------------------------------


def moddle(raw: bytes) -> dict:
    """What bpmn-moddle, the reader inside bpmn.io, makes of ``raw``."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed, so bpmn.io's reader cannot be run")
    if not (NODE_MODULES / "bpmn-moddle").is_dir():
        pytest.skip(f"bpmn-moddle is not installed; run: {MODDLE_INSTALL}")
    completed = subprocess.run(
        ["node", str(MODDLE_CHECK), str(NODE_MODULES)],
        input=raw,
        capture_output=True,
        timeout=60,
        check=True,
    )
    return json.loads(completed.stdout)


@MAPS
def test_bpmn_io_reads_the_export_without_warnings(data):
    result = moddle(export_bpmn(data))

    assert result == {"warnings": [], "error": None, "rootType": "bpmn:Definitions"}


def test_bpmn_io_check_catches_a_broken_export():
    raw = export_bpmn(CURRENT)
    unknown_element = raw.replace(b"<bpmn:task ", b"<bpmn:taskish ", 1).replace(
        b"</bpmn:task>", b"</bpmn:taskish>", 1
    )
    dangling_reference = raw.replace(
        b">Step_log</bpmn:flowNodeRef>", b">Step_gone</bpmn:flowNodeRef>"
    )

    assert any("bpmn:taskish" in w for w in moddle(unknown_element)["warnings"])
    assert moddle(dangling_reference)["warnings"] == ["unresolved reference <Step_gone>"]


def test_bpmn_io_reads_the_camunda_style_sample_without_warnings():
    # The sample below must itself be valid BPMN, or the import test proves little.
    result = moddle(CAMUNDA_SAMPLE.encode())

    assert result == {"warnings": [], "error": None, "rootType": "bpmn:Definitions"}


# -- import from other tools -------------------------------------------------------------------

# Written as Camunda Modeler 5 saves a diagram: its namespaces and ids, the Sales lane drawn
# above Warehouse but saved second, a user task with Camunda properties, a send task, a
# message start and catch event, a data object, an annotation and an empty Supplier pool
# with message flows.
CAMUNDA_SAMPLE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_0fr9mxs" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.17.0" modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.20.0">
  <bpmn:collaboration id="Collaboration_1kq2x4v">
    <bpmn:participant id="Participant_0shop" name="Online shop" processRef="Process_0order" />
    <bpmn:participant id="Participant_1supplier" name="Supplier" />
    <bpmn:messageFlow id="Flow_0msg1" sourceRef="Activity_0order" targetRef="Participant_1supplier" />
    <bpmn:messageFlow id="Flow_0msg2" sourceRef="Participant_1supplier" targetRef="Event_0arrived" />
  </bpmn:collaboration>
  <bpmn:message id="Message_2h1v0bq" name="Order" />
  <bpmn:process id="Process_0order" isExecutable="true" camunda:historyTimeToLive="180">
    <bpmn:laneSet id="LaneSet_0qf4ajs">
      <bpmn:lane id="Lane_1wh" name="Warehouse">
        <bpmn:flowNodeRef>Activity_0pack</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Activity_0order</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Event_0arrived</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="Lane_0sales" name="Sales&#10;team">
        <bpmn:flowNodeRef>StartEvent_1</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Activity_1check</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Gateway_0stock</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Event_1shipped</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="StartEvent_1" name="Order received">
      <bpmn:outgoing>Flow_1a</bpmn:outgoing>
      <bpmn:messageEventDefinition id="MessageEventDefinition_0x" messageRef="Message_2h1v0bq" />
    </bpmn:startEvent>
    <bpmn:userTask id="Activity_1check" name="Check order" camunda:assignee="sales">
      <bpmn:extensionElements>
        <camunda:properties>
          <camunda:property name="priority" value="high" />
        </camunda:properties>
      </bpmn:extensionElements>
      <bpmn:incoming>Flow_1a</bpmn:incoming>
      <bpmn:outgoing>Flow_1b</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:exclusiveGateway id="Gateway_0stock" name="In stock?" default="Flow_1c">
      <bpmn:incoming>Flow_1b</bpmn:incoming>
      <bpmn:outgoing>Flow_1c</bpmn:outgoing>
      <bpmn:outgoing>Flow_1d</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:task id="Activity_0pack" name="Pack and ship">
      <bpmn:incoming>Flow_1c</bpmn:incoming>
      <bpmn:incoming>Flow_1f</bpmn:incoming>
      <bpmn:outgoing>Flow_1g</bpmn:outgoing>
      <bpmn:dataOutputAssociation id="DataOutputAssociation_0n">
        <bpmn:targetRef>DataObjectReference_0note</bpmn:targetRef>
      </bpmn:dataOutputAssociation>
    </bpmn:task>
    <bpmn:sendTask id="Activity_0order" name="Order stock from supplier">
      <bpmn:incoming>Flow_1d</bpmn:incoming>
      <bpmn:outgoing>Flow_1e</bpmn:outgoing>
    </bpmn:sendTask>
    <bpmn:intermediateCatchEvent id="Event_0arrived" name="Stock arrived">
      <bpmn:incoming>Flow_1e</bpmn:incoming>
      <bpmn:outgoing>Flow_1f</bpmn:outgoing>
      <bpmn:messageEventDefinition id="MessageEventDefinition_1y" />
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="Event_1shipped" name="Order shipped">
      <bpmn:incoming>Flow_1g</bpmn:incoming>
    </bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_1a" sourceRef="StartEvent_1" targetRef="Activity_1check" />
    <bpmn:sequenceFlow id="Flow_1b" sourceRef="Activity_1check" targetRef="Gateway_0stock" />
    <bpmn:sequenceFlow id="Flow_1c" name="Yes" sourceRef="Gateway_0stock" targetRef="Activity_0pack" />
    <bpmn:sequenceFlow id="Flow_1d" name="No" sourceRef="Gateway_0stock" targetRef="Activity_0order" />
    <bpmn:sequenceFlow id="Flow_1e" sourceRef="Activity_0order" targetRef="Event_0arrived" />
    <bpmn:sequenceFlow id="Flow_1f" sourceRef="Event_0arrived" targetRef="Activity_0pack" />
    <bpmn:sequenceFlow id="Flow_1g" sourceRef="Activity_0pack" targetRef="Event_1shipped" />
    <bpmn:dataObjectReference id="DataObjectReference_0note" name="Delivery note" dataObjectRef="DataObject_1dn" />
    <bpmn:dataObject id="DataObject_1dn" />
    <bpmn:textAnnotation id="TextAnnotation_0t">
      <bpmn:text>Same day if ordered before 2pm</bpmn:text>
    </bpmn:textAnnotation>
    <bpmn:association id="Association_0a" sourceRef="Activity_0pack" targetRef="TextAnnotation_0t" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Collaboration_1kq2x4v">
      <bpmndi:BPMNShape id="Participant_0shop_di" bpmnElement="Participant_0shop" isHorizontal="true">
        <dc:Bounds x="129" y="80" width="871" height="370" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_0sales_di" bpmnElement="Lane_0sales" isHorizontal="true">
        <dc:Bounds x="159" y="80" width="841" height="180" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Lane_1wh_di" bpmnElement="Lane_1wh" isHorizontal="true">
        <dc:Bounds x="159" y="260" width="841" height="190" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_start_di" bpmnElement="StartEvent_1">
        <dc:Bounds x="212" y="142" width="36" height="36" />
        <bpmndi:BPMNLabel>
          <dc:Bounds x="194" y="185" width="73" height="14" />
        </bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Activity_1check_di" bpmnElement="Activity_1check">
        <dc:Bounds x="300" y="120" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Gateway_0stock_di" bpmnElement="Gateway_0stock" isMarkerVisible="true">
        <dc:Bounds x="455" y="135" width="50" height="50" />
        <bpmndi:BPMNLabel>
          <dc:Bounds x="456" y="111" width="48" height="14" />
        </bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Activity_0pack_di" bpmnElement="Activity_0pack">
        <dc:Bounds x="730" y="280" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Activity_0order_di" bpmnElement="Activity_0order">
        <dc:Bounds x="530" y="280" width="100" height="80" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_0arrived_di" bpmnElement="Event_0arrived">
        <dc:Bounds x="662" y="302" width="36" height="36" />
        <bpmndi:BPMNLabel>
          <dc:Bounds x="647" y="345" width="67" height="14" />
        </bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Event_1shipped_di" bpmnElement="Event_1shipped">
        <dc:Bounds x="882" y="142" width="36" height="36" />
        <bpmndi:BPMNLabel>
          <dc:Bounds x="866" y="185" width="69" height="14" />
        </bpmndi:BPMNLabel>
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="DataObjectReference_0note_di" bpmnElement="DataObjectReference_0note">
        <dc:Bounds x="762" y="375" width="36" height="50" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="TextAnnotation_0t_di" bpmnElement="TextAnnotation_0t">
        <dc:Bounds x="850" y="280" width="100" height="55" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_1a_di" bpmnElement="Flow_1a">
        <di:waypoint x="248" y="160" />
        <di:waypoint x="300" y="160" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1b_di" bpmnElement="Flow_1b">
        <di:waypoint x="400" y="160" />
        <di:waypoint x="455" y="160" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1c_di" bpmnElement="Flow_1c">
        <di:waypoint x="505" y="160" />
        <di:waypoint x="780" y="160" />
        <di:waypoint x="780" y="280" />
        <bpmndi:BPMNLabel>
          <dc:Bounds x="634" y="142" width="18" height="14" />
        </bpmndi:BPMNLabel>
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1d_di" bpmnElement="Flow_1d">
        <di:waypoint x="480" y="185" />
        <di:waypoint x="480" y="320" />
        <di:waypoint x="530" y="320" />
        <bpmndi:BPMNLabel>
          <dc:Bounds x="488" y="250" width="15" height="14" />
        </bpmndi:BPMNLabel>
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1e_di" bpmnElement="Flow_1e">
        <di:waypoint x="630" y="320" />
        <di:waypoint x="662" y="320" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1f_di" bpmnElement="Flow_1f">
        <di:waypoint x="698" y="320" />
        <di:waypoint x="730" y="320" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_1g_di" bpmnElement="Flow_1g">
        <di:waypoint x="830" y="320" />
        <di:waypoint x="900" y="320" />
        <di:waypoint x="900" y="178" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="DataOutputAssociation_0n_di" bpmnElement="DataOutputAssociation_0n">
        <di:waypoint x="780" y="360" />
        <di:waypoint x="780" y="375" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Association_0a_di" bpmnElement="Association_0a">
        <di:waypoint x="830" y="310" />
        <di:waypoint x="850" y="307" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNShape id="Participant_1supplier_di" bpmnElement="Participant_1supplier" isHorizontal="true">
        <dc:Bounds x="129" y="500" width="871" height="60" />
      </bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_0msg1_di" bpmnElement="Flow_0msg1">
        <di:waypoint x="580" y="360" />
        <di:waypoint x="580" y="500" />
      </bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_0msg2_di" bpmnElement="Flow_0msg2">
        <di:waypoint x="680" y="500" />
        <di:waypoint x="680" y="338" />
      </bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
"""  # noqa: E501


def test_import_of_a_camunda_modeler_file():
    result = import_bpmn(CAMUNDA_SAMPLE.encode())
    data = result.data

    assert data.title == "Online shop"
    # Lanes in the order they are drawn (top to bottom), names with whitespace collapsed.
    assert [(lane.key, lane.name) for lane in data.lanes] == [
        ("Lane_0sales", "Sales team"),
        ("Lane_1wh", "Warehouse"),
    ]
    assert [(step.key, step.lane, step.kind, step.label) for step in data.steps] == [
        ("StartEvent_1", "Lane_0sales", "start", "Order received"),
        ("Activity_1check", "Lane_0sales", "task", "Check order"),
        ("Gateway_0stock", "Lane_0sales", "decision", "In stock?"),
        ("Activity_0pack", "Lane_1wh", "task", "Pack and ship"),
        ("Activity_0order", "Lane_1wh", "task", "Order stock from supplier"),
        ("Event_0arrived", "Lane_1wh", "wait", "Stock arrived"),
        ("Event_1shipped", "Lane_0sales", "end", "Order shipped"),
    ]
    assert data.flows == (
        FlowData("StartEvent_1", "Activity_1check"),
        FlowData("Activity_1check", "Gateway_0stock"),
        FlowData("Gateway_0stock", "Activity_0pack", "Yes"),
        FlowData("Gateway_0stock", "Activity_0order", "No"),
        FlowData("Activity_0order", "Event_0arrived"),
        FlowData("Event_0arrived", "Activity_0pack"),
        FlowData("Activity_0pack", "Event_1shipped"),
    )
    # Fields BPMN has no place for take the model's defaults.
    assert {step.value_class for step in data.steps} == {"bn"}
    assert {step.percent_complete_accurate for step in data.steps} == {D(100)}
    assert result.report == (
        "The empty pool 'Supplier' was not imported.",
        "2 message flows between pools were not imported.",
        "The message start event 'Order received' was imported as a plain start.",
        "The user task 'Check order' was imported as a plain task.",
        "The send task 'Order stock from supplier' was imported as a plain task.",
        "The message intermediate event 'Stock arrived' was imported as a wait.",
        "1 data object and 1 data association (a line to a step) were not imported.",
        "1 text annotation was not imported.",
        "1 association (dotted line) was not imported.",
        "Tool-specific settings on 1 step were not imported (properties).",
    )


def test_imported_camunda_file_exports_again_for_bpmn_io():
    data = import_bpmn(CAMUNDA_SAMPLE.encode()).data

    assert map_content(import_bpmn(export_bpmn(data)).data) == map_content(data)


def process_file(body: str, *, lanes: str = "", collaboration: str = "") -> bytes:
    """A minimal BPMN file around a process's elements, in the default namespace as some
    tools write it (no bpmn: prefix)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="x">
  {collaboration}
  <process id="p" name="Minimal">{lanes}{body}</process>
</definitions>""".encode()


def test_process_without_lanes_goes_into_one_unassigned_lane():
    raw = process_file(
        '<startEvent id="s"/><task id="t" name="Do it"/><endEvent id="e"/>'
        '<sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
    )

    result = import_bpmn(raw)

    assert result.data.title == "Minimal"
    assert result.data.lanes == (LaneData("unassigned", "Unassigned"),)
    assert [(s.lane, s.label) for s in result.data.steps] == [
        ("unassigned", "Start"),
        ("unassigned", "Do it"),
        ("unassigned", "End"),
    ]
    assert result.report == (
        "2 steps had no name and were named after their kind ('Start', 'End').",
        "The process has no lanes, so its 3 steps were put in one lane named 'Unassigned'. "
        "Rename it after the role that does them, or add lanes.",
    )


def test_steps_outside_every_lane_are_reported_by_name():
    raw = process_file(
        '<task id="a" name="In a lane"/><task id="b" name="Forgotten"/>',
        lanes='<laneSet id="ls"><lane id="unassigned" name="Team">'
        "<flowNodeRef>a</flowNodeRef><flowNodeRef>gone</flowNodeRef></lane></laneSet>",
    )

    result = import_bpmn(raw)

    assert result.data.lanes == (
        LaneData("unassigned", "Team"),
        LaneData("unassigned_2", "Unassigned"),
    )
    assert [s.lane for s in result.data.steps] == ["unassigned", "unassigned_2"]
    assert result.report == (
        "1 step was in no lane and was put in a lane named 'Unassigned': 'Forgotten'.",
    )


def test_flows_the_model_cannot_hold_are_dropped_and_reported():
    raw = process_file(
        '<task id="a" name="A"/><task id="b" name="B"/>'
        '<sequenceFlow id="f1" name="first" sourceRef="a" targetRef="b"/>'
        '<sequenceFlow id="f2" name="second" sourceRef="a" targetRef="b"/>'
        '<sequenceFlow id="f3" sourceRef="b" targetRef="b"/>'
        '<sequenceFlow id="f4" sourceRef="b" targetRef="nowhere"/>'
        '<sequenceFlow id="f5" sourceRef="a" targetRef="b">'
        "<conditionExpression>${ok}</conditionExpression></sequenceFlow>",
        lanes='<laneSet id="ls"><lane id="l" name="Team"><flowNodeRef>a</flowNodeRef>'
        "<flowNodeRef>b</flowNodeRef></lane></laneSet>",
    )

    result = import_bpmn(raw)

    assert result.data.flows == (FlowData("a", "b", "first"),)
    assert result.report == (
        "The flow from 'B' back to itself was dropped: a step cannot lead straight to itself.",
        "There were 3 flows from 'A' to 'B'; only the first was kept (a map has one flow "
        "between two steps).",
        "1 flow refers to steps that are not in the file and was dropped.",
    )


def test_gateways_sub_processes_boundary_events_and_other_pools_are_reported():
    raw = process_file(
        '<startEvent id="s" name="Go"/>'
        '<parallelGateway id="g" name="Split"/>'
        '<subProcess id="sp" name="Handle claim"><task id="in1"/><task id="in2"/>'
        '<sequenceFlow id="fin" sourceRef="in1" targetRef="in2"/></subProcess>'
        '<boundaryEvent id="be" name="Too late" attachedToRef="sp"><timerEventDefinition/>'
        "</boundaryEvent>"
        '<task id="late" name="Chase"><multiInstanceLoopCharacteristics/></task>'
        '<intermediateCatchEvent id="w" name="Two days"><timerEventDefinition>'
        "<timeDuration>P2DT1H30M</timeDuration></timerEventDefinition></intermediateCatchEvent>"
        '<intermediateThrowEvent id="m" name="Claim logged"/>'
        '<endEvent id="e" name="Done"><terminateEventDefinition/></endEvent>'
        '<sequenceFlow id="f1" sourceRef="s" targetRef="g"/>'
        '<sequenceFlow id="f2" sourceRef="be" targetRef="late"/>',
        lanes='<laneSet id="ls"><lane id="l" name="Claims">'
        + "".join(
            f"<flowNodeRef>{n}</flowNodeRef>" for n in ["s", "g", "sp", "be", "late", "w", "m", "e"]
        )
        + "</lane></laneSet>",
        collaboration='<collaboration id="c"><participant id="p1" name="Claims office" '
        'processRef="p"/><participant id="p2" name="Insurer" processRef="p2proc"/>'
        '<group id="grp"/></collaboration>'
        '<process id="p2proc"><task id="x1"/><task id="x2"/></process>',
    )

    result = import_bpmn(raw)

    kinds = {s.key: s.kind for s in result.data.steps}
    assert kinds == {
        "s": "start",
        "g": "decision",
        "sp": "task",
        "late": "task",
        "w": "wait",
        "m": "task",
        "e": "end",
    }
    assert result.data.step("w").wait_minutes == D(2 * 1440 + 90)
    assert result.data.title == "Claims office"
    assert result.data.flows == (FlowData("s", "g"),)
    assert result.report == (
        "The pool 'Insurer' and its 2 steps were not imported: a map has one pool. Only the "
        "first pool with steps was imported.",
        "1 group was not imported.",
        "The sub-process 'Handle claim' was imported as one task; the 2 steps inside it were not.",
        "'Chase' repeats (a loop or multi-instance marker); it was imported as a single step.",
        "The parallel gateway 'Split' was imported as a decision.",
        "The untyped intermediate throw event 'Claim logged' was imported as a task.",
        "The terminate end event 'Done' was imported as a plain end.",
        "1 boundary event (attached to the edge of a task) was not imported, nor the flows "
        "leaving it.",
        "1 flow to or from elements that were not imported was dropped.",
    )


def test_long_text_is_cut_to_the_model_field_lengths_and_reported():
    long_label = "Check " + "very " * 40 + "carefully"
    long_lane = "Team " * 30
    long_condition = "Only when " + "the customer agrees " * 5
    raw = process_file(
        f'<task id="a" name="{long_label}"/><task id="b" name="B"/>'
        f'<sequenceFlow id="f" name="{long_condition}" sourceRef="a" targetRef="b"/>',
        lanes=f'<laneSet id="ls"><lane id="l" name="{long_lane}"><flowNodeRef>a</flowNodeRef>'
        "<flowNodeRef>b</flowNodeRef></lane></laneSet>",
    )

    result = import_bpmn(raw)

    # Cut at a word break, with an ellipsis, within the model's field lengths.
    assert result.data.lanes[0].name == "Team " * 18 + "Team\u2026"
    assert result.data.steps[0].label == "Check " + "very " * 21 + "very\u2026"
    assert (
        result.data.flows[0].condition
        == "Only when the customer agrees the customer agrees the\u2026"
    )
    assert len(result.data.steps[0].label) <= 120 and len(result.data.flows[0].condition) <= 60
    assert result.report == (
        "The lane name 'Team Team Team Team Team Team Team\u2026' was cut to 100 characters.",
        "The label 'Check very very very very very very\u2026' was cut to 120 characters.",
        "The condition 'Only when the customer agrees the\u2026' on the flow from 'Check very "
        "very very very very very very very very very\u2026' to 'B' was cut to 60 characters.",
    )


def test_our_extension_values_are_checked_not_trusted():
    raw = process_file(
        '<task id="a" name="A"><extensionElements>'
        '<nvq:step xmlns:nvq="https://nvq-portfolio.example/bpmn/1.0" processMinutes="NaN" '
        'waitMinutes="-5" percentCompleteAccurate="150" cost="1e999999" valueClass="gold" '
        'customerTouchpoint="maybe" inputs="Form" outputs="  Letter  "/>'
        "</extensionElements></task>",
        lanes='<laneSet id="ls"><lane id="l" name="Team"><flowNodeRef>a</flowNodeRef></lane>'
        "</laneSet>",
    )

    result = import_bpmn(raw)

    step = result.data.steps[0]
    assert (step.inputs, step.outputs) == ("Form", "Letter")
    assert step == StepData("a", "l", "task", "A", inputs="Form", outputs="Letter")
    assert result.report == (
        "'A': customer touchpoint 'maybe' is not true or false.",
        "'A': value class 'gold' is not va, bn or nva.",
        "'A': process minutes 'NaN' is not a number from 0 to 99,999,999.99; the default was kept.",
        "'A': wait minutes '-5' is not a number from 0 to 99,999,999.99; the default was kept.",
        "'A': percent complete accurate '150' is not a number from 0 to 100; the default was kept.",
        "'A': cost '1e999999' is not a number from 0 to 99,999,999.99; the default was kept.",
    )


def test_too_many_steps_is_refused():
    tasks = "".join(f'<task id="t{n}"/>' for n in range(MAX_FLOW_NODES + 1))

    with pytest.raises(BpmnImportError, match="2,001 steps; the most we import is 2,000"):
        import_bpmn(process_file(tasks))


def test_the_most_steps_allowed_import():
    tasks = "".join(f'<task id="t{n}" name="Task {n}"/>' for n in range(MAX_FLOW_NODES))

    result = import_bpmn(process_file(tasks))

    assert len(result.data.steps) == MAX_FLOW_NODES


# -- files that are refused --------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <process id="p"><task id="t" name="&lol9;"/></process>
</definitions>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <process id="p"><task id="t" name="&secret;"/></process>
</definitions>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE definitions SYSTEM "http://attacker.example/evil.dtd">
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <process id="p"><task id="t" name="T"/></process>
</definitions>"""


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (BILLION_LAUGHS, r"declares XML entities \('lol'\).*billion laughs"),
        (EXTERNAL_ENTITY, r"external entity \('secret'\) that would read 'file:///etc/passwd'"),
        (EXTERNAL_DTD, r"outside document type definition \(DTD\) at "
                       r"'http://attacker.example/evil.dtd'"),
        (b'<?xml version="1.0"?><!DOCTYPE definitions><definitions/>',
         r"document type declaration"),
        (b"<a>" * 10_000 + b"</a>" * 10_000, "nested more than 100 levels deep"),
        (b"<a>" + b"<b/>" * 100_001 + b"</a>", "more than 100,000 XML elements"),
        (b"This is a Word document, honest.", r"not XML.*line 1, column 1"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not XML"),
        (b'<?xml version="1.0" encoding="klingon"?><a/>', "encoding cannot be read"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>',
         r"not BPMN 2.0: it starts with <svg>"),
        (b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
         b'<collaboration id="c"/></definitions>', "no process in it"),
        (b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">'
         b'<process id="p"><laneSet/></process></definitions>', "has no steps"),
        (b'<definitions xmlns="http://www.example.com/not-bpmn"><process/></definitions>',
         "not BPMN 2.0"),
        (b"", "The file is empty"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "external-dtd",
        "plain-doctype",
        "deep-nesting",
        "too-many-elements",
        "text",
        "binary",
        "unknown-encoding",
        "svg",
        "no-process",
        "empty-process",
        "wrong-namespace",
        "empty",
    ],
)  # fmt: skip
def test_hostile_or_wrong_files_are_refused_with_a_clear_message(raw, message):
    started = time.perf_counter()

    with pytest.raises(BpmnImportError, match=message):
        import_bpmn(raw)

    assert time.perf_counter() - started < 2


def test_a_50_mb_file_is_refused_before_parsing():
    # Well-formed BPMN, so only the size check can refuse it.
    head = b'<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p">'
    tail = b"</process></definitions>"
    filler = b'<task id="t" name="x"/>' * ((50 * 1024 * 1024) // 23)
    raw = head + filler + tail
    assert len(raw) > 50 * 1024 * 1024
    started = time.perf_counter()

    with pytest.raises(BpmnImportError, match=r"The file is 50\.0 MB; the largest .* is 5 MB"):
        import_bpmn(raw)

    assert time.perf_counter() - started < 0.1


def test_the_size_limit_is_on_bytes_not_on_content():
    just_over = b" " * (MAX_BPMN_BYTES - 10) + b"<a>xxxxxxxxxxx</a>"

    with pytest.raises(BpmnImportError, match="largest BPMN file we accept is 5 MB"):
        import_bpmn(just_over)


def test_import_error_is_a_value_error():
    assert issubclass(BpmnImportError, ValueError)


def test_a_step_without_an_id_does_not_take_a_later_steps_id():
    # The task with no id is the process's third element, so "step3" would be its made-up
    # key; but a later task owns that id, and the flow and the lane point at it.
    raw = process_file(
        '<startEvent id="s" name="Go"/><task name="No id"/><task id="step3" name="Real"/>'
        '<sequenceFlow id="f1" sourceRef="s" targetRef="step3"/>',
        lanes='<laneSet id="ls"><lane id="l" name="Team"><flowNodeRef>s</flowNodeRef>'
        "<flowNodeRef>step3</flowNodeRef></lane></laneSet>",
    )

    data = import_bpmn(raw).data

    labels = {step.key: step.label for step in data.steps}
    assert [(labels[f.source], labels[f.target]) for f in data.flows] == [("Go", "Real")]
    lanes = {step.label: step.lane for step in data.steps}
    assert lanes["Real"] == "l"
