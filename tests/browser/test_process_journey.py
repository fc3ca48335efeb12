"""The process design issue's "done when", in the browser: a learner maps a current-state
complaint-handling process (three lanes, a decision, waits), records a KPI, gets it approved,
starts a future-state version with fewer hand-offs, gets that approved, compares them,
downloads the BPMN and adds both versions to the portfolio."""

import re
from pathlib import Path

import pytest
from defusedxml import ElementTree
from django.core import mail
from playwright.sync_api import expect

from evidence.models import EvidenceItem, EvidenceKind
from processes.bpmn import import_bpmn
from processes.diagram import map_data_for
from processes.figures import compute_figures
from processes.models import ProcessVersion

pytestmark = pytest.mark.usefixtures("demo")

DESKTOP = {"width": 1366, "height": 900}


def add_row(page, button: str, count_before: int, locator: str):
    """Click an "Add ..." button and wait for htmx to bring back one more row."""
    page.get_by_role("button", name=button).click()
    expect(page.locator(locator)).to_have_count(count_before + 1)


def fill_step(page, index: int, label: str, lane: str, kind: str, minutes="", wait=""):
    step = page.locator("#editor-body details.editor-row").nth(index)
    if step.get_attribute("open") is None:
        step.locator("summary").click()
    step.get_by_label("Step", exact=True).fill(label)
    step.get_by_label("Lane").select_option(label=lane)
    step.get_by_label("Kind").select_option(label=kind)
    if minutes:
        step.get_by_label("Process time (min)").fill(minutes)
    if wait:
        step.get_by_label("Wait before (min)").fill(wait)


def connect(page, index: int, source: str, target: str, condition: str = ""):
    row = page.locator("#editor-body select[name$='-source']").nth(index)
    row.select_option(label=source)
    page.locator("#editor-body select[name$='-target']").nth(index).select_option(label=target)
    if condition:
        page.locator("#editor-body input[name$='-condition']").nth(index).fill(condition)


def approve(page, live_server, who: str):
    """The learner asks for approval and emails the stakeholder a link; the stakeholder (no
    account) opens it, sees the version and approves it. A learner records no decision."""
    page.get_by_role("button", name="Ask for approval").click()
    expect(page.get_by_text("is waiting for approval")).to_be_visible()
    page.get_by_role("link", name="Ask a stakeholder to decide").click()
    page.get_by_label("Stakeholder's name").fill(who)
    page.get_by_label("Stakeholder's role").fill("Customer service manager")
    page.get_by_label("Stakeholder's email address").fill("manager@riverside-hotel.example")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_text(re.compile(f"A link went to {who}"))).to_be_visible()
    link = re.search(r"http://\S+/process-approval/\S+/", mail.outbox[-1].body)[0]
    stakeholder = page.context.browser.new_context().new_page()
    stakeholder.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    stakeholder.get_by_label("Approved", exact=True).check()
    stakeholder.get_by_label("Type your full name").fill(who)
    stakeholder.get_by_role("button", name="Record my decision").click()
    expect(stakeholder.get_by_role("heading", name=re.compile("Thank you"))).to_be_visible()
    stakeholder.context.close()
    page.reload()
    expect(page.get_by_text(re.compile("approved", re.I)).first).to_be_visible()


def test_learner_maps_improves_and_adds_a_process(page, log_in, live_server, screenshot):
    page.set_viewport_size(DESKTOP)
    log_in(page, "learner")
    page.get_by_role("link", name="Process maps").first.click()
    page.get_by_role("link", name="New process map").click()
    page.get_by_label("Title").fill("Complaint handling")
    page.get_by_label("Business need").fill("Complaints take three days; customers leave.")
    page.get_by_label("Swimlane flowchart").check()
    page.get_by_label("Value-stream map").check()
    page.get_by_role("button", name="Create map").click()
    expect(page.get_by_text("Map created.")).to_be_visible()

    # Three lanes.
    lanes = "#editor-body input[name$='-name'][name^='lanes']"
    for index, name in enumerate(["Customer", "Front-line adviser", "Complaints team"]):
        add_row(page, "Add a lane", index, lanes)
        page.locator(lanes).nth(index).fill(name)

    # Steps: a decision and waits.
    steps = [
        ("Customer complains", "Customer", "Start", "", ""),
        ("Log complaint", "Front-line adviser", "Task", "10", "5"),
        ("Can the adviser resolve it?", "Front-line adviser", "Decision", "5", ""),
        ("Resolve on the call", "Front-line adviser", "Task", "10", ""),
        ("Investigate", "Complaints team", "Task", "45", "2880"),
        ("Call customer with outcome", "Front-line adviser", "Task", "15", "1440"),
        ("Complaint closed", "Customer", "End", "", ""),
    ]
    for index, step in enumerate(steps):
        add_row(page, "Add a step", index, "#editor-body details.editor-row")
        fill_step(page, index, *step)

    flows = [
        ("Customer complains", "Log complaint", ""),
        ("Log complaint", "Can the adviser resolve it?", ""),
        ("Can the adviser resolve it?", "Resolve on the call", "Yes"),
        ("Can the adviser resolve it?", "Investigate", "No"),
        ("Investigate", "Call customer with outcome", ""),
        ("Call customer with outcome", "Complaint closed", ""),
        ("Resolve on the call", "Complaint closed", ""),
    ]
    for index, flow in enumerate(flows):
        add_row(page, "Add a flow", index, "#editor-body select[name$='-source']")
        connect(page, index, *flow)

    # A KPI.
    add_row(page, "Add a KPI", 0, "#editor-body input[name^='kpis'][name$='-name']")
    kpi = page.locator("#editor-body details.editor-row").last
    kpi.get_by_label("KPI").fill("Resolution time")
    kpi.get_by_label("Unit").fill("hours")
    kpi.get_by_label("Higher is better").uncheck()
    kpi.get_by_label("Baseline", exact=True).fill("72")
    kpi.get_by_label("Target", exact=True).fill("24")
    kpi.get_by_label("Measured", exact=True).fill("72")

    # The live preview draws the unsaved map with the same renderer as the PDF.
    preview = page.locator("#preview")
    expect(preview.locator("svg")).to_contain_text("Call customer with")
    expect(preview).to_contain_text("Hand-offs between lanes")
    screenshot(page, "process-editor-current")
    page.get_by_role("button", name="Save version 1").click()
    expect(page.get_by_text("Version 1 saved.")).to_be_visible()

    current = ProcessVersion.objects.get(number=1)
    current_figures = compute_figures(map_data_for(current))
    assert current_figures.hand_offs == 5
    # 10 + 5 wait, 5, 45 + 2880 wait, 15 + 1440 wait along the slower "No" branch.
    assert current_figures.lead_time_minutes == 4400

    approve(page, live_server, "Priya Shah")

    # A future-state version: the complaints team calls the customer itself.
    page.get_by_label("Future state (to be)").check()
    page.get_by_label("What you mean to change, and why").fill("No hand-back to the adviser.")
    page.get_by_role("button", name="Start version").click()
    expect(page.get_by_role("heading", name="Complaint handling: version 2")).to_be_visible()
    step = page.locator("#editor-body details.editor-row").nth(4)
    step.locator("summary").click()
    step.get_by_label("Step", exact=True).fill("Investigate and call customer")
    step.get_by_label("Wait before (min)").fill("240")
    page.locator("#editor-body details.editor-row").nth(5).locator("summary").click()
    page.locator("#editor-body details.editor-row").nth(5).get_by_label("Delete").check()
    flow_count = page.locator("#editor-body select[name$='-source']").count()
    add_row(page, "Add a flow", flow_count, "#editor-body select[name$='-source']")
    connect(page, flow_count, "Investigate and call customer", "Complaint closed")
    page.get_by_role("button", name="Save version 2").click()
    expect(page.get_by_text("Version 2 saved.")).to_be_visible()
    approve(page, live_server, "Priya Shah")

    future = ProcessVersion.objects.get(number=2)
    assert compute_figures(map_data_for(future)).hand_offs < current_figures.hand_offs

    # Before and after.
    page.get_by_role("link", name="Complaint handling").first.click()
    page.get_by_role("link", name="Before and after").click()
    row = page.get_by_role("row", name=re.compile("Hand-offs"))
    expect(row).to_contain_text("better")
    screenshot(page, "process-before-after")

    # BPMN download: a BPMN 2.0 file our importer (and bpmn.io's parser, in test_bpmn) reads.
    page.goto(f"{live_server.url}/process-versions/{future.pk}/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download BPMN").click()
    raw = Path(download_info.value.path()).read_bytes()
    assert ElementTree.fromstring(raw).tag.endswith("definitions")
    assert [s.label for s in import_bpmn(raw).data.steps] == [
        s.label for s in map_data_for(future).steps
    ]

    # Both versions into the portfolio.
    for version in (current, future):
        page.goto(f"{live_server.url}/process-versions/{version.pk}/")
        page.get_by_role("button", name="Add to portfolio").click()
        expect(page.get_by_text("Added to your portfolio")).to_be_visible()
    items = EvidenceItem.objects.filter(kind=EvidenceKind.PROCESS_MAP)
    assert items.count() == 2
    screenshot(page, "process-added-item")
