"""Evidence for the demo learner, made through the real services, so that a new install has
a portfolio worth looking at and exporting: an accepted item with a chart and its criteria
signed off, and a reflective account waiting for the assessor."""

import io
import uuid

from django.utils import timezone
from PIL import Image, ImageDraw

from criteria.models import AssessmentCriterion
from evidence import services
from evidence.models import EvidenceKind, Portfolio, ReviewOutcome
from portfolio_site.accounts.models import User

DESIGN = "design-business-processes"
QUALITY = "review-the-quality-of-customer-service"


def _chart_png() -> bytes:
    """A small bar chart: complaints resolved within a day, month by month."""
    image = Image.new("RGB", (640, 360), "white")
    draw = ImageDraw.Draw(image)
    draw.text((20, 12), "Complaints resolved within one working day (%)", fill="black")
    values = [38, 41, 40, 44, 63, 71]
    for index, value in enumerate(values):
        left = 60 + index * 90
        draw.rectangle([left, 330 - value * 4, left + 60, 330], fill=(30, 110, 90))
        draw.text((left + 18, 310 - value * 4), str(value), fill="black")
    draw.line([40, 330, 620, 330], fill="black", width=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _criteria(unit_code: str, numbers: list[str]) -> list[AssessmentCriterion]:
    return [AssessmentCriterion.objects.get_by_natural_key(unit_code, n) for n in numbers]


def seed_demo_evidence(portfolio: Portfolio, assessor: User) -> bool:
    """Add the demo evidence once; returns False when the portfolio already has evidence."""
    if portfolio.evidence_items.exists():
        return False
    learner = portfolio.learner
    today = timezone.localdate()

    review, _ = services.evidence_item_create(
        portfolio=portfolio,
        author=learner,
        creation_token=uuid.UUID("00000000-0000-4000-8000-000000000001"),
        title="Complaint resolution review and results",
        kind=EvidenceKind.WORK_PRODUCT,
        activity_date=today,
        narrative=(
            "<p>I reviewed how our team resolves complaints. I measured how many were "
            "resolved within a working day for six months, found that most waited in the "
            "complaints inbox, and proposed that advisers may offer remedies up to £50.</p>"
            "<p>The chart shows the months before and after the change.</p>"
        ),
    )
    services.evidence_file_add_generated(
        item=review,
        name="Resolution within a day.png",
        content=_chart_png(),
        content_type="image/png",
        uploader=learner,
    )
    design = _criteria(DESIGN, ["2.1"])
    quality = _criteria(QUALITY, ["2.1", "3.1"])
    services.evidence_mappings_set(
        item=review,
        user=learner,
        references={
            design[0].pk: "Narrative, first paragraph: the revised process and its remedy limit.",
            quality[0].pk: "Narrative: how and over what period I measured resolution.",
            quality[1].pk: "The chart: the trend before and after, and my recommendation.",
        },
        expected_version=review.version,
    )
    review.refresh_from_db()
    services.evidence_item_submit(item=review, learner=learner, declared=True)
    review.refresh_from_db()
    services.review_record(
        item=review,
        assessor=assessor,
        outcome=ReviewOutcome.ACCEPTED,
        feedback="A clear before-and-after measure. Well evidenced.",
        decisions={c.pk: (True, "Met.") for c in [*design, *quality]},
    )
    services.criteria_sign_off(
        portfolio=portfolio,
        assessor=assessor,
        criterion_ids=[c.pk for c in [*design, *quality]],
        declared=True,
    )

    reflection, _ = services.evidence_item_create(
        portfolio=portfolio,
        author=learner,
        creation_token=uuid.UUID("00000000-0000-4000-8000-000000000002"),
        title="Reflective account: customer feedback survey",
        kind=EvidenceKind.REFLECTIVE_ACCOUNT,
        activity_date=today,
        narrative=(
            "<p>I ran a post-contact survey for four weeks. 212 customers answered. "
            "Satisfaction rose from 3.1 to 4.3 out of 5 after the change.</p>"
        ),
    )
    services.evidence_mappings_set(
        item=reflection,
        user=learner,
        references={
            _criteria(QUALITY, ["3.2"])[0].pk: "The whole account: the survey and its results.",
        },
        expected_version=reflection.version,
    )
    reflection.refresh_from_db()
    services.evidence_item_submit(item=reflection, learner=learner, declared=True)
    return True
