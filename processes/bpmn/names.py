"""Namespaces, element names and our extension attributes, shared by export and import."""

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
# Our own namespace for the step fields BPMN has no place for. Modelling tools keep unknown
# extension elements, so the figures survive a trip through bpmn.io.
NVQ_NS = "https://nvq-portfolio.example/bpmn/1.0"
TARGET_NAMESPACE = "https://nvq-portfolio.example/bpmn/1.0/processes"
EXPORTER = "NVQ Portfolio"
EXPORTER_VERSION = "1.0"

# Our step kind -> the BPMN element written for it.
ELEMENT_FOR_KIND = {
    "start": "startEvent",
    "end": "endEvent",
    "task": "task",
    "decision": "exclusiveGateway",
    "wait": "intermediateCatchEvent",  # with a timerEventDefinition
}

# Attributes of <nvq:step>, in the order they are written: (attribute, StepData field).
STEP_ATTRIBUTES = (
    ("inputs", "inputs"),
    ("outputs", "outputs"),
    ("customerTouchpoint", "customer_touchpoint"),
    ("valueClass", "value_class"),
    ("processMinutes", "process_minutes"),
    ("waitMinutes", "wait_minutes"),
    ("percentCompleteAccurate", "percent_complete_accurate"),
    ("cost", "cost"),
)


def bpmn(local_name: str) -> str:
    """The Clark name ElementTree uses for a BPMN element: ``{namespace}localName``."""
    return f"{{{BPMN_NS}}}{local_name}"
