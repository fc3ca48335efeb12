"""Chromium draws a learner's iPhone (HEIC) photo on the assessor's review page, through its
JPEG copy; the original itself it cannot draw, which is why the copy exists."""

import pytest
from playwright.sync_api import expect

from evidence import services
from evidence.models import EvidenceFile, Portfolio
from tests.evidence import samples
from tests.evidence.helpers import DESIGN, criterion
from tests.factories import EvidenceItemFactory

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def submitted_photo(demo):
    portfolio = Portfolio.objects.get(learner__username="learner")
    learner = portfolio.learner
    item = EvidenceItemFactory(portfolio=portfolio, title="Whiteboard after the workshop")
    services.evidence_file_add_generated(
        item=item,
        name="IMG_4032.HEIC",
        content=samples.heic_photo((640, 480)),
        content_type="image/heic",
        uploader=learner,
    )
    services.evidence_mappings_set(
        item=item,
        user=learner,
        references={criterion(DESIGN, "1.2").pk: "The photo of the whiteboard"},
        expected_version=item.version,
    )
    services.evidence_item_submit(item=item, learner=learner, declared=True)
    return EvidenceFile.objects.get(item=item)


def test_the_assessor_sees_the_photo(page, log_in, live_server, submitted_photo, screenshot):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, "assessor")
    page.goto(f"{live_server.url}/evidence/{submitted_photo.item_id}/review/")
    photo = page.get_by_role("img", name="IMG_4032.HEIC")
    expect(photo).to_be_visible()
    page.wait_for_function("img => img.complete", arg=photo.element_handle())
    # Drawn, upright (the camera was turned), at its size.
    assert photo.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [480, 640]
    screenshot(page, "review-heic-photo")

    # The original, put in an <img> by hand, is not drawn: Chromium cannot decode HEIC.
    original = f"/files/{submitted_photo.pk}/"
    drawn = page.evaluate(
        """url => new Promise(done => {
            const img = new Image();
            img.onload = () => done(img.naturalWidth);
            img.onerror = () => done(0);
            img.src = url;
        })""",
        original,
    )
    assert drawn == 0
