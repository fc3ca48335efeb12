"""BPMN 2.0 XML from a modelling tool (bpmn.io, Camunda Modeler ...) -> MapData and a report.

One pool is imported: the first (in the collaboration's order) whose process has steps. A map
has one pool and one set of lanes, and message flows only make sense between pools, so other
pools are reported rather than merged in. Everything the map cannot hold is named in the
report; the only things passed over without a line are supporting definitions at the top of
the file (messages, signals, errors, item definitions ...), which describe elements that are
themselves reported, and the diagram-interchange part, which is read only to order lanes.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

from processes.bpmn.names import BPMN_NS, BPMNDI_NS, DC_NS, NVQ_NS, STEP_ATTRIBUTES, bpmn
from processes.bpmn.parse import BpmnImportError, parse_xml, quoted, shorten
from processes.diagram import FlowData, LaneData, MapData, StepData

MAX_FLOW_NODES = 2_000
# Model field lengths (processes.models): longer text is cut to fit, and the cut reported.
TITLE_LENGTH = 200
LABEL_LENGTH = 120
LANE_NAME_LENGTH = 100
CONDITION_LENGTH = 60
INPUTS_OUTPUTS_LENGTH = 300
MAX_MINUTES_OR_COST = Decimal("99999999.99")  # max_digits=10, decimal_places=2
UNASSIGNED_LANE = "Unassigned"

PLAIN_TASK = "task"
OTHER_TASKS = frozenset(
    [
        "userTask",
        "manualTask",
        "serviceTask",
        "scriptTask",
        "businessRuleTask",
        "sendTask",
        "receiveTask",
    ]
)
CONTAINERS = frozenset({"subProcess", "transaction", "adHocSubProcess", "callActivity"})
GATEWAYS = frozenset(
    [
        "exclusiveGateway",
        "parallelGateway",
        "inclusiveGateway",
        "eventBasedGateway",
        "complexGateway",
    ]
)
EVENTS = frozenset({"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent"})
FLOW_NODES = frozenset({PLAIN_TASK}) | OTHER_TASKS | CONTAINERS | GATEWAYS | EVENTS
DATA_ASSOCIATIONS = frozenset({"dataInputAssociation", "dataOutputAssociation"})
LOOP_MARKERS = frozenset({"standardLoopCharacteristics", "multiInstanceLoopCharacteristics"})
# Top-level definitions that only support elements reported elsewhere (a message event's
# message, a group's category ...): not diagram content, so skipped without a line.
SUPPORTING_DEFINITIONS = frozenset(
    [
        "message",
        "signal",
        "error",
        "escalation",
        "itemDefinition",
        "category",
        "dataStore",
        "interface",
        "resource",
        "import",
        "extension",
        "extensionElements",
        "documentation",
        "correlationProperty",
        "partnerEntity",
        "partnerRole",
        "endPoint",
        "relationship",
    ]
)
DEFAULT_LABELS = {
    "start": "Start",
    "end": "End",
    "task": "Task",
    "decision": "Decision",
    "wait": "Wait",
}
# Readable names for BPMN element types in the report.
TYPE_NAMES = {
    "userTask": "user task",
    "manualTask": "manual task",
    "serviceTask": "service task",
    "scriptTask": "script task",
    "businessRuleTask": "business rule task",
    "sendTask": "send task",
    "receiveTask": "receive task",
    "subProcess": "sub-process",
    "transaction": "transaction",
    "adHocSubProcess": "ad-hoc sub-process",
    "callActivity": "call activity",
    "parallelGateway": "parallel gateway",
    "inclusiveGateway": "inclusive gateway",
    "eventBasedGateway": "event-based gateway",
    "complexGateway": "complex gateway",
}
ISO_DURATION = re.compile(
    r"^P(?:(?P<days>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<hours>\d+(?:\.\d+)?)H)?(?:(?P<minutes>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


@dataclass(frozen=True)
class ImportResult:
    data: MapData
    report: tuple[str, ...]  # plain-English notes on everything that could not be kept as is


def import_bpmn(raw: bytes, *, title: str = "") -> ImportResult:
    """Read a BPMN 2.0 file. Raises BpmnImportError when there is nothing safe to import."""
    root = parse_xml(raw)
    if root.tag != bpmn("definitions"):
        raise BpmnImportError(
            f"This XML file is not BPMN 2.0: it starts with <{_local(root.tag)}>, not with "
            "<definitions> in the BPMN 2.0 namespace. Export the diagram as BPMN 2.0 XML "
            "(a .bpmn file) from your modelling tool."
        )
    return _Importer(root).run(title=title)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _in_bpmn(element: ET.Element) -> bool:
    return element.tag.startswith(f"{{{BPMN_NS}}}")


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def _were(count: int) -> str:
    return "was" if count == 1 else "were"


def _names(names: list[str], limit: int = 5) -> str:
    shown = ", ".join(quoted(name) for name in names[:limit])
    if len(names) > limit:
        shown += f" and {len(names) - limit} more"
    return shown


class _Importer:
    def __init__(self, root: ET.Element):
        self.root = root
        self.notes: list[str] = []
        self.by_id: dict[str, ET.Element] = {}
        duplicates = 0
        for element in root.iter():
            element_id = element.get("id")
            if element_id is None:
                continue
            if element_id in self.by_id:
                duplicates += 1
            else:
                self.by_id[element_id] = element
        self.duplicate_ids = duplicates
        # Ids of the process's elements that are not imported as steps (boundary events,
        # data objects ...): a flow to one of them is reported as such, not as "missing".
        self.skipped_ids: set[str] = set()

    def note(self, text: str) -> None:
        self.notes.append(text)

    # -- pools ---------------------------------------------------------------------------

    def run(self, *, title: str) -> ImportResult:
        processes = self.root.findall(bpmn("process"))
        if not processes:
            raise BpmnImportError(
                "The BPMN file has no process in it (no pool with steps), so there is "
                "nothing to import."
            )
        pools = self._pools(processes)
        chosen = next(
            (index for index, pool in enumerate(pools) if _flow_node_count(pool[1]) > 0), None
        )
        if chosen is None:
            raise BpmnImportError(
                "The BPMN file's process has no steps (tasks, events or gateways), so there "
                "is nothing to import."
            )
        pool_name, process = pools[chosen]
        node_count = _flow_node_count(process)
        if node_count > MAX_FLOW_NODES:
            raise BpmnImportError(
                f"The process has {node_count:,} steps; the most we import is "
                f"{MAX_FLOW_NODES:,}. Split it into smaller maps."
            )
        if self.duplicate_ids:
            self.note(
                f"{_plural(self.duplicate_ids, 'element')} had the same id as an earlier one "
                "(ids must be unique); only the first of each was imported."
            )
        self._report_other_pools(pools, chosen)
        self._report_collaboration()
        self._report_top_level()

        lanes, lane_of = self._lanes(process)
        steps = self._steps(process)
        lanes, steps = self._place_in_lanes(lanes, lane_of, steps, has_lanes=bool(lanes))
        flows = self._flows(process, {step.key: step for step in steps})

        map_title = self._text(title or pool_name or "", TITLE_LENGTH, "The title")
        data = MapData(title=map_title or "Imported process", lanes=lanes, steps=steps, flows=flows)
        return ImportResult(data=data, report=tuple(self.notes))

    def _pools(self, processes: list[ET.Element]) -> list[tuple[str, ET.Element | None]]:
        """(name, process) for each participant, then each process no participant names."""
        pools: list[tuple[str, ET.Element | None]] = []
        named: set[str] = set()
        for participant in self.root.iter(bpmn("participant")):
            ref = participant.get("processRef")
            process = self.by_id.get(ref) if ref else None
            if process is not None and process.tag != bpmn("process"):
                process = None
            if process is not None:
                named.add(ref)
            name = participant.get("name") or (process.get("name") if process is not None else "")
            pools.append((name or "", process))
        for process in processes:
            if process.get("id") not in named:
                pools.append((process.get("name") or "", process))
        return pools

    def _report_other_pools(self, pools, chosen: int) -> None:
        for index, (name, process) in enumerate(pools):
            if index == chosen:
                continue
            label = quoted(name) if name.strip() else "with no name"
            count = _flow_node_count(process) if process is not None else 0
            if count:
                self.note(
                    f"The pool {label} and its {_plural(count, 'step')} {_were(count)} not "
                    "imported: a map has one pool. Only the first pool with steps was imported."
                )
            else:
                self.note(f"The empty pool {label} was not imported.")

    def _report_collaboration(self) -> None:
        skipped: Counter[str] = Counter()
        for collaboration in self.root.findall(bpmn("collaboration")):
            for child in collaboration:
                name = _local(child.tag)
                if name not in {"participant", "extensionElements", "documentation"}:
                    skipped[name] += 1
        message_flows = skipped.pop("messageFlow", 0)
        if message_flows:
            self.note(
                f"{_plural(message_flows, 'message flow')} between pools {_were(message_flows)} "
                "not imported."
            )
        self._report_decorations(skipped)
        for name, count in sorted(skipped.items()):
            self.note(f"{_plural(count, name + ' element')} in the collaboration not imported.")

    def _report_top_level(self) -> None:
        skipped: Counter[str] = Counter()
        for child in self.root:
            name = _local(child.tag)
            if child.tag == f"{{{BPMNDI_NS}}}BPMNDiagram":
                continue
            if _in_bpmn(child) and name in {"process", "collaboration"} | SUPPORTING_DEFINITIONS:
                continue
            skipped[name] += 1
        for name, count in sorted(skipped.items()):
            self.note(f"{_plural(count, f'<{name}> element')} {_were(count)} not imported.")

    def _report_decorations(self, skipped: Counter[str]) -> None:
        """Text annotations, their dotted lines and groups: notes on the drawing, not steps."""
        for name, singular, plural in (
            ("textAnnotation", "text annotation", None),
            ("association", "association (dotted line)", "associations (dotted lines)"),
            ("group", "group", None),
        ):
            count = skipped.pop(name, 0)
            if count:
                self.note(f"{_plural(count, singular, plural)} {_were(count)} not imported.")

    # -- lanes ---------------------------------------------------------------------------

    def _lanes(self, process: ET.Element) -> tuple[tuple[LaneData, ...], dict[str, str]]:
        leaves: list[ET.Element] = []
        for lane_set in process.findall(bpmn("laneSet")):
            self._collect_leaf_lanes(lane_set, leaves)
        positions = self._shape_positions()
        if leaves and all(lane.get("id") in positions for lane in leaves):
            # Modelling tools write lanes in the order they were drawn; show them as placed.
            order = {id(lane): index for index, lane in enumerate(leaves)}
            leaves.sort(key=lambda lane: (positions[lane.get("id")], order[id(lane)]))

        lanes: list[LaneData] = []
        lane_of: dict[str, str] = {}
        used_keys: set[str] = set()
        in_two_lanes: list[str] = []
        for number, element in enumerate(leaves, start=1):
            key = _unique(element.get("id") or f"lane{number}", used_keys)
            name = self._text(element.get("name") or "", LANE_NAME_LENGTH, "The lane name")
            if not name:
                name = f"Lane {number}"
                self.note(f"A lane with no name was named {quoted(name)}.")
            lanes.append(LaneData(key=key, name=name))
            for ref in element.findall(bpmn("flowNodeRef")):
                node_id = (ref.text or "").strip()
                if node_id in lane_of:
                    in_two_lanes.append(node_id)
                else:
                    lane_of[node_id] = key
        if in_two_lanes:
            self.note(
                f"{_plural(len(in_two_lanes), 'element')} {_were(len(in_two_lanes))} listed in "
                "two lanes; each was put in the first."
            )
        return tuple(lanes), lane_of

    def _collect_leaf_lanes(self, lane_set: ET.Element, leaves: list[ET.Element]) -> None:
        for lane in lane_set.findall(bpmn("lane")):
            children = [
                child
                for child_set in lane.findall(bpmn("childLaneSet"))
                for child in child_set.findall(bpmn("lane"))
            ]
            if children:
                self.note(
                    f"The lane {quoted(lane.get('name') or lane.get('id') or '')} has "
                    "sub-lanes; each sub-lane was imported as a lane of its own."
                )
                for child_set in lane.findall(bpmn("childLaneSet")):
                    self._collect_leaf_lanes(child_set, leaves)
            else:
                leaves.append(lane)

    def _shape_positions(self) -> dict[str, tuple[float, float]]:
        """(y, x) of each diagram shape's top-left corner, by the id of what it shows."""
        positions: dict[str, tuple[float, float]] = {}
        for shape in self.root.iter(f"{{{BPMNDI_NS}}}BPMNShape"):
            bounds = shape.find(f"{{{DC_NS}}}Bounds")
            element_id = shape.get("bpmnElement")
            if bounds is None or not element_id or element_id in positions:
                continue
            try:
                positions[element_id] = (float(bounds.get("y", "")), float(bounds.get("x", "")))
            except ValueError:
                continue
        return positions

    def _place_in_lanes(self, lanes, lane_of, steps, *, has_lanes: bool):
        unplaced = [step for step in steps if step.key not in lane_of]
        if not unplaced:
            return lanes, tuple(replace(step, lane=lane_of[step.key]) for step in steps)
        spare = _unique("unassigned", {lane.key for lane in lanes})
        lanes = (*lanes, LaneData(key=spare, name=UNASSIGNED_LANE))
        if has_lanes:
            self.note(
                f"{_plural(len(unplaced), 'step')} {_were(len(unplaced))} in no lane and "
                f"{_were(len(unplaced))} put in a lane named {quoted(UNASSIGNED_LANE)}: "
                f"{_names([step.label for step in unplaced])}."
            )
        else:
            self.note(
                f"The process has no lanes, so its {_plural(len(unplaced), 'step')} "
                f"{_were(len(unplaced))} put in one lane named {quoted(UNASSIGNED_LANE)}. "
                "Rename it after the role that does them, or add lanes."
            )
        placed = tuple(replace(step, lane=lane_of.get(step.key, spare)) for step in steps)
        return lanes, placed

    # -- steps ---------------------------------------------------------------------------

    def _steps(self, process: ET.Element) -> tuple[StepData, ...]:
        steps: list[StepData] = []
        # Every id in the file is taken: a key made up for an element without an id must not
        # be an id that a later element (and the flows to it) use.
        used_keys: set[str] = set(self.by_id)
        converted: dict[tuple[str, str], list[str]] = {}
        unnamed: Counter[str] = Counter()
        skipped: Counter[str] = Counter()
        data_associations = 0
        documented = 0
        tool_settings: Counter[str] = Counter()
        for number, element in enumerate(process, start=1):
            name = _local(element.tag)
            element_id = element.get("id")
            if element_id and self.by_id.get(element_id) is not element:
                continue  # a duplicate id, reported once above
            if not _in_bpmn(element) or name not in FLOW_NODES:
                if element_id:
                    self.skipped_ids.add(element_id)
                if _in_bpmn(element) and name in {"sequenceFlow", "laneSet"}:
                    continue
                skipped[name] += 1
                continue
            kind, conversion = self._kind(element, name)
            label = self._text(element.get("name") or "", LABEL_LENGTH, "The label")
            if not label:
                label = DEFAULT_LABELS[kind]
                unnamed[label] += 1
            if conversion:
                converted.setdefault(conversion, []).append(label)
            step = StepData(
                key=element_id or _unique(f"step{number}", used_keys),
                lane="",
                kind=kind,
                label=label,
            )
            step = self._extension_fields(element, step, tool_settings)
            if kind == "wait" and step.wait_minutes == 0:
                step = self._timer_wait(element, step)
            if name in CONTAINERS:
                inside = sum(1 for child in element if _local(child.tag) in FLOW_NODES)
                if inside:
                    self.note(
                        f"The {TYPE_NAMES[name]} {quoted(label)} was imported as one task; "
                        f"the {_plural(inside, 'step')} inside it {_were(inside)} not."
                    )
            for child in element:
                child_name = _local(child.tag)
                if child_name in DATA_ASSOCIATIONS:
                    data_associations += 1
                elif child_name in LOOP_MARKERS:
                    self.note(
                        f"{quoted(label)} repeats (a loop or multi-instance marker); it was "
                        "imported as a single step."
                    )
                elif child_name == "documentation" and (child.text or "").strip():
                    documented += 1
            steps.append(step)

        for (was, became), labels in converted.items():
            if len(labels) == 1:
                self.note(f"The {was} {quoted(labels[0])} was imported as a {became}.")
            else:
                self.note(f"{len(labels)} {was}s were imported as {became}s: {_names(labels)}.")
        if unnamed:
            kinds = ", ".join(quoted(label) for label in unnamed)
            total = sum(unnamed.values())
            self.note(
                f"{_plural(total, 'step')} had no name and {_were(total)} named after "
                f"{'its' if total == 1 else 'their'} kind ({kinds})."
            )
        self._report_skipped_process_children(skipped, data_associations)
        if documented:
            self.note(
                f"The documentation text of {_plural(documented, 'step')} {_were(documented)} "
                "not imported."
            )
        if tool_settings:
            names = ", ".join(sorted(tool_settings))
            self.note(
                f"Tool-specific settings on {_plural(sum(tool_settings.values()), 'step')} "
                f"were not imported ({names})."
            )
        return tuple(steps)

    def _kind(self, element: ET.Element, name: str) -> tuple[str, tuple[str, str] | None]:
        """Our step kind and, when the conversion loses something, (what it was, what it
        became) in words for the report: ("user task", "plain task")."""
        definitions = [_local(child.tag) for child in element if child.tag.endswith("Definition")]
        trigger = " and ".join(d.removesuffix("EventDefinition") for d in definitions)
        if name == PLAIN_TASK or name in CONTAINERS:
            return "task", None  # a container is reported with the count of what was inside
        if name in OTHER_TASKS:
            return "task", (TYPE_NAMES[name], "plain task")
        if name == "exclusiveGateway":
            return "decision", None
        if name in GATEWAYS:
            return "decision", (TYPE_NAMES[name], "decision")
        if name == "startEvent":
            return "start", (f"{trigger} start event", "plain start") if definitions else None
        if name == "endEvent":
            return "end", (f"{trigger} end event", "plain end") if definitions else None
        if name == "intermediateCatchEvent":
            if definitions == ["timerEventDefinition"]:
                return "wait", None
            return "wait", (f"{trigger or 'untyped'} intermediate event", "wait")
        # intermediateThrowEvent: a milestone or a message sent; the map shows it as a task.
        return "task", (f"{trigger or 'untyped'} intermediate throw event", "task")

    def _report_skipped_process_children(self, skipped: Counter[str], associations: int) -> None:
        # A data object on a diagram is a dataObject plus a reference to it: count what a
        # learner drew, not the XML.
        parts = []
        objects = max(skipped.pop("dataObjectReference", 0), skipped.pop("dataObject", 0))
        stores = skipped.pop("dataStoreReference", 0)
        if objects:
            parts.append(_plural(objects, "data object"))
        if stores:
            parts.append(_plural(stores, "data store"))
        if associations:
            parts.append(
                _plural(
                    associations,
                    "data association (a line to a step)",
                    "data associations (lines to steps)",
                )
            )
        if parts:
            total = objects + stores + associations
            self.note(f"{' and '.join(parts)} {_were(total)} not imported.")
        boundary = skipped.pop("boundaryEvent", 0)
        if boundary:
            self.note(
                f"{_plural(boundary, 'boundary event')} (attached to the edge of a task) "
                f"{_were(boundary)} not imported, nor the flows leaving "
                f"{'it' if boundary == 1 else 'them'}."
            )
        self._report_decorations(skipped)
        for name, count in sorted(skipped.items()):
            if name == "documentation":
                self.note("The process's documentation text was not imported.")
            elif name == "extensionElements":
                self.note("Tool-specific settings on the process were not imported.")
            else:
                self.note(f"{_plural(count, f'<{name}> element')} {_were(count)} not imported.")

    def _extension_fields(self, element, step: StepData, tool_settings: Counter) -> StepData:
        """Our own <nvq:step> fields; other tools' extensions are counted for the report."""
        ours = None
        for extensions in element.findall(bpmn("extensionElements")):
            for child in extensions:
                if child.tag == f"{{{NVQ_NS}}}step" and ours is None:
                    ours = child
                elif child.tag != f"{{{NVQ_NS}}}step":
                    tool_settings[_local(child.tag)] += 1
        if ours is None:
            return step
        values = {}
        for attribute, field_name in STEP_ATTRIBUTES:
            text = ours.get(attribute)
            if text is None:
                continue
            value = self._field_value(field_name, text, step.label)
            if value is not None:
                values[field_name] = value
        return replace(step, **values)

    def _field_value(self, field_name: str, text: str, label: str):
        readable = field_name.replace("_", " ")
        if field_name in {"inputs", "outputs"}:
            return self._text(
                text,
                INPUTS_OUTPUTS_LENGTH,
                f"The {readable}",
                f" of {quoted(label)}",
                collapse=False,
            )
        if field_name == "customer_touchpoint":
            if text.strip() in {"true", "1"}:
                return True
            if text.strip() in {"false", "0"}:
                return False
            self.note(f"{quoted(label)}: customer touchpoint {quoted(text)} is not true or false.")
            return None
        if field_name == "value_class":
            if text.strip() in {"va", "bn", "nva"}:
                return text.strip()
            self.note(f"{quoted(label)}: value class {quoted(text)} is not va, bn or nva.")
            return None
        maximum = Decimal(100) if field_name == "percent_complete_accurate" else MAX_MINUTES_OR_COST
        try:
            value = Decimal(text.strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not 0 <= value <= maximum:
            self.note(
                f"{quoted(label)}: {readable} {quoted(text)} is not a number from 0 to "
                f"{maximum:,}; the default was kept."
            )
            return None
        return value.quantize(Decimal("0.01"))

    def _timer_wait(self, element: ET.Element, step: StepData) -> StepData:
        """A timer's duration (ISO 8601, e.g. PT2H) as the wait time, when we can read it."""
        duration = element.find(f"{bpmn('timerEventDefinition')}/{bpmn('timeDuration')}")
        text = (duration.text or "").strip() if duration is not None else ""
        if not text:
            return step
        match = ISO_DURATION.match(text)
        if not match or text in {"P", "PT"}:
            self.note(
                f"The timer {quoted(step.label)} has a duration we cannot read "
                f"({quoted(text)}); its wait time was left at 0."
            )
            return step
        parts = {name: Decimal(value or 0) for name, value in match.groupdict().items()}
        minutes = (
            parts["days"] * 1440 + parts["hours"] * 60 + parts["minutes"] + parts["seconds"] / 60
        )
        return replace(
            step, wait_minutes=min(minutes, MAX_MINUTES_OR_COST).quantize(Decimal("0.01"))
        )

    # -- flows ---------------------------------------------------------------------------

    def _flows(self, process: ET.Element, steps: dict[str, StepData]) -> tuple[FlowData, ...]:
        flows: list[FlowData] = []
        seen: dict[tuple[str, str], int] = {}
        duplicates: Counter[tuple[str, str]] = Counter()
        to_skipped = 0
        to_missing = 0
        expressions: list[str] = []
        for element in process.findall(bpmn("sequenceFlow")):
            element_id = element.get("id")
            if element_id and self.by_id.get(element_id) is not element:
                continue
            source, target = element.get("sourceRef", ""), element.get("targetRef", "")
            if source not in steps or target not in steps:
                if source in self.skipped_ids or target in self.skipped_ids:
                    to_skipped += 1
                else:
                    to_missing += 1
                continue
            source_label, target_label = steps[source].label, steps[target].label
            if source == target:
                self.note(
                    f"The flow from {quoted(source_label)} back to itself was dropped: a step "
                    "cannot lead straight to itself."
                )
                continue
            if (source, target) in seen:
                duplicates[(source, target)] += 1
                continue
            condition = self._text(
                element.get("name") or "",
                CONDITION_LENGTH,
                "The condition",
                f" on the flow from {quoted(source_label)} to {quoted(target_label)}",
            )
            expression = element.find(bpmn("conditionExpression"))
            if expression is not None and (expression.text or "").strip():
                expressions.append(f"{source_label} -> {target_label}")
            seen[(source, target)] = len(flows)
            flows.append(FlowData(source=source, target=target, condition=condition))

        for (source, target), extra in duplicates.items():
            self.note(
                f"There were {extra + 1} flows from {quoted(steps[source].label)} to "
                f"{quoted(steps[target].label)}; only the first was kept (a map has one flow "
                "between two steps)."
            )
        if to_skipped:
            # Boundary events and other skipped elements are reported with their own line.
            self.note(
                f"{_plural(to_skipped, 'flow')} to or from elements that were not imported "
                f"{_were(to_skipped)} dropped."
            )
        if to_missing:
            self.note(
                f"{_plural(to_missing, 'flow')} {'refers' if to_missing == 1 else 'refer'} to "
                f"steps that are not in the file and {_were(to_missing)} dropped."
            )
        if expressions:
            count = len(expressions)
            self.note(
                f"Condition expressions on {_plural(count, 'flow')} {_were(count)} not "
                f"imported (only flow names are): {_names(expressions)}."
            )
        return tuple(flows)

    # -- text ----------------------------------------------------------------------------

    def _text(self, text: str, limit: int, what: str, where: str = "", *, collapse=True) -> str:
        """Cleaned text that fits the model's field; a cut is reported as
        "<what> '<text>'<where> was cut to <limit> characters."."""
        text = " ".join(text.split()) if collapse else text.strip()
        if len(text) <= limit:
            return text
        self.note(f"{what} {quoted(text, 40)}{where} was cut to {limit} characters.")
        return shorten(text, limit)


def _flow_node_count(process: ET.Element | None) -> int:
    if process is None:
        return 0
    return sum(1 for child in process if _in_bpmn(child) and _local(child.tag) in FLOW_NODES)


def _unique(key: str, used: set[str]) -> str:
    candidate, number = key, 2
    while candidate in used:
        candidate = f"{key}_{number}"
        number += 1
    used.add(candidate)
    return candidate
