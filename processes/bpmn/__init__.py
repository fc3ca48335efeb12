"""BPMN 2.0 interchange: export a version's map for bpmn.io / Camunda Modeler, import theirs.

Both sides work on ``processes.diagram.MapData`` only, never on the database.

How our map and BPMN correspond:

    our map                      BPMN 2.0 (export writes / import reads)
    ---------------------------  ------------------------------------------------------------
    the map (title)              collaboration with one participant (pool) -> one process
    lane                         lane in the process's laneSet (flowNodeRef for each step)
    step kind "start"            startEvent
    step kind "end"              endEvent
    step kind "task"             task
    step kind "decision"         exclusiveGateway
    step kind "wait"             intermediateCatchEvent + timerEventDefinition
                                 (timeDuration PT<wait minutes>M when the wait is known)
    flow (condition)             sequenceFlow (name = condition), incoming/outgoing on steps
    inputs, outputs, touchpoint, <nvq:step> in the step's extensionElements, namespace
    value class, process/wait    processes.bpmn.names.NVQ_NS (tools keep unknown extensions)
    minutes, % C&A, cost
    layout (processes.render)    bpmndi: BPMNShape for pool, lanes, steps; BPMNEdge waypoints

Import also accepts what the map has no exact place for, and says so in its report:
userTask, manualTask, serviceTask, scriptTask, businessRuleTask, sendTask, receiveTask -> task;
subProcess, transaction, callActivity -> one task (its inside is not imported); parallel,
inclusive, event-based and complex gateways -> decision; other intermediate catch events ->
wait; intermediate throw events -> task; start/end events with a trigger -> plain start/end.
Not imported, and counted in the report: other pools, message flows, boundary events, data
objects and stores, text annotations, associations, groups, loop markers, condition
expressions, documentation, other tools' extension settings, self-loops and second flows
between the same two steps. Steps in no lane go to a lane named "Unassigned".
"""

from processes.bpmn.export import export_bpmn
from processes.bpmn.import_ import MAX_FLOW_NODES, ImportResult, import_bpmn
from processes.bpmn.parse import MAX_BPMN_BYTES, BpmnImportError

__all__ = [
    "MAX_BPMN_BYTES",
    "MAX_FLOW_NODES",
    "BpmnImportError",
    "ImportResult",
    "export_bpmn",
    "import_bpmn",
]
