"""Figures of processes.figures, checked against values worked out by hand in the comments."""

from decimal import Decimal as D

from processes.diagram import FlowData, KpiData, LaneData, MapData, StepData
from processes.examples import CURRENT, FUTURE
from processes.figures import compare, compute_figures

LANES = (LaneData("one", "Lane one"), LaneData("two", "Lane two"))


def step(key, kind="task", lane="one", **fields):
    return StepData(key=key, lane=lane, kind=kind, label=key.title(), **fields)


def flows(*pairs):
    return tuple(FlowData(*pair) for pair in pairs)


def test_current_complaint_handling():
    figures = compute_figures(CURRENT)
    # Start to end there are two ways: via "resolve" (0 + 15 + 5 + 10 = 30 min) and via
    # "refer" (0 + 15 + 5 + 5 + 2925 + 1455 + 0 = 4405 min). The longer one is the main path.
    assert figures.main_path == ("start", "log", "fix", "refer", "investigate", "handback", "end")
    # log 10+5, fix 5+0, refer 5+0, investigate 45+2880, handback 15+1440
    assert figures.lead_time_minutes == D("4405.00")
    # Value-added on the path: investigate 45 + handback 15.
    assert figures.value_added_minutes == D("60.00")
    # 60 / 4405 x 100 = 1.362...%
    assert figures.process_cycle_efficiency == D("1.4")
    # 0.90 (log) x 0.80 (refer) x 0.95 (investigate) = 0.684; the others are 100%.
    assert figures.rolled_percent_complete_accurate == D("68.4")
    # 4.00 + 2.00 + 2.00 + 30.00 + 6.00
    assert figures.total_cost == D("44.00")
    # Lane changes: start->log, refer->investigate, investigate->handback, handback->end,
    # resolve->end.
    assert figures.hand_offs == 5
    # start, log, handback, resolve, end
    assert figures.customer_touchpoints == 5
    assert figures.step_count == 8
    assert figures.problems == ()


def test_future_complaint_handling():
    figures = compute_figures(FUTURE)
    # Via investigate: 10 (log) + 2 (fix) + 290 (investigate) = 302; via resolve: 22.
    assert figures.main_path == ("start", "log", "fix", "investigate", "end")
    assert figures.lead_time_minutes == D("302.00")
    assert figures.value_added_minutes == D("50.00")
    # 50 / 302 x 100 = 16.556...%
    assert figures.process_cycle_efficiency == D("16.6")
    # 0.98 x 0.97 = 0.9506
    assert figures.rolled_percent_complete_accurate == D("95.1")
    # 3.20 + 0.80 + 33.00
    assert figures.total_cost == D("37.00")
    # start->log, fix->investigate, investigate->end, resolve->end
    assert figures.hand_offs == 4
    assert figures.customer_touchpoints == 5


def test_linear_map():
    data = MapData(
        title="Linear",
        lanes=LANES,
        steps=(
            step("start", "start"),
            step(
                "a",
                process_minutes=D(10),
                wait_minutes=D(20),
                value_class="va",
                percent_complete_accurate=D(90),
                cost=D("5.00"),
                customer_touchpoint=True,
            ),
            step(
                "b",
                lane="two",
                process_minutes=D(30),
                value_class="nva",
                percent_complete_accurate=D(50),
                cost=D("2.50"),
            ),
            step("end", "end", lane="two"),
        ),
        flows=flows(("start", "a"), ("a", "b"), ("b", "end")),
    )
    figures = compute_figures(data)
    assert figures.main_path == ("start", "a", "b", "end")
    assert figures.lead_time_minutes == D("60.00")  # 10 + 20 + 30
    assert figures.value_added_minutes == D("10.00")  # only a is value-added
    assert figures.process_cycle_efficiency == D("16.7")  # 10 / 60 = 16.66...%
    assert figures.rolled_percent_complete_accurate == D("45.0")  # 0.9 x 0.5
    assert figures.total_cost == D("7.50")
    assert figures.hand_offs == 1  # a (lane one) -> b (lane two)
    assert figures.customer_touchpoints == 1
    assert figures.problems == ()


def test_rework_loop_is_left_out_of_the_main_path():
    data = MapData(
        title="Rework",
        lanes=LANES,
        steps=(
            step("start", "start"),
            step("a", process_minutes=D(10)),
            step("check", "decision", process_minutes=D(5)),
            step("end", "end"),
        ),
        # The loop flow is listed first on purpose: the walk from the start still finds it
        # as the flow that closes the loop.
        flows=flows(("check", "a", "Rework"), ("start", "a"), ("a", "check"), ("check", "end")),
    )
    figures = compute_figures(data)
    assert figures.main_path == ("start", "a", "check", "end")
    assert figures.lead_time_minutes == D("15.00")  # a 10 + check 5, each counted once
    assert figures.problems == (
        "The flow from “Check” back to “A” makes a loop; it was left out of the main path.",
    )


def test_no_start_step_uses_the_first_step_without_incoming_flow():
    data = MapData(
        title="No start",
        lanes=LANES,
        steps=(
            step("b", process_minutes=D(2)),
            step("a", process_minutes=D(1)),
            step("end", "end"),
        ),
        flows=flows(("a", "b"), ("b", "end")),
    )
    figures = compute_figures(data)
    # "b" comes first in step order but has an incoming flow; "a" has none.
    assert figures.main_path == ("a", "b", "end")
    assert figures.lead_time_minutes == D("3.00")
    assert "There is no start step; the figures start from “A”." in figures.problems


def test_zero_times_give_no_efficiency():
    data = MapData(
        title="Zero",
        lanes=LANES,
        steps=(step("start", "start"), step("a", value_class="va"), step("end", "end")),
        flows=flows(("start", "a"), ("a", "end")),
    )
    figures = compute_figures(data)
    assert figures.lead_time_minutes == D("0.00")
    assert figures.process_cycle_efficiency is None
    assert figures.rolled_percent_complete_accurate == D("100.0")
    assert figures.total_cost == D("0.00")


def test_decision_with_one_branch_is_reported():
    data = MapData(
        title="One branch",
        lanes=LANES,
        steps=(step("start", "start"), step("d", "decision"), step("end", "end")),
        flows=flows(("start", "d"), ("d", "end", "Yes")),
    )
    figures = compute_figures(data)
    assert figures.main_path == ("start", "d", "end")
    assert figures.problems == ("The decision “D” has fewer than two outgoing flows.",)


def test_equal_paths_are_settled_by_flow_order():
    steps = (
        step("start", "start"),
        step("x", process_minutes=D(10)),
        step("y", wait_minutes=D(10)),
        step("end", "end"),
    )
    via_y_first = flows(("start", "y"), ("start", "x"), ("x", "end"), ("y", "end"))
    via_x_first = flows(("start", "x"), ("start", "y"), ("x", "end"), ("y", "end"))
    data = MapData(title="Tie", lanes=LANES, steps=steps, flows=via_y_first)
    assert compute_figures(data).main_path == ("start", "y", "end")
    data = MapData(title="Tie", lanes=LANES, steps=steps, flows=via_x_first)
    assert compute_figures(data).main_path == ("start", "x", "end")


def test_longer_branch_wins_even_when_listed_second():
    data = MapData(
        title="Branches",
        lanes=LANES,
        steps=(
            step("start", "start"),
            step("quick", process_minutes=D(1)),
            step("slow", process_minutes=D(1), wait_minutes=D(100)),
            step("end", "end"),
        ),
        flows=flows(("start", "quick"), ("start", "slow"), ("quick", "end"), ("slow", "end")),
    )
    figures = compute_figures(data)
    assert figures.main_path == ("start", "slow", "end")
    assert figures.lead_time_minutes == D("101.00")


def test_unreachable_end_and_steps():
    data = MapData(
        title="Broken",
        lanes=LANES,
        steps=(
            step("start", "start"),
            step("a", process_minutes=D(4)),
            step("b", process_minutes=D(6)),
            step("end", "end"),
        ),
        flows=flows(("start", "a"), ("a", "b"), ("b", "nowhere")),
    )
    figures = compute_figures(data)
    # No end is reachable: the longest path from the start is used instead.
    assert figures.main_path == ("start", "a", "b")
    assert figures.lead_time_minutes == D("10.00")
    assert figures.problems == (
        "No end step can be reached from the start; the main path is the longest path from "
        "the start.",
        "These steps cannot be reached from the start: “End”.",
        "1 flow(s) refer to a step that does not exist; ignored.",
    )


def test_no_end_step_is_reported():
    data = MapData(
        title="No end",
        lanes=LANES,
        steps=(step("start", "start"), step("a", process_minutes=D(3))),
        flows=flows(("start", "a")),
    )
    figures = compute_figures(data)
    assert figures.main_path == ("start", "a")
    assert figures.problems == ("There is no end step.",)


def test_empty_map():
    figures = compute_figures(MapData(title="Empty"))
    assert figures.main_path == ()
    assert figures.lead_time_minutes == D("0.00")
    assert figures.process_cycle_efficiency is None
    assert figures.step_count == 0
    assert figures.problems == ("There are no steps yet.",)


def test_rounding_is_half_up():
    data = MapData(
        title="Rounding",
        lanes=LANES,
        steps=(
            step("start", "start"),
            # 1 / 8 = 12.5% exactly: half up gives 12.5; 0.125 min of value added rounds
            # half up to 0.13.
            step("a", process_minutes=D("0.125"), value_class="va", cost=D("0.005")),
            step("b", process_minutes=D("0.875")),
            step("end", "end"),
        ),
        flows=flows(("start", "a"), ("a", "b"), ("b", "end")),
    )
    figures = compute_figures(data)
    assert figures.value_added_minutes == D("0.13")
    assert figures.lead_time_minutes == D("1.00")
    assert figures.process_cycle_efficiency == D("12.5")
    assert figures.total_cost == D("0.01")


def rows_by_label(comparison):
    return {row.label: row for row in comparison.rows}


def test_compare_current_and_future():
    rows = rows_by_label(compare(CURRENT, FUTURE))
    hand_offs = rows["Hand-offs"]
    assert (hand_offs.before, hand_offs.after, hand_offs.change) == (5, 4, -1)
    assert hand_offs.verdict == "better"
    lead = rows["Lead time"]
    assert (lead.before, lead.after, lead.change) == (D("4405.00"), D("302.00"), D("-4103.00"))
    assert lead.verdict == "better"
    assert rows["Process cycle efficiency"].change == D("15.2")  # 16.6 - 1.4
    assert rows["Process cycle efficiency"].verdict == "better"
    assert rows["Rolled % complete and accurate"].verdict == "better"
    assert rows["Total cost per case"].change == D("-7.00")
    assert rows["Total cost per case"].verdict == "better"
    touchpoints = rows["Customer touchpoints"]
    assert (touchpoints.before, touchpoints.after, touchpoints.verdict) == (5, 5, "")
    # KPIs compare measured values; resolution time is lower-is-better.
    resolution = rows["Resolution time"]
    assert (resolution.kind, resolution.before, resolution.after) == ("kpi", D(72), D(6))
    assert resolution.verdict == "better"
    assert rows["Customer satisfaction (CSAT)"].change == D("1.2")
    assert rows["Customer satisfaction (CSAT)"].verdict == "better"
    assert [row.kind for row in compare(CURRENT, FUTURE).rows].count("kpi") == 3


def test_compare_kpis_by_name_with_fallbacks_and_one_sided_rows():
    before = MapData(
        title="Before",
        kpis=(
            KpiData("Error rate", "%", higher_is_better=False, baseline=D(8)),
            KpiData("Old measure", "count", baseline=D(3), measured=D(4)),
        ),
    )
    after = MapData(
        title="After",
        kpis=(
            KpiData("ERROR  rate", "%", higher_is_better=False, baseline=D(8), measured=D(11)),
            KpiData("New measure", "count", measured=D(2)),
        ),
    )
    rows = [row for row in compare(before, after).rows if row.kind == "kpi"]
    assert [(r.label, r.before, r.after, r.change, r.verdict) for r in rows] == [
        # Before has no measured value, so its baseline (8) stands; 11 is worse (lower wins).
        ("Error rate", D(8), D(11), D(3), "worse"),
        ("Old measure", D(4), None, None, ""),
        ("New measure", None, D(2), None, ""),
    ]


def test_compare_same_and_worse_figures():
    rows = rows_by_label(compare(FUTURE, CURRENT))
    assert rows["Hand-offs"].verdict == "worse"
    assert rows["Lead time"].verdict == "worse"
    assert rows["Steps"].verdict == ""
    same = rows_by_label(compare(CURRENT, CURRENT))
    assert same["Lead time"].verdict == "same"
    assert same["Lead time"].change == D("0.00")
