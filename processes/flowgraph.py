"""The flow graph of a map: its start, the flows that close a loop, and what is reachable.

Both the figures (main path) and the swimlane layout (left-to-right layers) need a graph
without cycles. A flow "closes a loop" when a depth-first walk from the start, taking steps
in step order and flows in flow order, finds its target still on the walk's stack: the
rework arrow going back to an earlier step. Removing those flows leaves a DAG, and the
walk's fixed order makes the choice deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

from processes.diagram import MapData


@dataclass(frozen=True)
class FlowGraph:
    step_order: tuple[str, ...]  # step keys in the map's order
    start: str | None  # the step the map starts from (None when there are no steps)
    start_is_explicit: bool  # False when no step has kind "start" and one was inferred
    usable_flows: tuple[int, ...]  # indices into MapData.flows whose ends both exist
    loop_flows: tuple[int, ...]  # indices of flows that close a loop
    reachable: frozenset[str]  # steps reachable from the start (all flows)

    def forward_flows(self) -> tuple[int, ...]:
        """Usable flows that do not close a loop: the DAG's edges, in flow order."""
        loops = set(self.loop_flows)
        return tuple(index for index in self.usable_flows if index not in loops)


def find_start(data: MapData) -> tuple[str | None, bool]:
    """A step of kind "start"; else the first step with no incoming flow; else the first step."""
    for step in data.steps:
        if step.kind == "start":
            return step.key, True
    targets = {flow.target for flow in data.flows}
    for step in data.steps:
        if step.key not in targets:
            return step.key, False
    return (data.steps[0].key if data.steps else None), False


def analyse(data: MapData) -> FlowGraph:
    step_order = tuple(step.key for step in data.steps)
    known = set(step_order)
    usable = tuple(
        index
        for index, flow in enumerate(data.flows)
        if flow.source in known and flow.target in known
    )
    outgoing: dict[str, list[int]] = {key: [] for key in step_order}
    for index in usable:
        outgoing[data.flows[index].source].append(index)

    start, explicit = find_start(data)
    # Roots of the walk: the start first, then steps with no incoming flow, then the rest,
    # so that every step and flow is visited and loops away from the start are also found.
    targets = {data.flows[index].target for index in usable}
    roots = [start] if start else []
    roots += [key for key in step_order if key not in targets]
    roots += list(step_order)

    loop_flows: list[int] = []
    visited: set[str] = set()
    reachable: set[str] = set()
    for root_number, root in enumerate(roots):
        if root in visited:
            continue
        on_stack = {root}
        visited.add(root)
        if root_number == 0:
            reachable.add(root)
        stack = [(root, iter(outgoing[root]))]
        while stack:
            node, flows = stack[-1]
            index = next(flows, None)
            if index is None:
                stack.pop()
                on_stack.discard(node)
                continue
            target = data.flows[index].target
            if target in on_stack:
                loop_flows.append(index)
            elif target not in visited:
                visited.add(target)
                if root_number == 0:
                    reachable.add(target)
                on_stack.add(target)
                stack.append((target, iter(outgoing[target])))
    # A walk from a later root can reach a step the start's walk already visited; that is
    # fine, reachability is only about the walk from the start (root 0).
    return FlowGraph(
        step_order=step_order,
        start=start,
        start_is_explicit=explicit,
        usable_flows=usable,
        loop_flows=tuple(sorted(loop_flows)),
        reachable=frozenset(reachable),
    )


def topological_order(data: MapData, graph: FlowGraph) -> tuple[str, ...]:
    """Steps ordered so every forward flow goes from earlier to later; ties in step order."""
    position = {key: number for number, key in enumerate(graph.step_order)}
    indegree = dict.fromkeys(graph.step_order, 0)
    successors: dict[str, list[str]] = {key: [] for key in graph.step_order}
    for index in graph.forward_flows():
        flow = data.flows[index]
        indegree[flow.target] += 1
        successors[flow.source].append(flow.target)
    ready = sorted((key for key, count in indegree.items() if count == 0), key=position.get)
    order: list[str] = []
    while ready:
        key = ready.pop(0)
        order.append(key)
        for target in successors[key]:
            indegree[target] -= 1
            if indegree[target] == 0:
                ready.append(target)
                ready.sort(key=position.get)
    return tuple(order)
