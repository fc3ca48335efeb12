"""A worked example: complaint handling, as it is and as it could be.

Used by the demo centre (seed_demo), by the figures' tests (whose expected values are worked
out by hand in tests/processes/test_figures.py) and by the renderers' golden files.
"""

from decimal import Decimal as D

from processes.diagram import CauseData, FlowData, KpiData, LaneData, MapData, SipocRowData
from processes.diagram import StepData as S

# fmt: off
LANES = (
    LaneData("customer", "Customer"),
    LaneData("adviser", "Front-line adviser"),
    LaneData("complaints", "Complaints team"),
)

# As is: every complaint the adviser cannot fix goes to the complaints team by email, waits
# in their inbox, and comes back to the adviser to call the customer.
CURRENT = MapData(
    title="Complaint handling",
    subtitle="Version 1, current state (as is)",
    lanes=LANES,
    steps=(
        S("start", "customer", "start", "Customer complains", customer_touchpoint=True),
        S("log", "adviser", "task", "Log complaint", inputs="Call or email",
          outputs="Complaint record", customer_touchpoint=True, value_class="bn",
          process_minutes=D(10), wait_minutes=D(5), percent_complete_accurate=D(90),
          cost=D("4.00")),
        S("fix", "adviser", "decision", "Can the adviser resolve it?", process_minutes=D(5),
          value_class="bn", cost=D("2.00")),
        S("refer", "adviser", "task", "Email to complaints team", outputs="Referral email",
          value_class="nva", process_minutes=D(5), percent_complete_accurate=D(80),
          cost=D("2.00")),
        S("investigate", "complaints", "task", "Investigate", inputs="Referral email",
          outputs="Findings", value_class="va", process_minutes=D(45), wait_minutes=D(2880),
          percent_complete_accurate=D(95), cost=D("30.00")),
        S("handback", "adviser", "task", "Call customer with outcome", inputs="Findings",
          customer_touchpoint=True, value_class="va", process_minutes=D(15),
          wait_minutes=D(1440), cost=D("6.00")),
        S("resolve", "adviser", "task", "Resolve on the call", customer_touchpoint=True,
          value_class="va", process_minutes=D(10), cost=D("4.00")),
        S("end", "customer", "end", "Complaint closed", customer_touchpoint=True),
    ),
    flows=(
        FlowData("start", "log"),
        FlowData("log", "fix"),
        FlowData("fix", "resolve", "Yes"),
        FlowData("fix", "refer", "No"),
        FlowData("refer", "investigate"),
        FlowData("investigate", "handback"),
        FlowData("handback", "end"),
        FlowData("resolve", "end"),
    ),
    sipoc=(
        SipocRowData("Customer", "Complaint (call, email)", "Log complaint", "Complaint record",
                     "Complaints team"),
        SipocRowData("Adviser", "Complaint record", "Investigate", "Findings", "Adviser"),
        SipocRowData("Complaints team", "Findings", "Respond to customer", "Outcome call",
                     "Customer"),
    ),
    causes=(
        CauseData("people", "Advisers not trained to offer remedies"),
        CauseData("process", "Every unresolved complaint goes through email"),
        CauseData("equipment", "CRM has no complaint status"),
        CauseData("measurement", "Nobody tracks time to resolve"),
    ),
    effect="Complaints take three days to resolve",
    kpis=(
        KpiData("Resolution time", "hours", higher_is_better=False, baseline=D(72),
                target=D(24), measured=D(72), source="CRM report, June"),
        KpiData("First contact resolution", "%", baseline=D(40), target=D(70), measured=D(40),
                source="Call logging sample of 200 calls"),
        KpiData("Customer satisfaction (CSAT)", "score out of 5", baseline=D("3.1"),
                target=D("4.2"), measured=D("3.1"), source="Post-contact survey"),
    ),
)

# To be: advisers may offer remedies up to a limit; the rest goes to a complaints specialist
# who calls the customer directly (no hand-back, one fewer hand-off).
FUTURE = MapData(
    title="Complaint handling",
    subtitle="Version 2, future state (to be)",
    lanes=LANES,
    steps=(
        S("start", "customer", "start", "Customer complains", customer_touchpoint=True),
        S("log", "adviser", "task", "Log complaint in CRM", inputs="Call or email",
          outputs="Complaint record", customer_touchpoint=True, value_class="bn",
          process_minutes=D(8), wait_minutes=D(2), percent_complete_accurate=D(98),
          cost=D("3.20")),
        S("fix", "adviser", "decision", "Within the adviser's remedy limit?",
          process_minutes=D(2), value_class="bn", cost=D("0.80")),
        S("investigate", "complaints", "task", "Investigate and call customer",
          inputs="Complaint record", outputs="Outcome", customer_touchpoint=True,
          value_class="va", process_minutes=D(50), wait_minutes=D(240),
          percent_complete_accurate=D(97), cost=D("33.00")),
        S("resolve", "adviser", "task", "Resolve on the call", customer_touchpoint=True,
          value_class="va", process_minutes=D(10), cost=D("4.00")),
        S("end", "customer", "end", "Complaint closed", customer_touchpoint=True),
    ),
    flows=(
        FlowData("start", "log"),
        FlowData("log", "fix"),
        FlowData("fix", "resolve", "Yes"),
        FlowData("fix", "investigate", "No"),
        FlowData("investigate", "end"),
        FlowData("resolve", "end"),
    ),
    sipoc=CURRENT.sipoc,
    causes=CURRENT.causes,
    effect=CURRENT.effect,
    kpis=(
        KpiData("Resolution time", "hours", higher_is_better=False, baseline=D(72),
                target=D(24), measured=D(6), source="CRM report, October"),
        KpiData("First contact resolution", "%", baseline=D(40), target=D(70), measured=D(68),
                source="Call logging sample of 200 calls"),
        KpiData("Customer satisfaction (CSAT)", "score out of 5", baseline=D("3.1"),
                target=D("4.2"), measured=D("4.3"), source="Post-contact survey"),
    ),
)
# fmt: on
