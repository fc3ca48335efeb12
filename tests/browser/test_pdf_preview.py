"""Chromium shows a learner's PDF on the assessor's review page although the file is served
sandboxed (``Content-Security-Policy: ...; sandbox``): a PDF runs in a unique origin, away from
the site's cookies and pages, and still previews.

The preview frame itself carries no ``sandbox`` attribute, because Chromium then shows its
error page instead of the PDF; the last part of the test shows that, so that the day Chromium
changes, this test says the attribute can be added.
"""

import pytest
from playwright.sync_api import expect

from evidence import services
from evidence.models import EvidenceFile, Portfolio
from tests.evidence import samples
from tests.evidence.helpers import DESIGN, criterion
from tests.factories import EvidenceItemFactory

pytestmark = pytest.mark.usefixtures("demo")

PDF_VIEWER = "chrome-extension://mhjfbmdgcfjbbpaeojofohoefgiehjai/"


@pytest.fixture
def submitted_pdf(demo):
    portfolio = Portfolio.objects.get(learner__username="learner")
    learner = portfolio.learner
    item = EvidenceItemFactory(portfolio=portfolio, title="Complaints process, swimlane")
    services.evidence_file_add_generated(
        item=item,
        name="swimlane.pdf",
        content=samples.pdf(),
        content_type="application/pdf",
        uploader=learner,
    )
    services.evidence_mappings_set(
        item=item,
        user=learner,
        references={criterion(DESIGN, "1.2").pk: "Page 1"},
        expected_version=item.version,
    )
    services.evidence_item_submit(item=item, learner=learner, declared=True)
    return EvidenceFile.objects.get(item=item)


def frame_urls(page) -> list[str]:
    return [frame.url for frame in page.frames]


def wait_for_frame(page, url_start: str, seconds: float = 10):
    for _ in range(int(seconds * 10)):
        for frame in page.frames:
            if frame.url.startswith(url_start):
                return frame
        page.wait_for_timeout(100)
    pytest.fail(f"no frame at {url_start} in {seconds} s: {frame_urls(page)}")


def test_the_assessor_sees_the_sandboxed_pdf(page, log_in, live_server, submitted_pdf, screenshot):
    file_url = f"/files/{submitted_pdf.pk}/"
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "assessor")
    served = page.request.get(f"{live_server.url}{file_url}")
    assert served.status == 200
    assert served.headers["content-security-policy"].endswith("; sandbox")
    page.goto(f"{live_server.url}/evidence/{submitted_pdf.item_id}/review/")
    preview = page.locator(f'iframe[src="{file_url}"]')
    expect(preview).to_be_visible()
    assert preview.get_attribute("sandbox") is None
    viewer = wait_for_frame(page, PDF_VIEWER)
    # The viewer's toolbar counts the pages once the document is open in it.
    expect(viewer.locator("viewer-toolbar")).to_contain_text("1", timeout=10_000)
    page.wait_for_timeout(1000)
    assert not any(url.startswith("chrome-error:") for url in frame_urls(page))
    screenshot(page, "review-sandboxed-pdf")

    # The same file in a frame with the sandbox attribute: Chromium refuses to show it.
    page.evaluate(
        """url => {
            const frame = document.createElement("iframe");
            frame.setAttribute("sandbox", "");
            frame.src = url;
            document.body.append(frame);
        }""",
        file_url,
    )
    wait_for_frame(page, "chrome-error:")
