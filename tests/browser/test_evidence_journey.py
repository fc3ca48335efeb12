"""A learner builds and submits an evidence item in the browser, as the evidence issue's
"done when" describes; screenshots of each page at desktop and phone widths."""

import re

import pytest
from playwright.sync_api import expect

from evidence.models import EvidenceFile, EvidenceItem
from portfolio_site.accounts.models import Centre, Role
from tests.evidence import samples
from tests.factories import TEST_PASSWORD, member

pytestmark = pytest.mark.usefixtures("demo")

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def fits_the_screen(page) -> bool:
    """Nothing spills off the right edge (no sideways scrolling on a phone)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


@pytest.fixture
def evidence_files(tmp_path):
    pdf = tmp_path / "Complaints process - swimlane.pdf"
    pdf.write_bytes(samples.pdf())
    photo = tmp_path / "Whiteboard SIPOC.png"
    photo.write_bytes(samples.png())
    return [pdf, photo]


def test_learner_builds_maps_and_submits_an_item(
    page, log_in, live_server, screenshot, evidence_files, browser
):
    page.set_viewport_size(DESKTOP)
    log_in(page, "learner")
    screenshot(page, "evidence-dashboard-empty")

    # Create the item.
    page.get_by_role("link", name="Add evidence").first.click()
    page.get_by_label("Title*", exact=True).fill("Complaints process redesign")
    page.get_by_label("Type of evidence").select_option(label="Work product or document")
    page.locator("trix-editor").click()
    page.keyboard.type("I mapped our complaints process with a swimlane and a SIPOC.")
    screenshot(page, "evidence-item-form")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()

    # Two files, uploaded with progress bars.
    page.get_by_label("Add files").set_input_files(evidence_files)
    file_list = page.locator("#file-list")
    expect(file_list.get_by_role("link", name="Whiteboard SIPOC.png")).to_be_visible()
    expect(file_list.get_by_role("link", name="Complaints process - swimlane.pdf")).to_be_visible()
    screenshot(page, "evidence-item-files")

    # Map it to criteria in two units, with references; the search narrows the list.
    page.get_by_role("link", name="Map it to criteria").click()
    page.get_by_label("Find a criterion").fill("SIPOC")
    expect(page.get_by_text("matching")).to_be_visible()
    page.get_by_label("Find a criterion").fill("")
    design = page.get_by_role("region", name="Design business processes")
    design.get_by_label(re.compile(r"1\.2 Use a recognised process mapping tool")).check()
    design.get_by_label(re.compile("Where and how does it meet 1.2")).fill(
        "Page 2, the SIPOC photo"
    )
    quality = page.get_by_role("region", name="Review the quality of customer service")
    quality.get_by_label(re.compile(r"2\.1 Produce a documented plan")).check()
    quality.get_by_label(re.compile("Where and how does it meet 2.1")).fill(
        "Page 4, the measurement plan"
    )
    screenshot(page, "evidence-criteria-picker")
    page.set_viewport_size(PHONE)
    screenshot(page, "evidence-criteria-picker-phone")
    assert fits_the_screen(page)
    page.set_viewport_size(DESKTOP)
    page.get_by_role("button", name="Save criteria").click()
    expect(page.get_by_text("Criteria saved: 2 added")).to_be_visible()

    # Submit with the declaration.
    page.get_by_role("link", name="Submit for assessment").click()
    page.get_by_label(re.compile("this evidence is my own work")).check()
    screenshot(page, "evidence-submit")
    page.get_by_role("button", name="Submit for assessment").click()
    expect(page.get_by_text("Submitted. Your assessor will review it.")).to_be_visible()
    screenshot(page, "evidence-item-submitted")

    # The dashboard and the grid show it.
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.get_by_text("1 submitted · 11 without evidence")).to_be_visible()
    expect(page.get_by_text("1 submitted · 2 without evidence")).to_be_visible()
    screenshot(page, "evidence-dashboard")
    page.set_viewport_size(PHONE)
    screenshot(page, "evidence-dashboard-phone")
    assert fits_the_screen(page)
    page.set_viewport_size(DESKTOP)
    page.get_by_role("link", name="Tracking grid").first.click()
    row = page.locator("tr", has_text="Use a recognised process mapping tool")
    expect(row.get_by_text("Page 2, the SIPOC photo")).to_be_visible()
    screenshot(page, "journey-1-grid")  # the quality gates' journey 1 ends here
    page.set_viewport_size(PHONE)
    screenshot(page, "evidence-grid-phone")
    assert fits_the_screen(page)

    # The files download for the learner and their assessor, and not for another learner.
    urls = [f"{live_server.url}/files/{f.pk}/" for f in EvidenceFile.objects.order_by("pk")]
    assert len(urls) == 2 and EvidenceItem.objects.get().status == "submitted"
    for url in urls:
        assert page.request.get(url).status == 200
    assessor = browser.new_context()
    other = browser.new_context()
    try:
        assessor_page, other_page = assessor.new_page(), other.new_page()
        log_in(assessor_page, "assessor")
        classmate = member(
            Role.LEARNER, Centre.objects.get(code="demo-centre"), username="classmate"
        )
        log_in(other_page, classmate.username, TEST_PASSWORD)
        for url in urls:
            assert assessor_page.request.get(url).status == 200
            assert other_page.request.get(url).status == 404
    finally:
        assessor.close()
        other.close()


def test_upload_refusal_is_shown_next_to_the_file(page, log_in, live_server, tmp_path, screenshot):
    page.set_viewport_size(DESKTOP)
    log_in(page, "learner")
    page.get_by_role("link", name="Add evidence").first.click()
    page.get_by_label("Title*", exact=True).fill("Meeting notes")
    page.get_by_role("button", name="Save draft").click()
    # No wait for the page's scripts: files picked before upload.js runs are still sent
    # (test_early_input.py holds the script back to prove it).
    expect(page.get_by_text("Draft saved.")).to_be_visible()

    disguised = tmp_path / "report.pdf"
    disguised.write_bytes(samples.windows_executable())
    page.get_by_label("Add files").set_input_files([disguised])

    status = page.locator(".upload-status")
    expect(status).to_contain_text("a program (executable)")
    expect(page.locator("#file-list")).to_contain_text("No files yet.")
    screenshot(page, "evidence-upload-refused")


def test_centre_admin_enrols_a_learner(page, log_in, screenshot):
    page.set_viewport_size(DESKTOP)
    log_in(page, "centreadmin")
    page.get_by_role("link", name="Enrol a learner").click()

    page.get_by_label("Learner*").select_option(label="Sam Patel (learner)")
    qualification = "Pearson Edexcel Level 3 NVQ Diploma in Customer Service (QCF)"
    page.get_by_label("Qualification*").select_option(label=qualification)
    # The optional units follow the qualification chosen (htmx swaps them in).
    unit = page.get_by_label("Review and re-engineer customer service processes")
    expect(unit).to_be_visible()
    unit.check()
    page.get_by_label("Assessor").select_option(label="Alex Morgan (assessor)")
    page.get_by_label("Internal quality assurer").select_option(label="Priya Shah (iqa)")
    page.get_by_label("Start date*").fill("2026-11-02")
    screenshot(page, "enrolment-form")
    page.get_by_role("button", name="Enrol").click()

    expect(page.get_by_text(f"Sam Patel is enrolled on {qualification}.")).to_be_visible()
    expect(page.get_by_role("cell", name=qualification)).to_be_visible()
    screenshot(page, "centre-admin-dashboard")
