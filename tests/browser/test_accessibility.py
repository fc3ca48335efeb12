"""Accessibility gate: axe-core runs in the browser on the main pages of each role and the test
fails on any serious or critical violation.

axe-core is vendored from the npm registry under tests/browser/vendor/axe-core (`make vendor`
fetches the version pinned in the Makefile). It is injected into each page after the page has
settled (htmx requests included), and every page of a role is checked before the test fails,
so one run lists everything that needs fixing. No rule is switched off.
"""

import datetime
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from criteria.models import AssessmentCriterion, Unit
from evidence import services
from evidence.demo import DESIGN, QUALITY
from evidence.management.commands.seed_demo import DEMO_CENTRE_CODE
from evidence.models import (
    EvidenceKind,
    EvidenceStatus,
    Portfolio,
    Review,
    RiskRating,
    SampleDecision,
    SamplingMethod,
)
from portfolio_site.accounts.models import Role, User
from processes import services as process_services
from processes.models import ProcessMap, VersionState

AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = ("serious", "critical")
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
DESKTOP_ONLY = ("desktop",)
# Learners mostly use phones, and every role may: the most used pages are checked at both
# widths, since a phone layout can hide, stack or scroll what a desktop one shows.
BOTH_WIDTHS = ("desktop", "phone")
PHONE_ONLY = ("phone",)
# How many offending elements to show per rule: enough to find them, short enough to read.
SHOWN_TARGETS = 3

COMPARE_1_2 = "?before=1&after=2"
# What a form sent empty shows: fields marked invalid or an error summary.
ERRORS_SHOWN = "[aria-invalid='true'], .is-invalid, .alert-danger"


@dataclass(frozen=True)
class Check:
    """One page to check: its name in the report, its path, the widths to check it at, and
    optionally a button to press first (a form sent empty shows its errors; a menu button
    opens the menu) with a selector that shows the press had its effect."""

    name: str
    path: str
    press: str | None = None
    pressed: str | None = None
    widths: tuple[str, ...] = DESKTOP_ONLY


@pytest.fixture
def demo_with_content(transactional_db) -> dict[str, list[Check]]:
    """The demo centre with evidence, sign-offs and process maps (as `make run` seeds it),
    plus the few things a page needs to show all its parts: a draft item, a draft process
    version, a sampling plan, an IQA sample and an EQA grant. Returns the pages to check,
    by role."""
    call_command("load_catalogue", verbosity=0)
    call_command("seed_demo", verbosity=0)
    call_command("seed_demo_processes", verbosity=0)

    people = {
        role: User.objects.get(username=username)
        for role, username in [
            (Role.LEARNER, "learner"),
            (Role.ASSESSOR, "assessor"),
            (Role.IQA, "iqa"),
            (Role.CENTRE_ADMIN, "centreadmin"),
            (Role.EQA, "eqa"),
        ]
    }
    learner = people[Role.LEARNER]
    portfolio = Portfolio.objects.select_related("centre").get(learner=learner)
    items = portfolio.evidence_items.all()
    accepted = items.get(status=EvidenceStatus.ACCEPTED)
    submitted = items.get(status=EvidenceStatus.SUBMITTED)
    accepted_review = Review.objects.get(item=accepted)

    draft, _ = services.evidence_item_create(
        portfolio=portfolio,
        author=learner,
        creation_token=uuid.uuid4(),
        title="Team huddle notes",
        kind=EvidenceKind.WORK_PRODUCT,
        activity_date=timezone.localdate(),
        narrative="<p>Notes from the Monday complaints huddle.</p>",
    )
    services.evidence_mappings_set(
        item=draft,
        user=learner,
        references={
            AssessmentCriterion.objects.get_by_natural_key(QUALITY, "2.1").pk: "First page."
        },
        expected_version=draft.version,
    )

    process_map = ProcessMap.objects.get(portfolio=portfolio)
    future = process_map.versions.get(number=2)
    draft_version = process_services.version_create_from(
        version=future, author=learner, state=VersionState.FUTURE, change_note="Fewer waits."
    )

    quality_unit = Unit.objects.get(code=QUALITY)
    services.sampling_plan_save(
        iqa=people[Role.IQA],
        centre=portfolio.centre,
        assessor=people[Role.ASSESSOR],
        unit=quality_unit,
        risk_rating=RiskRating.MEDIUM,
        method=SamplingMethod.INTERIM,
        rationale="A new unit for this assessor.",
    )
    sample = services.iqa_sample_record(
        iqa=people[Role.IQA],
        review=accepted_review,
        unit=Unit.objects.get(code=DESIGN),
        method=SamplingMethod.INTERIM,
        decision=SampleDecision.DISAGREE,
        comments="2.1 needs the learner's own analysis, not the team's.",
        actions="Ask for a reflective account on 2.1.",
    )
    services.eqa_grant(
        admin=people[Role.CENTRE_ADMIN],
        eqa=people[Role.EQA],
        portfolios=[portfolio],
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )

    def url(name: str, *args) -> str:
        return reverse(name, args=args)

    return {
        "anonymous": [
            Check("login", url("login")),
            Check("login, sent empty", url("login"), press="Log in", pressed=ERRORS_SHOWN),
            Check("password reset", url("password_reset")),
        ],
        "learner": [
            Check("dashboard", url("evidence:learner-dashboard"), widths=BOTH_WIDTHS),
            Check(
                "menu open",
                url("evidence:learner-dashboard"),
                press="Show menu",
                pressed="#main-nav.show",
                widths=PHONE_ONLY,
            ),
            Check(
                "account menu open",
                url("evidence:learner-dashboard"),
                press="Sam Patel",
                pressed=".dropdown-menu.show",
            ),
            Check("evidence list", url("evidence:evidence-list", portfolio.pk)),
            Check("new item form", url("evidence:item-create", portfolio.pk), widths=BOTH_WIDTHS),
            Check(
                "new item form, errors",
                url("evidence:item-create", portfolio.pk),
                press="Save draft",
                pressed=ERRORS_SHOWN,
            ),
            Check("accepted item", url("evidence:item-detail", accepted.pk), widths=BOTH_WIDTHS),
            Check("draft item", url("evidence:item-detail", draft.pk)),
            Check("item edit", url("evidence:item-edit", draft.pk), widths=BOTH_WIDTHS),
            Check("criteria picker", url("evidence:item-mappings", draft.pk), widths=BOTH_WIDTHS),
            Check("submit item", url("evidence:item-submit", draft.pk)),
            Check("tracking grid", url("evidence:tracking-grid", portfolio.pk), widths=BOTH_WIDTHS),
            Check("sign-offs", url("evidence:sign-offs", portfolio.pk)),
            Check("process maps", url("processes:map-list", portfolio.pk)),
            Check("process map", url("processes:map", process_map.pk)),
            Check("process version editor", url("processes:version", draft_version.pk)),
            Check(
                "approved process version", url("processes:version", future.pk), widths=BOTH_WIDTHS
            ),
            Check(
                "compare versions",
                url("processes:compare", process_map.pk) + COMPARE_1_2,
                widths=BOTH_WIDTHS,
            ),
            Check("exports", url("exports:portfolio-exports", portfolio.pk)),
            Check("notifications", url("notifications:list")),
            Check("catalogue unit", url("criteria:unit-detail", QUALITY)),
            Check(
                "catalogue qualification",
                url("criteria:qualification-detail", portfolio.qualification.code),
            ),
        ],
        "assessor": [
            Check("dashboard", url("evidence:assessor-dashboard"), widths=BOTH_WIDTHS),
            Check(
                "review submitted item",
                url("evidence:item-review", submitted.pk),
                widths=BOTH_WIDTHS,
            ),
            Check("sign-offs", url("evidence:sign-offs", portfolio.pk)),
            Check("tracking grid", url("evidence:tracking-grid", portfolio.pk)),
            Check("IQA sample", url("evidence:iqa-sample-detail", sample.pk)),
            # Last: referring back with no feedback is refused, so nothing changes.
            Check(
                "review, errors",
                url("evidence:item-review", submitted.pk),
                press=f"Refer back to {learner.first_name}",
                pressed=ERRORS_SHOWN,
            ),
        ],
        "iqa": [
            Check("dashboard", url("evidence:iqa-dashboard"), widths=BOTH_WIDTHS),
            Check("sampling plan", url("evidence:sampling-plan")),
            Check("sample a review", url("evidence:sample-review", accepted_review.pk)),
            Check(
                "sample a review, errors",
                url("evidence:sample-review", accepted_review.pk),
                press="Record the sample",
                pressed=ERRORS_SHOWN,
            ),
            Check("sample record", url("evidence:iqa-sample-detail", sample.pk)),
        ],
        "centreadmin": [
            Check("dashboard", url("evidence:centre-admin-dashboard"), widths=BOTH_WIDTHS),
            Check("enrol learner", url("evidence:portfolio-create", DEMO_CENTRE_CODE)),
            Check(
                "enrol learner, errors",
                url("evidence:portfolio-create", DEMO_CENTRE_CODE),
                press="Enrol",
                pressed=ERRORS_SHOWN,
            ),
            Check("portfolio edit", url("evidence:portfolio-edit", portfolio.pk)),
            Check("EQA access", url("evidence:eqa-access", DEMO_CENTRE_CODE)),
            Check("centre exports", url("exports:centre-exports", DEMO_CENTRE_CODE)),
            Check("audit trail", url("audit:trail"), widths=BOTH_WIDTHS),
            Check("people", url("people:list", DEMO_CENTRE_CODE), widths=BOTH_WIDTHS),
            Check(
                "person",
                url("people:person", DEMO_CENTRE_CODE, portfolio.assessor_id),
                widths=BOTH_WIDTHS,
            ),
            Check(
                "add a person, errors",
                url("people:add", DEMO_CENTRE_CODE),
                press="Add and send invitation",
                pressed=ERRORS_SHOWN,
            ),
            Check("import people", url("people:import", DEMO_CENTRE_CODE)),
            Check(
                "reassign",
                f"{url('people:reassign', DEMO_CENTRE_CODE)}?from_user={portfolio.assessor_id}",
            ),
            Check("centre details", url("people:centre-settings", DEMO_CENTRE_CODE)),
        ],
        "eqa": [
            Check("dashboard", url("evidence:eqa-dashboard"), widths=BOTH_WIDTHS),
            Check("portfolio evidence", url("evidence:evidence-list", portfolio.pk)),
            Check("tracking grid", url("evidence:tracking-grid", portfolio.pk)),
            Check("accepted item", url("evidence:item-detail", accepted.pk)),
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args):
    # axe is injected as an inline script, which the site's Content-Security-Policy rightly
    # refuses; the browser is told to let the test's own script in. The pages' policy itself is
    # checked in test_content_security_policy.py.
    return {**browser_context_args, "bypass_csp": True}


def axe_violations(page, page_name: str) -> list[str]:
    """Run axe on the page as it is now; one readable line block per serious or critical
    violation."""
    page.add_script_tag(path=str(AXE_SCRIPT))
    # The whole page, vendored libraries' markup (Trix) included: nothing is excluded.
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in BLOCKING_IMPACTS:
            continue
        nodes = violation["nodes"]
        shown = "\n".join(
            f"      {' '.join(node['target'])}: {node['html'][:160]}"
            for node in nodes[:SHOWN_TARGETS]
        )
        more = (
            f"\n      ... and {len(nodes) - SHOWN_TARGETS} more"
            if len(nodes) > SHOWN_TARGETS
            else ""
        )
        found.append(
            f"{page_name}: [{violation['impact']}] {violation['id']}: {violation['help']}"
            f" ({len(nodes)} element(s))\n{shown}{more}"
        )
    return found


def open_settled(page, address: str) -> None:
    """Open a page and wait until htmx and scripts have finished changing it."""
    response = page.goto(address)
    assert response is not None and response.ok, (
        f"{address} answered {response and response.status}"
    )
    page.wait_for_load_state("networkidle")


ROLE_LOGINS = {
    "anonymous": None,
    "learner": "learner",
    "assessor": "assessor",
    "iqa": "iqa",
    "centreadmin": "centreadmin",
    "eqa": "eqa",
}


@pytest.mark.parametrize("role", list(ROLE_LOGINS))
def test_main_pages_have_no_serious_accessibility_violations(
    role, page, live_server, log_in, demo_with_content
):
    """Every main page of the role passes axe with no serious or critical violation; all pages
    are checked first, so the failure lists everything at once."""
    if ROLE_LOGINS[role]:
        log_in(page, ROLE_LOGINS[role])
    found = []
    for width, viewport in VIEWPORTS.items():
        page.set_viewport_size(viewport)
        for check in demo_with_content[role]:
            if width not in check.widths:
                continue
            open_settled(page, f"{live_server.url}{check.path}")
            if check.press:
                page.get_by_role("button", name=check.press, exact=True).click()
                page.wait_for_load_state("networkidle")
                expect(page.locator(check.pressed).first).to_be_visible()
                # Let Bootstrap's menu and collapse transitions end before axe reads colours.
                page.wait_for_timeout(400)
            found += axe_violations(page, f"{role} / {check.name}, {width} ({check.path})")
    assert not found, (
        f"{len(found)} serious or critical accessibility violation(s):\n\n" + "\n\n".join(found)
    )


def test_the_check_reports_a_known_violation(page):
    """The gate can fail: on a page with an image without alt text and an unlabelled field
    (both critical in axe), the check reports both rules, with the offending elements."""
    page.set_content(
        "<!doctype html><html lang='en'><head><title>Planted</title></head><body><main>"
        "<h1>Planted</h1><img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>"
        "<input type='text' id='unlabelled'></main></body></html>"
    )
    found = axe_violations(page, "planted")
    assert any("image-alt" in line and "<img" in line for line in found), found
    assert any("label" in line and "#unlabelled" in line for line in found), found
