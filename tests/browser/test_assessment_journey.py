"""The assessment issue's "done when", in the browser: refer back, resubmit, accept, sign off
criteria and unit, countersign, IQA sample and countersignature, a witness signing through
their link without an account, and EQA access granted and refused."""

import re

import pytest
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from criteria.models import AssessmentCriterion
from evidence import services
from evidence.models import EvidenceItem, Portfolio, SignOff, SignOffKind
from portfolio_site.accounts.models import Centre, Role, User
from tests.evidence import samples
from tests.factories import TEST_PASSWORD, EvidenceFileFactory, member

pytestmark = pytest.mark.usefixtures("demo")

DESKTOP = {"width": 1280, "height": 900}
QUALITY = "review-the-quality-of-customer-service"


@pytest.fixture
def draft_testimony(django_capture_on_commit_callbacks):
    """The demo learner's witness testimony, with a file and mapped to the Quality unit's
    three criteria, ready to submit (the learner's own journey is tested elsewhere)."""
    portfolio = Portfolio.objects.get(learner__username="learner")
    learner = portfolio.learner
    item, _ = services.evidence_item_create(
        portfolio=portfolio,
        author=learner,
        creation_token=__import__("uuid").uuid4(),
        title="Witness testimony: quality review",
        kind="witness_testimony",
        activity_date=portfolio.start_date,
        narrative="<div>Sam planned and ran our quarterly service quality review.</div>",
        witness_name="Jo Brown",
        witness_job_title="Customer Service Manager",
        witness_relationship="Line manager for two years",
        witness_email="jo.brown@example.org",
    )
    EvidenceFileFactory(item=item, content=samples.utf8_text(), original_name="review-plan.txt")
    criteria = AssessmentCriterion.objects.filter(outcome__unit__code=QUALITY)
    services.evidence_mappings_set(
        item=item,
        user=learner,
        references={c.pk: f"Section {c.number} of the review plan" for c in criteria},
        expected_version=item.version,
    )
    return item


def new_page(browser, viewport=DESKTOP):
    context = browser.new_context(viewport=viewport)
    return context, context.new_page()


def test_refer_resubmit_accept_sign_off_countersign_sample_witness_eqa(
    page, browser, log_in, live_server, screenshot, draft_testimony
):
    item = draft_testimony
    page.set_viewport_size(DESKTOP)

    # The learner submits.
    log_in(page, "learner")
    page.goto(f"{live_server.url}/evidence/{item.pk}/")
    page.get_by_role("link", name="Submit for assessment").click()
    page.get_by_label(re.compile("this evidence is my own work")).check()
    page.get_by_role("button", name="Submit for assessment").click()
    expect(page.get_by_text("Submitted. Your assessor will review it.")).to_be_visible()

    # The assessor refers it back from the queue.
    assessor_context, assessor = new_page(browser)
    log_in(assessor, "assessor")
    expect(assessor.get_by_role("heading", name="Your caseload")).to_be_visible()
    screenshot(assessor, "assessment-caseload")
    assessor.get_by_role("link", name="Witness testimony: quality review").click()
    expect(
        assessor.get_by_role("heading", name=re.compile("Review “Witness testimony"))
    ).to_be_visible()
    screenshot(assessor, "assessment-review")
    fieldsets = assessor.locator("fieldset.review-criterion")
    fieldsets.nth(0).get_by_label("Met", exact=True).check()
    fieldsets.nth(1).get_by_label("Met", exact=True).check()
    fieldsets.nth(2).get_by_label("Not yet met", exact=True).check()
    fieldsets.nth(2).get_by_label(re.compile("Feedback on 3.2")).fill(
        "Show how the team's views were collated."
    )
    assessor.get_by_label("Overall feedback to the learner").fill(
        "Nearly there: add the team survey."
    )
    assessor.get_by_role("button", name=re.compile("Refer back")).click()
    expect(assessor.get_by_text("referred back")).to_be_visible()

    # The learner reads the feedback, changes the item and submits it again.
    page.reload()
    expect(
        page.get_by_role("status").get_by_text("Nearly there: add the team survey.")
    ).to_be_visible()
    page.get_by_role("link", name="Edit details", exact=True).click()
    page.get_by_label("Title*", exact=True).fill("Witness testimony: quality review (with survey)")
    page.get_by_role("button", name="Save changes").click()
    page.get_by_role("link", name="Submit again").click()
    page.get_by_label(re.compile("this evidence is my own work")).check()
    page.get_by_role("button", name="Submit for assessment").click()
    expect(page.get_by_text("Submitted. Your assessor will review it.")).to_be_visible()

    # The witness signs through their link, with no account.
    page.get_by_role("button", name=re.compile("Ask the witness to confirm")).click()
    expect(page.get_by_text(re.compile("A link went to Jo Brown"))).to_be_visible()
    link = re.search(r"http://\S+/witness/\S+/", mail.outbox[-1].body)[0]
    witness_context, witness = new_page(browser)
    witness.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    expect(
        witness.get_by_role("heading", name=re.compile("Confirm Sam Patel's witness statement"))
    ).to_be_visible()
    screenshot(witness, "witness-sign")
    witness.get_by_label(re.compile("accurate account")).check()
    witness.get_by_label("Type your full name to sign").fill("Jo Brown")
    witness.get_by_role("button", name="Confirm and sign").click()
    expect(witness.get_by_role("heading", name="Thank you, Jo Brown")).to_be_visible()
    witness.reload()
    expect(witness.get_by_text("This link no longer works")).to_be_visible()
    witness_context.close()

    # The assessor accepts, signs the three criteria off, then the unit.
    assessor.goto(f"{live_server.url}/evidence/{item.pk}/review/")
    for index in range(3):
        assessor.locator("fieldset.review-criterion").nth(index).get_by_label(
            "Met", exact=True
        ).check()
    assessor.get_by_role("button", name="Accept").click()
    expect(assessor.get_by_text("accepted;")).to_be_visible()
    assessor.goto(f"{live_server.url}/portfolios/{item.portfolio_id}/sign-off/")
    unit = assessor.get_by_role("region", name="Review the quality of customer service")
    for number in ("2.1", "3.1", "3.2"):
        unit.get_by_label(f"{number} sign off").check()
    unit.get_by_label(
        re.compile("valid, authentic, current and sufficient, and I sign them off")
    ).check()
    unit.get_by_role("button", name="Sign off the ticked criteria").click()
    expect(assessor.get_by_text("Signed off: 2.1, 3.1, 3.2.")).to_be_visible()
    unit.get_by_label(re.compile("and I sign the unit off")).check()
    unit.get_by_role("button", name=re.compile("Sign off Review the quality")).click()
    expect(assessor.get_by_text(re.compile("is asked to countersign"))).to_be_visible()
    screenshot(assessor, "assessment-sign-off")
    assessor_context.close()

    # The learner countersigns.
    page.goto(f"{live_server.url}/portfolios/{item.portfolio_id}/sign-off/")
    page.get_by_label(re.compile("the evidence for this unit is my own work")).check()
    page.get_by_role("button", name=re.compile("Countersign")).click()
    expect(page.get_by_text(re.compile("You countersigned"))).to_be_visible()
    screenshot(page, "journey-2-countersigned")  # the quality gates' journey 2 ends here
    page.goto(f"{live_server.url}/evidence/{item.pk}/")
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    screenshot(page, "item-history")
    page.get_by_role("link", name=re.compile("Notifications")).click()
    expect(page.get_by_text(re.compile("accepted “Witness testimony"))).to_be_visible()
    screenshot(page, "notifications")

    # The IQA samples the unit sign-off and countersigns it.
    iqa_context, iqa = new_page(browser)
    log_in(iqa, "iqa")
    iqa.get_by_role("link", name=re.compile("Sample this sign-off")).first.click()
    iqa.get_by_label("Agree", exact=True).check()
    iqa.get_by_label("What you checked and found").fill("Evidence authentic and sufficient.")
    iqa.get_by_label(re.compile("Countersign the unit sign-off")).check()
    screenshot(iqa, "iqa-sample-form")
    iqa.get_by_role("button", name="Record the sample").click()
    expect(iqa.get_by_text(re.compile("Sample recorded"))).to_be_visible()
    screenshot(iqa, "iqa-dashboard")
    iqa_context.close()
    unit_sign_off = SignOff.objects.get(kind=SignOffKind.UNIT)
    assert unit_sign_off.learner_signature and unit_sign_off.iqa_signature
    assert EvidenceItem.objects.get(pk=item.pk).witness_signatures.count() == 1

    # A centre admin grants the demo EQA access; an EQA without access is refused.
    admin_context, admin = new_page(browser)
    log_in(admin, "centreadmin")
    admin.get_by_role("link", name="EQA access").click()
    admin.get_by_label("External quality assurer").select_option(label="Jordan Lee")
    admin.get_by_label(re.compile("Sam Patel")).first.check()
    admin.get_by_label("Access until (inclusive)").fill("2027-12-31")
    admin.get_by_role("button", name="Grant access").click()
    expect(admin.get_by_text(re.compile("Jordan Lee can read 1 portfolio"))).to_be_visible()
    screenshot(admin, "eqa-access")
    admin.goto(f"{live_server.url}/audit/")
    expect(admin.get_by_role("heading", name="Audit trail")).to_be_visible()
    screenshot(admin, "audit-trail")
    admin_context.close()

    eqa_context, eqa = new_page(browser)
    log_in(eqa, "eqa")
    eqa.get_by_role("link", name="Sam Patel").first.click()
    expect(eqa.get_by_role("heading", name="Sign-off")).to_be_visible()
    expect(eqa.get_by_text("Countersigned by Priya Shah")).to_be_visible()
    eqa.goto(f"{live_server.url}/evidence/{item.pk}/")
    expect(eqa.get_by_text("Signed by Jo Brown")).to_be_visible()
    screenshot(eqa, "eqa-item")
    eqa_context.close()

    outsider = member(Role.EQA, Centre.objects.get(code="demo-centre"), username="other-eqa")
    other_context, other = new_page(browser)
    log_in(other, outsider.username, TEST_PASSWORD)
    response = other.goto(f"{live_server.url}/portfolios/{item.portfolio_id}/sign-off/")
    assert response.status == 404
    other_context.close()

    # Everything above is in an intact audit trail.
    call_command("verify_audit")
    assert User.objects.get(username="eqa")


def test_review_and_sign_off_pages_fit_a_phone(
    page, log_in, live_server, screenshot, draft_testimony
):
    services.evidence_item_submit(
        item=draft_testimony, learner=draft_testimony.portfolio.learner, declared=True
    )
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, "assessor")
    for name, path in [
        ("assessment-caseload-phone", "/dashboard/assessor/"),
        ("assessment-review-phone", f"/evidence/{draft_testimony.pk}/review/"),
        ("assessment-sign-off-phone", f"/portfolios/{draft_testimony.portfolio_id}/sign-off/"),
    ]:
        page.goto(f"{live_server.url}{path}")
        screenshot(page, name)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, name
