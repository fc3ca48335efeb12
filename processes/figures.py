"""Figures computed from a process map (a MapData), and a before/after comparison.

Definitions (shown to learners as the legend of the figures table):

- Main path: the path from the start step to an end step with the greatest total time
  (process + wait), ignoring flows that close a loop (rework loops). The start step is the
  step of kind "start"; if there is none, the first step with no incoming flow. Equal totals
  are settled by flow order (the path that takes the earlier-listed flow wins). If no end
  step can be reached, the main path is the longest path from the start.
- Lead time: the sum of process and wait minutes of the steps on the main path.
- Value-added time: the sum of process minutes of the value-added steps on the main path.
- Process cycle efficiency (PCE): value-added time / lead time x 100 (none when the lead
  time is 0).
- Rolled % complete and accurate: the product of each main-path step's % complete and
  accurate (as a fraction), x 100: the share of cases that pass through without rework.
- Total cost: the sum of step costs on the main path (the cost of one case).
- Hand-offs: flows whose two steps are in different lanes (whole map).
- Customer touchpoints: steps marked as a customer touchpoint (whole map).

Minutes and pounds are rounded to 2 decimal places, percentages to 1, half up.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from processes.diagram import MapData
from processes.flowgraph import FlowGraph, analyse, topological_order

TWO_PLACES = Decimal("0.01")
ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class Figures:
    main_path: tuple[str, ...]
    lead_time_minutes: Decimal
    value_added_minutes: Decimal
    process_cycle_efficiency: Decimal | None  # percent
    rolled_percent_complete_accurate: Decimal  # percent
    hand_offs: int
    customer_touchpoints: int
    total_cost: Decimal
    step_count: int
    problems: tuple[str, ...]


def _minutes(value: Decimal) -> Decimal:
    return Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _percent(value: Decimal) -> Decimal:
    return Decimal(value).quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def _quote(data: MapData, key: str) -> str:
    label = data.step(key).label.strip() or "(no label)"
    return f"“{label}”"


def main_path(data: MapData, graph: FlowGraph) -> tuple[tuple[str, ...], bool]:
    """The main path, and whether it ends at an end step (see the module docstring)."""
    if graph.start is None:
        return (), False
    weight = {s.key: Decimal(s.process_minutes) + Decimal(s.wait_minutes) for s in data.steps}
    kind = {s.key: s.kind for s in data.steps}
    successors: dict[str, list[str]] = {key: [] for key in graph.step_order}
    for index in graph.forward_flows():  # flow order, which settles ties below
        flow = data.flows[index]
        successors[flow.source].append(flow.target)
    order = topological_order(data, graph)

    # Best continuation from each step, computed from the last step backwards: to an end
    # step if one is reachable, otherwise the longest continuation of any kind.
    to_end: dict[str, tuple[Decimal, tuple[str, ...]] | None] = {}
    longest: dict[str, tuple[Decimal, tuple[str, ...]]] = {}
    for key in reversed(order):
        best_end = (weight[key], (key,)) if kind[key] == "end" else None
        best_any = None
        for target in successors[key]:
            if kind[key] != "end" and to_end[target] is not None:
                total = weight[key] + to_end[target][0]
                if best_end is None or total > best_end[0]:
                    best_end = (total, (key, *to_end[target][1]))
            total = weight[key] + longest[target][0]
            if best_any is None or total > best_any[0]:
                best_any = (total, (key, *longest[target][1]))
        to_end[key] = best_end
        longest[key] = best_any or (weight[key], (key,))
    if to_end[graph.start] is not None:
        return to_end[graph.start][1], True
    return longest[graph.start][1], False


def _problems(data: MapData, graph: FlowGraph, path_reaches_end: bool) -> list[str]:
    problems: list[str] = []
    if not data.steps:
        return ["There are no steps yet."]
    if not graph.start_is_explicit:
        problems.append(
            f"There is no start step; the figures start from {_quote(data, graph.start)}."
        )
    elif sum(step.kind == "start" for step in data.steps) > 1:
        problems.append(
            f"There is more than one start step; the figures start from "
            f"{_quote(data, graph.start)}."
        )
    if not any(s.kind == "end" for s in data.steps):
        problems.append("There is no end step.")
    elif not path_reaches_end:
        problems.append(
            "No end step can be reached from the start; the main path is the longest path "
            "from the start."
        )
    unreachable = [s.key for s in data.steps if s.key not in graph.reachable]
    if unreachable:
        names = ", ".join(_quote(data, key) for key in unreachable)
        problems.append(f"These steps cannot be reached from the start: {names}.")
    for index in graph.loop_flows:
        flow = data.flows[index]
        problems.append(
            f"The flow from {_quote(data, flow.source)} back to {_quote(data, flow.target)} "
            f"makes a loop; it was left out of the main path."
        )
    known = set(graph.step_order)
    broken = sum(1 for f in data.flows if f.source not in known or f.target not in known)
    if broken:
        problems.append(f"{broken} flow(s) refer to a step that does not exist; ignored.")
    outgoing = {key: 0 for key in known}
    for index in graph.usable_flows:
        outgoing[data.flows[index].source] += 1
    for step in data.steps:
        if step.kind == "decision" and outgoing[step.key] < 2:
            problems.append(
                f"The decision {_quote(data, step.key)} has fewer than two outgoing flows."
            )
    return problems


def compute_figures(data: MapData) -> Figures:
    graph = analyse(data)
    path, reaches_end = main_path(data, graph)
    on_path = [data.step(key) for key in path]
    lead_time = sum((s.process_minutes + s.wait_minutes for s in on_path), Decimal(0))
    value_added = sum((s.process_minutes for s in on_path if s.value_class == "va"), Decimal(0))
    rolled = Decimal(1)
    for step in on_path:
        rolled *= Decimal(step.percent_complete_accurate) / 100
    lane_of = {s.key: s.lane for s in data.steps}
    hand_offs = sum(
        1
        for index in graph.usable_flows
        if lane_of[data.flows[index].source] != lane_of[data.flows[index].target]
    )
    return Figures(
        main_path=path,
        lead_time_minutes=_minutes(lead_time),
        value_added_minutes=_minutes(value_added),
        process_cycle_efficiency=(
            _percent(value_added / lead_time * 100) if lead_time > 0 else None
        ),
        rolled_percent_complete_accurate=_percent(rolled * 100),
        hand_offs=hand_offs,
        customer_touchpoints=sum(1 for s in data.steps if s.customer_touchpoint),
        total_cost=_minutes(sum((s.cost for s in on_path), Decimal(0))),
        step_count=len(data.steps),
        problems=tuple(_problems(data, graph, reaches_end)),
    )


# ---------------------------------------------------------------------------------------
# Before and after


@dataclass(frozen=True)
class ComparisonRow:
    kind: str  # "figure" or "kpi"
    label: str
    unit: str
    before: Decimal | int | None
    after: Decimal | int | None
    change: Decimal | int | None  # after - before
    verdict: str  # "better", "worse", "same" or "" (no direction, or a side is missing)


@dataclass(frozen=True)
class Comparison:
    before: Figures
    after: Figures
    rows: tuple[ComparisonRow, ...]


# (label, unit, Figures attribute, direction): +1 higher is better, -1 lower is better,
# 0 neither. Value-added time has no direction: less of it is not waste removed, and PCE
# already rewards cutting waits. Step count and touchpoints are context, not targets.
FIGURE_ROWS = (
    ("Steps", "steps", "step_count", 0),
    ("Lead time", "min", "lead_time_minutes", -1),
    ("Value-added time", "min", "value_added_minutes", 0),
    ("Process cycle efficiency", "%", "process_cycle_efficiency", +1),
    ("Rolled % complete and accurate", "%", "rolled_percent_complete_accurate", +1),
    ("Hand-offs", "hand-offs", "hand_offs", -1),
    ("Customer touchpoints", "touchpoints", "customer_touchpoints", 0),
    ("Total cost per case", "£", "total_cost", -1),
)


def _verdict(before, after, direction: int) -> tuple[Decimal | int | None, str]:
    if before is None or after is None:
        return None, ""
    change = after - before
    if direction == 0:
        return change, ""
    if change == 0:
        return change, "same"
    improved = (change > 0) == (direction > 0)
    return change, "better" if improved else "worse"


def _kpi_value(kpi) -> Decimal | None:
    if kpi is None:
        return None
    return kpi.measured if kpi.measured is not None else kpi.baseline


def compare(before: MapData, after: MapData) -> Comparison:
    """Every figure and every KPI side by side (KPIs matched by name, ignoring case)."""
    before_figures, after_figures = compute_figures(before), compute_figures(after)
    rows: list[ComparisonRow] = []
    for label, unit, attribute, direction in FIGURE_ROWS:
        old, new = getattr(before_figures, attribute), getattr(after_figures, attribute)
        change, verdict = _verdict(old, new, direction)
        rows.append(ComparisonRow("figure", label, unit, old, new, change, verdict))

    def name_key(kpi) -> str:
        return " ".join(kpi.name.split()).casefold()

    before_kpis: dict[str, object] = {}
    for kpi in before.kpis:
        before_kpis.setdefault(name_key(kpi), kpi)
    after_kpis: dict[str, object] = {}
    for kpi in after.kpis:
        after_kpis.setdefault(name_key(kpi), kpi)
    names = list(before_kpis) + [name for name in after_kpis if name not in before_kpis]
    for name in names:
        old_kpi, new_kpi = before_kpis.get(name), after_kpis.get(name)
        # Label, unit and direction all from one side: the earlier version's, where both
        # have it (the baseline the change is measured against).
        kpi = old_kpi or new_kpi
        old_value, new_value = _kpi_value(old_kpi), _kpi_value(new_kpi)
        change, verdict = _verdict(old_value, new_value, 1 if kpi.higher_is_better else -1)
        rows.append(ComparisonRow("kpi", kpi.name, kpi.unit, old_value, new_value, change, verdict))
    return Comparison(before=before_figures, after=after_figures, rows=tuple(rows))
