"""A version's content as plain, frozen data: what the figures, renderers and BPMN work from.

Nothing here touches the database, so figures, SVG and BPMN are pure functions of a MapData
and can be tested with hand-written examples. ``map_data_for(version)`` builds one from the
database in a fixed number of queries; ``processes.services.versions.version_replace_content``
writes one back (BPMN import and copying a version both go through it).

Steps, lanes and flows are referred to by ``key``: a short string that is unique within the
version ("s1", "lane2" ...). Keys come from the database ids when read from there, from the
BPMN ids on import, and are never shown to the learner.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from functools import cached_property


@dataclass(frozen=True)
class LaneData:
    key: str
    name: str


@dataclass(frozen=True)
class StepData:
    key: str
    lane: str  # a LaneData.key
    kind: str  # processes.models.StepKind value
    label: str
    inputs: str = ""
    outputs: str = ""
    customer_touchpoint: bool = False
    value_class: str = "bn"  # processes.models.ValueClass value
    process_minutes: Decimal = Decimal(0)
    wait_minutes: Decimal = Decimal(0)
    percent_complete_accurate: Decimal = Decimal(100)
    cost: Decimal = Decimal(0)


@dataclass(frozen=True)
class FlowData:
    source: str  # a StepData.key
    target: str
    condition: str = ""


@dataclass(frozen=True)
class SipocRowData:
    suppliers: str = ""
    inputs: str = ""
    process: str = ""
    outputs: str = ""
    customers: str = ""


@dataclass(frozen=True)
class CauseData:
    category: str  # processes.models.CauseCategory value
    text: str


@dataclass(frozen=True)
class KpiData:
    name: str
    unit: str
    higher_is_better: bool = True
    baseline: Decimal | None = None
    target: Decimal | None = None
    measured: Decimal | None = None
    source: str = ""
    measured_on: datetime.date | None = None


@dataclass(frozen=True)
class MapData:
    title: str
    lanes: tuple[LaneData, ...] = ()
    steps: tuple[StepData, ...] = ()
    flows: tuple[FlowData, ...] = ()
    sipoc: tuple[SipocRowData, ...] = ()
    causes: tuple[CauseData, ...] = ()
    kpis: tuple[KpiData, ...] = ()
    effect: str = ""  # the fishbone's head
    subtitle: str = ""  # e.g. "Version 2, future state"
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def step(self, key: str) -> StepData:
        return self.steps_by_key[key]

    @cached_property
    def steps_by_key(self) -> dict[str, StepData]:
        # Not a field: computed once per MapData (cached_property writes around frozen=True).
        return {step.key: step for step in self.steps}

    def content_sha256(self) -> str:
        """A hash of everything a diagram shows; equal content gives an equal hash."""
        data = asdict(self)
        data.pop("extra", None)
        text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def map_data_for(version) -> MapData:
    """Read a ProcessVersion and its rows (six queries)."""
    lanes = tuple(LaneData(key=f"lane{lane.pk}", name=lane.name) for lane in version.lanes.all())
    steps = tuple(
        StepData(
            key=f"s{step.pk}",
            lane=f"lane{step.lane_id}",
            kind=step.kind,
            label=step.label,
            inputs=step.inputs,
            outputs=step.outputs,
            customer_touchpoint=step.customer_touchpoint,
            value_class=step.value_class,
            process_minutes=step.process_minutes,
            wait_minutes=step.wait_minutes,
            percent_complete_accurate=step.percent_complete_accurate,
            cost=step.cost,
        )
        for step in version.steps.all()
    )
    flows = tuple(
        FlowData(source=f"s{flow.source_id}", target=f"s{flow.target_id}", condition=flow.condition)
        for flow in version.flows.all()
    )
    sipoc = tuple(
        SipocRowData(
            suppliers=row.suppliers,
            inputs=row.inputs,
            process=row.process,
            outputs=row.outputs,
            customers=row.customers,
        )
        for row in version.sipoc_rows.all()
    )
    causes = tuple(CauseData(category=c.category, text=c.text) for c in version.causes.all())
    kpis = tuple(
        KpiData(
            name=k.name,
            unit=k.unit,
            higher_is_better=k.higher_is_better,
            baseline=k.baseline,
            target=k.target,
            measured=k.measured,
            source=k.source,
            measured_on=k.measured_on,
        )
        for k in version.kpis.all()
    )
    return MapData(
        title=version.process_map.title,
        subtitle=f"Version {version.number}, {version.get_state_display().lower()}",
        lanes=lanes,
        steps=steps,
        flows=flows,
        sipoc=sipoc,
        causes=causes,
        kpis=kpis,
        effect=version.effect,
    )
