"""The Content-Security-Policy in a real Chromium: the main pages of each role load with no
violation in the console, and what runs on them (Trix, htmx, the process editor, the export
page's "select all") still works under it."""

import re
import uuid

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from criteria.models import AssessmentCriterion
from evidence import services
from evidence.management.commands.seed_demo import DEMO_CENTRE_CODE
from evidence.models import Portfolio
from processes import services as process_services
from processes.models import Technique
from tests.factories import EvidenceFileFactory, EvidenceItemFactory

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def violations(page):
    """Every console message about the policy (Chromium logs each refusal as an error)."""
    found: list[str] = []

    def listen(message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            found.append(f"{page.url}: {message.text}")

    page.on("console", listen)
    page.on("pageerror", lambda error: found.append(f"{page.url}: page error {error}"))
    return found


def demo_portfolio() -> Portfolio:
    return Portfolio.objects.select_related("learner", "assessor").get(learner__username="learner")


def submitted_item(portfolio: Portfolio):
    item = EvidenceItemFactory(portfolio=portfolio, title="Complaints procedure, submitted")
    EvidenceFileFactory(item=item)
    criterion = AssessmentCriterion.objects.filter(
        outcome__unit__in=portfolio.qualification.units.all()
    ).first()
    services.evidence_mappings_set(
        item=item,
        user=portfolio.learner,
        references={criterion.pk: "Page 1"},
        expected_version=item.version,
    )
    item.refresh_from_db()
    services.evidence_item_submit(item=item, learner=portfolio.learner, declared=True)
    return item


def test_learner_pages_and_trix_work_under_the_policy(page, log_in, live_server, violations):
    portfolio = demo_portfolio()
    log_in(page, "learner")
    page.goto(live_server.url + reverse("evidence:item-create", args=[portfolio.pk]))

    # Trix loaded, styled itself (its own style element got the nonce) and takes typing.
    editor = page.locator("trix-editor")
    expect(editor).to_be_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('trix-editor')).display") == (
        "block"
    )
    editor.click()
    page.keyboard.type("I rewrote the complaints procedure.")
    expect(editor).to_contain_text("I rewrote the complaints procedure.")

    process_map, _ = process_services.process_map_create(
        portfolio=portfolio,
        author=portfolio.learner,
        title="Complaint handling",
        business_need="Complaints take three days.",
        techniques=[Technique.SWIMLANE],
        creation_token=uuid.uuid4(),
    )
    version = process_map.versions.get()
    page.goto(live_server.url + reverse("processes:version", args=[version.pk]))
    # The editor's rows come back from htmx.
    lanes = "#editor-body input[name$='-name'][name^='lanes']"
    before = page.locator(lanes).count()
    page.get_by_role("button", name="Add a lane").click()
    expect(page.locator(lanes)).to_have_count(before + 1)
    page.goto(live_server.url + reverse("notifications:list"))

    assert not violations, "\n".join(violations)


def test_assessor_review_page_loads_under_the_policy(page, log_in, live_server, violations):
    item = submitted_item(demo_portfolio())
    log_in(page, "assessor")
    page.goto(live_server.url + reverse("evidence:item-review", args=[item.pk]))

    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert not violations, "\n".join(violations)


def test_centre_admin_pages_and_htmx_work_under_the_policy(page, log_in, live_server, violations):
    log_in(page, "centreadmin")

    # Choosing a qualification on the enrolment form fetches its units through htmx.
    page.goto(live_server.url + reverse("evidence:portfolio-create", args=[DEMO_CENTRE_CODE]))
    qualification = page.locator("#id_qualification")
    choice = qualification.locator("option").nth(1).get_attribute("value")
    with page.expect_response(lambda response: "hx-request" in response.request.headers) as sent:
        qualification.select_option(choice)
    assert sent.value.ok

    # The export page's "select all" (a static script now) ticks every portfolio.
    page.goto(live_server.url + reverse("exports:centre-exports", args=[DEMO_CENTRE_CODE]))
    page.locator("#select-all").check()
    boxes = page.locator(".portfolio-choice")
    assert boxes.count() > 0
    for index in range(boxes.count()):
        expect(boxes.nth(index)).to_be_checked()

    page.goto(live_server.url + reverse("evidence:eqa-access", args=[DEMO_CENTRE_CODE]))
    expect(page.get_by_text("How the EQAs sign in")).to_be_visible()
    page.goto(live_server.url + reverse("audit:trail"))

    assert not violations, "\n".join(violations)


def test_two_factor_setup_page_loads_under_the_policy(page, log_in, live_server, violations):
    log_in(page, "assessor")
    page.goto(live_server.url + reverse("two_factor_setup"))

    expect(page.locator(".qr-code svg")).to_be_visible()
    assert re.fullmatch(r"[A-Z2-7]+", page.locator(".setup-key").inner_text())
    assert not violations, "\n".join(violations)


def test_the_listener_sees_a_violation(page, log_in, live_server, violations):
    """The tests above can fail: an inline script and an inline style are refused and logged."""
    log_in(page, "learner")
    page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.ranInline = true";
            document.body.append(script);
            document.body.insertAdjacentHTML("beforeend", '<p style="color: red">x</p>');
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.ranInline") is None
    assert any("inline script" in message for message in violations), violations
