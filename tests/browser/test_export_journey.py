"""Journey 3 of the quality gates: a centre admin exports a learner's portfolio, watches the
progress, downloads the PDF, and the test reads the PDF's text.

Production shape, not the in-process defaults: the pages come from a web server process and the
PDF is made by a Celery worker process, both on this test's database and media folder and on the
configured broker (the filesystem broker here, Redis in CI's second run). The page's own htmx
poll is what shows the job finishing; the test never reloads it.
"""

import re

import pytest
from django.core.management import call_command
from playwright.sync_api import expect
from pypdf import PdfReader

from evidence.models import Portfolio
from portfolio_site.exports.models import ExportJob, ExportStatus
from tests.subprocesses import celery_worker, project_environment, web_server

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

SERVER_SETTINGS = "tests.browser.server_settings"
TASK = "portfolio_site.exports.tasks.export_run_task"


@pytest.fixture
def demo_with_evidence(transactional_db, media_root):
    """The demo centre as `make run` seeds it, the demo learner with evidence: an accepted item
    with a chart and signed-off criteria, and a reflective account waiting for the assessor."""
    call_command("load_catalogue", verbosity=0)
    call_command("seed_demo", verbosity=0)
    return Portfolio.objects.get(learner__username="learner")


@pytest.fixture
def running_site(tmp_path, media_root, demo_with_evidence):
    """A web server and a Celery worker, each in its own process; yields the server's URL and
    the worker's log."""
    env = project_environment(tmp_path, media_root, settings_module=SERVER_SETTINGS)
    worker_log = tmp_path / "worker.log"
    with celery_worker(env, worker_log), web_server(env, tmp_path / "server.log") as url:
        yield url, worker_log


def test_centre_admin_exports_watches_progress_and_downloads_the_pdf(
    page, running_site, demo_with_evidence, screenshot, tmp_path
):
    portfolio = demo_with_evidence
    site, worker_log = running_site
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{site}/")
    page.get_by_label("Email address or username").fill("centreadmin")
    page.get_by_label("Password").fill("portfolio-demo")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Demo Training Centre")

    page.get_by_role("link", name="Export PDF of Sam Patel's portfolio").click()
    expect(page.get_by_role("heading", name="Export PDF")).to_be_visible()
    expect(page.get_by_text("No exports yet.")).to_be_visible()
    page.get_by_role("button", name="Export PDF").click()

    # Straight after asking: the job is listed with a progress bar, before the PDF exists.
    job = ExportJob.objects.get(portfolio=portfolio)
    row = page.locator(f"#export-{job.pk}")
    expect(row.get_by_role("progressbar", name=f"Export {job.reference}")).to_be_visible()
    expect(row.get_by_text(re.compile(r"^(Queued|Running)$"))).to_be_visible()
    # Marks this page, so that the end can prove no reload happened: htmx polled the list.
    page.evaluate("window.exportJourneyMarker = 'same page'")

    download_link = row.get_by_role("link", name=re.compile(r"^Download PDF"))
    expect(download_link).to_be_visible(timeout=90_000)
    expect(row.get_by_text("Ready", exact=True)).to_be_visible()
    expect(row.get_by_role("progressbar")).to_have_count(0)
    assert page.evaluate("window.exportJourneyMarker") == "same page"

    job.refresh_from_db()
    assert job.status == ExportStatus.READY and job.attempts == 1
    # Made by the worker process, not eagerly in the web server.
    assert re.search(rf"Task {re.escape(TASK)}\[[\w-]+\] succeeded", worker_log.read_text())
    expect(row.get_by_text(f"{job.page_count} pages")).to_be_visible()

    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf")
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    reader = PdfReader(saved)
    assert len(reader.pages) == job.page_count
    text = "\n".join(page_.extract_text() for page_ in reader.pages)
    flat = " ".join(text.split())
    for expected in (
        "Sam Patel",
        "iCQ Level 4 NVQ Diploma in Customer Service",
        "Design business processes",
        "Review the quality of customer service",
        "Complaint resolution review and results",
        "Reflective account: customer feedback survey",
        job.reference,
        f"Page 1 of {job.page_count}",
    ):
        assert expected in flat, f"{expected!r} is not in the PDF's text"

    screenshot(page, "journey-3-export-downloaded")
