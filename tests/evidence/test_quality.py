"""Quality assurance: IQA sampling plans, samples and countersignatures, the IQA's coverage,
and external quality assurers' read-only, audited access."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from criteria.models import Qualification, Unit
from evidence import services
from evidence.models import (
    DEFAULT_TARGET_PERCENT,
    EqaGrant,
    EvidenceItem,
    EvidenceStatus,
    IqaSample,
    Review,
    SamplingPlan,
    Signature,
    SignatureRole,
    SignOff,
    SignOffKind,
)
from evidence.selectors import Coverage
from evidence.services import AlreadyDecided, portfolio_enrol
from portfolio_site.accounts.models import Role
from portfolio_site.audit.models import AuditEvent
from portfolio_site.notifications.models import Notification
from tests.evidence.helpers import ICQ_CUSTOMER_SERVICE, QUALITY, criterion
from tests.factories import (
    EvidenceFileFactory,
    EvidenceItemFactory,
    MembershipFactory,
    PortfolioFactory,
    member,
)

pytestmark = pytest.mark.django_db

PLAN_URL = reverse("evidence:sampling-plan")
IQA_DASHBOARD = reverse("evidence:iqa-dashboard")
EQA_DASHBOARD = reverse("evidence:eqa-dashboard")
QUALITY_CRITERIA = ("2.1", "3.1", "3.2")


def quality_unit() -> Unit:
    return Unit.objects.get(code=QUALITY)


def accepted_review(portfolio, numbers=("2.1",)) -> Review:
    """A learner's item mapped to Quality criteria, submitted, and accepted with all met."""
    criteria = [criterion(QUALITY, number) for number in numbers]
    item = EvidenceItemFactory(portfolio=portfolio)
    services.evidence_mappings_set(
        item=item,
        user=portfolio.learner,
        references={c.pk: "Page 1" for c in criteria},
        expected_version=item.version,
    )
    item.refresh_from_db()
    services.evidence_item_submit(item=item, learner=portfolio.learner, declared=True)
    return services.review_record(
        item=item,
        assessor=portfolio.assessor,
        outcome="accepted",
        feedback="",
        decisions={c.pk: (True, "") for c in criteria},
    )


def signed_off_unit(portfolio) -> SignOff:
    """The Quality unit, every criterion met and signed off, then the unit signed off."""
    accepted_review(portfolio, QUALITY_CRITERIA)
    services.criteria_sign_off(
        portfolio=portfolio,
        assessor=portfolio.assessor,
        criterion_ids=[criterion(QUALITY, number).pk for number in QUALITY_CRITERIA],
        declared=True,
    )
    return services.unit_sign_off(
        portfolio=portfolio, unit=quality_unit(), assessor=portfolio.assessor, declared=True
    )


def sample_data(**overrides) -> dict:
    return {
        "unit": quality_unit().pk,
        "method": "interim",
        "decision": "agree",
        "comments": "Checked the evidence against 2.1: valid and sufficient.",
        "actions": "",
        **overrides,
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def plan_data(centre, assessor, **overrides) -> dict:
    return {
        "centre": centre.pk,
        "assessor": assessor.pk,
        "unit": quality_unit().pk,
        "risk_rating": "medium",
        "method": "interim",
        "target_percent": "",
        "rationale": "New to this unit.",
        **overrides,
    }


def coverage_row(client, assessor, unit):
    rows = client.get(IQA_DASHBOARD).context["coverage"]
    return next(row for row in rows if row.plan.assessor == assessor and row.plan.unit == unit)


# --- Sampling plans -----------------------------------------------------------------------------


@pytest.mark.parametrize(("risk", "target"), [("low", 25), ("medium", 50), ("high", 100)])
def test_plan_without_a_target_takes_the_risk_default(
    client_for, people, centre, catalogue, risk, target
):
    iqa = client_for(people[Role.IQA])
    assert iqa.get(PLAN_URL).status_code == 200

    response = iqa.post(PLAN_URL, plan_data(centre, people[Role.ASSESSOR], risk_rating=risk))

    assert response.url == IQA_DASHBOARD
    plan = SamplingPlan.objects.get()
    assert plan.target_percent == target == DEFAULT_TARGET_PERCENT[risk]
    assert (plan.centre, plan.iqa, plan.assessor) == (
        centre,
        people[Role.IQA],
        people[Role.ASSESSOR],
    )
    assert plan.unit == quality_unit()
    assert plan.method == "interim"
    assert plan.rationale == "New to this unit."
    assert AuditEvent.objects.get(action="iqa.plan_set").details["created"] is True


def test_plan_with_an_explicit_target(client_for, people, centre, catalogue):
    client_for(people[Role.IQA]).post(
        PLAN_URL, plan_data(centre, people[Role.ASSESSOR], risk_rating="low", target_percent=40)
    )

    assert SamplingPlan.objects.get().target_percent == 40


def test_saving_again_for_the_same_assessor_and_unit_updates_the_plan(
    client_for, people, centre, catalogue
):
    iqa = client_for(people[Role.IQA])
    iqa.post(PLAN_URL, plan_data(centre, people[Role.ASSESSOR]))

    iqa.post(
        PLAN_URL,
        plan_data(
            centre, people[Role.ASSESSOR], risk_rating="high", method="summative", target_percent=80
        ),
    )

    plan = SamplingPlan.objects.get()
    assert (plan.risk_rating, plan.method, plan.target_percent) == ("high", "summative", 80)
    events = AuditEvent.objects.filter(action="iqa.plan_set").order_by("sequence")
    assert [event.details["created"] for event in events] == [True, False]


def test_target_outside_1_to_100_is_refused(client_for, people, centre, catalogue):
    response = client_for(people[Role.IQA]).post(
        PLAN_URL, plan_data(centre, people[Role.ASSESSOR], target_percent=150)
    )

    assert response.status_code == 200
    assert "target_percent" in response.context["form"].errors
    assert not SamplingPlan.objects.exists()


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR, Role.CENTRE_ADMIN, Role.EQA])
def test_only_an_iqa_sets_sampling_plans(client_for, people, centre, catalogue, role):
    client = client_for(people[role])

    assert client.get(PLAN_URL).status_code == 403
    assert client.post(PLAN_URL, plan_data(centre, people[Role.ASSESSOR])).status_code == 403
    assert not SamplingPlan.objects.exists()


def test_plan_for_an_assessor_of_another_centre_is_refused(
    client_for, people, centre, catalogue, other_centre_people
):
    response = client_for(people[Role.IQA]).post(
        PLAN_URL, plan_data(centre, other_centre_people[Role.ASSESSOR])
    )

    assert response.status_code == 200
    assert "assessor" in response.context["form"].errors
    assert not SamplingPlan.objects.exists()


# --- Sampling assessment decisions ------------------------------------------------------------


def test_iqa_samples_a_decision_and_the_assessor_is_told(client_for, people, portfolio):
    review = accepted_review(portfolio)
    url = reverse("evidence:sample-review", args=[review.pk])
    iqa = client_for(people[Role.IQA])
    assert iqa.get(url).status_code == 200

    response = iqa.post(url, sample_data())

    assert response.url == IQA_DASHBOARD
    sample = IqaSample.objects.get()
    assert sample.review == review and sample.sign_off is None
    assert (sample.iqa, sample.assessor, sample.portfolio) == (
        people[Role.IQA],
        people[Role.ASSESSOR],
        portfolio,
    )
    assert sample.unit == quality_unit()
    assert (sample.method, sample.decision) == ("interim", "agree")
    assert sample.countersignature is None
    assert sample.seen_by_assessor_at is None
    notification = Notification.objects.get(kind="iqa_decision")
    assert notification.recipient == people[Role.ASSESSOR]
    assert "agrees" in notification.message
    assert notification.url == reverse("evidence:iqa-sample-detail", args=[sample.pk])
    event = AuditEvent.objects.get(action="iqa.sampled")
    assert event.actor == people[Role.IQA]
    assert event.details["decision"] == "agree"


def test_assessor_reads_the_sample_which_marks_it_seen(client_for, people, portfolio):
    review = accepted_review(portfolio)
    client_for(people[Role.IQA]).post(
        reverse("evidence:sample-review", args=[review.pk]), sample_data()
    )
    sample = IqaSample.objects.get()
    url = reverse("evidence:iqa-sample-detail", args=[sample.pk])

    # The IQA reading it does not count as the assessor having seen it.
    assert client_for(people[Role.IQA]).get(url).status_code == 200
    sample.refresh_from_db()
    assert sample.seen_by_assessor_at is None

    assessor = client_for(people[Role.ASSESSOR])
    response = assessor.get(url)

    assert response.status_code == 200
    assert "Checked the evidence against 2.1" in response.content.decode()
    sample.refresh_from_db()
    assert sample.seen_by_assessor_at is not None
    dashboard = assessor.get(reverse("evidence:assessor-dashboard"))
    assert list(dashboard.context["iqa_feedback"]) == [sample]


def test_sample_page_is_hidden_from_the_learner_and_other_centres(
    client_for, people, portfolio, other_centre_people
):
    review = accepted_review(portfolio)
    client_for(people[Role.IQA]).post(
        reverse("evidence:sample-review", args=[review.pk]), sample_data()
    )
    url = reverse("evidence:iqa-sample-detail", args=[IqaSample.objects.get().pk])

    assert client_for(people[Role.CENTRE_ADMIN]).get(url).status_code == 200
    for user in [people[Role.LEARNER], *other_centre_people.values()]:
        assert client_for(user).get(url).status_code == 404, user
    assert IqaSample.objects.get().seen_by_assessor_at is None


def test_disagreeing_with_actions_is_recorded_for_the_assessor(client_for, people, portfolio):
    review = accepted_review(portfolio)

    client_for(people[Role.IQA]).post(
        reverse("evidence:sample-review", args=[review.pk]),
        sample_data(decision="disagree", actions="Ask for the learner's own survey results."),
    )

    sample = IqaSample.objects.get()
    assert sample.decision == "disagree"
    assert sample.actions == "Ask for the learner's own survey results."
    assert "disagrees: actions for you" in Notification.objects.get(kind="iqa_decision").message
    page = client_for(people[Role.ASSESSOR]).get(
        reverse("evidence:iqa-sample-detail", args=[sample.pk])
    )
    assert "Actions for the assessor" in page.content.decode()


@pytest.mark.parametrize("actions", ["", "   "])
def test_disagreeing_without_actions_is_refused(client_for, people, portfolio, actions):
    review = accepted_review(portfolio)

    response = client_for(people[Role.IQA]).post(
        reverse("evidence:sample-review", args=[review.pk]),
        sample_data(decision="disagree", actions=actions),
    )

    assert response.status_code == 200
    assert "Say what the assessor must do." in response.content.decode()
    assert not IqaSample.objects.exists()
    assert not Notification.objects.filter(kind="iqa_decision").exists()


def test_a_sample_needs_comments(client_for, people, portfolio):
    review = accepted_review(portfolio)

    response = client_for(people[Role.IQA]).post(
        reverse("evidence:sample-review", args=[review.pk]), sample_data(comments="")
    )

    assert response.status_code == 200
    assert "comments" in response.context["form"].errors
    assert not IqaSample.objects.exists()


def test_only_the_portfolios_iqa_samples_it(client_for, people, portfolio, other_centre_people):
    review = accepted_review(portfolio)
    url = reverse("evidence:sample-review", args=[review.pk])
    another_iqa_here = member(Role.IQA, portfolio.centre)

    for user in (another_iqa_here, other_centre_people[Role.IQA]):
        assert client_for(user).get(url).status_code == 404, user
        assert client_for(user).post(url, sample_data()).status_code == 404, user
    # The centre admin and the assessor can see the portfolio, but do not sample it.
    for role in (Role.CENTRE_ADMIN, Role.ASSESSOR):
        assert client_for(people[role]).post(url, sample_data()).status_code == 403, role
    assert not IqaSample.objects.exists()


def test_service_refuses_a_sample_by_another_iqa(people, portfolio):
    review = accepted_review(portfolio)

    with pytest.raises(ValidationError, match="Only the portfolio's IQA samples it"):
        services.iqa_sample_record(
            iqa=member(Role.IQA, portfolio.centre),
            review=review,
            unit=quality_unit(),
            method="interim",
            decision="agree",
            comments="Fine.",
        )
    assert not IqaSample.objects.exists()


# --- Sampling and countersigning unit sign-offs -------------------------------------------------


def test_iqa_samples_a_unit_sign_off_and_countersigns_it(client_for, people, portfolio):
    sign_off = signed_off_unit(portfolio)
    url = reverse("evidence:sample-sign-off", args=[sign_off.pk])
    iqa = client_for(people[Role.IQA])
    assert "countersign" in iqa.get(url).context["form"].fields

    response = iqa.post(url, sample_data(method="summative", countersign="on"))

    assert response.url == IQA_DASHBOARD
    sign_off.refresh_from_db()
    signature = sign_off.iqa_signature
    assert signature is not None
    assert signature.role == SignatureRole.IQA
    assert signature.signer == people[Role.IQA]
    assert signature.is_intact
    assert signature.payload["sign_off"] == sign_off.pk
    assert signature.payload["unit"] == QUALITY
    assert (
        signature.payload["assessor_signature_sha256"] == sign_off.assessor_signature.payload_sha256
    )
    sample = IqaSample.objects.get()
    assert sample.sign_off == sign_off and sample.review is None
    assert sample.countersignature == signature
    assert sample.method == "summative"
    assert AuditEvent.objects.get(action="iqa.sampled").details["countersigned"] is True


def test_countersigning_twice_is_refused(client_for, people, portfolio):
    sign_off = signed_off_unit(portfolio)
    url = reverse("evidence:sample-sign-off", args=[sign_off.pk])
    iqa = client_for(people[Role.IQA])
    iqa.post(url, sample_data(countersign="on"))
    sign_off.refresh_from_db()
    first = sign_off.iqa_signature

    # The page no longer offers it; a posted tick is ignored.
    assert "countersign" not in iqa.get(url).context["form"].fields
    iqa.post(url, sample_data(countersign="on"))
    # The service refuses it outright.
    with pytest.raises(AlreadyDecided, match="already countersigned"):
        services.iqa_sample_record(
            iqa=people[Role.IQA],
            sign_off=sign_off,
            unit=quality_unit(),
            method="summative",
            decision="agree",
            comments="Again.",
            countersign=True,
        )

    sign_off.refresh_from_db()
    assert sign_off.iqa_signature == first
    assert Signature.objects.filter(role=SignatureRole.IQA).count() == 1
    assert IqaSample.objects.filter(countersignature__isnull=False).count() == 1


def test_countersigning_a_sign_off_the_iqa_disagrees_with_is_refused(client_for, people, portfolio):
    sign_off = signed_off_unit(portfolio)

    response = client_for(people[Role.IQA]).post(
        reverse("evidence:sample-sign-off", args=[sign_off.pk]),
        sample_data(decision="disagree", actions="Recheck 3.2.", countersign="on"),
    )

    assert "Countersign only a sign-off you agree with." in response.content.decode()
    sign_off.refresh_from_db()
    assert sign_off.iqa_signature is None
    assert not IqaSample.objects.exists()
    assert not Signature.objects.filter(role=SignatureRole.IQA).exists()


def test_a_criterion_sign_off_is_sampled_but_not_countersigned(people, portfolio):
    signed_off_unit(portfolio)
    criterion_sign_off = SignOff.objects.get(
        kind=SignOffKind.CRITERION, criterion=criterion(QUALITY, "2.1")
    )

    with pytest.raises(ValidationError, match="Only a unit sign-off is countersigned"):
        services.iqa_sample_record(
            iqa=people[Role.IQA],
            sign_off=criterion_sign_off,
            unit=quality_unit(),
            method="summative",
            decision="agree",
            comments="Fine.",
            countersign=True,
        )
    assert not IqaSample.objects.exists()


def test_only_the_portfolios_iqa_samples_a_sign_off(
    client_for, people, portfolio, other_centre_people
):
    sign_off = signed_off_unit(portfolio)
    url = reverse("evidence:sample-sign-off", args=[sign_off.pk])

    for user in (member(Role.IQA, portfolio.centre), other_centre_people[Role.IQA]):
        response = client_for(user).post(url, sample_data(countersign="on"))
        assert response.status_code == 404, user
    assert client_for(people[Role.CENTRE_ADMIN]).post(url, sample_data()).status_code == 403
    sign_off.refresh_from_db()
    assert sign_off.iqa_signature is None
    assert not IqaSample.objects.exists()


# --- Coverage on the IQA dashboard ----------------------------------------------------------------


def test_coverage_counts_learners_assessed_and_sampled_against_the_plan(
    client_for, people, portfolio, centre
):
    iqa_user, assessor = people[Role.IQA], people[Role.ASSESSOR]
    services.sampling_plan_save(
        iqa=iqa_user,
        centre=centre,
        assessor=assessor,
        unit=quality_unit(),
        risk_rating="medium",
        method="interim",
    )
    iqa = client_for(iqa_user)
    review = accepted_review(portfolio)

    before = coverage_row(iqa, assessor, quality_unit())
    assert (before.assessed, before.sampled, before.percent) == (1, 0, 0)
    assert (before.on_target, before.to_sample) == (False, 1)
    assert "1 more to sample" in iqa.get(IQA_DASHBOARD).content.decode()

    iqa.post(reverse("evidence:sample-review", args=[review.pk]), sample_data())

    after = coverage_row(iqa, assessor, quality_unit())
    assert (after.assessed, after.sampled, after.percent) == (1, 1, 100)
    assert (after.on_target, after.to_sample) == (True, 0)
    assert "On target" in iqa.get(IQA_DASHBOARD).content.decode()


def test_coverage_with_nothing_assessed_is_on_target(client_for, people, centre, catalogue):
    services.sampling_plan_save(
        iqa=people[Role.IQA],
        centre=centre,
        assessor=people[Role.ASSESSOR],
        unit=quality_unit(),
        risk_rating="high",
        method="summative",
    )

    row = coverage_row(client_for(people[Role.IQA]), people[Role.ASSESSOR], quality_unit())

    assert (row.assessed, row.sampled, row.percent, row.on_target, row.to_sample) == (
        0,
        0,
        0,
        True,
        0,
    )


def test_sampling_one_learner_counts_once_however_many_samples(
    client_for, people, portfolio, centre
):
    services.sampling_plan_save(
        iqa=people[Role.IQA],
        centre=centre,
        assessor=people[Role.ASSESSOR],
        unit=quality_unit(),
        risk_rating="high",
        method="interim",
    )
    iqa = client_for(people[Role.IQA])
    for _ in range(2):
        review = accepted_review(portfolio)
        iqa.post(reverse("evidence:sample-review", args=[review.pk]), sample_data())

    row = coverage_row(iqa, people[Role.ASSESSOR], quality_unit())

    assert IqaSample.objects.count() == 2
    assert (row.assessed, row.sampled, row.percent, row.on_target) == (1, 1, 100, True)


@pytest.mark.parametrize(
    ("target", "assessed", "sampled", "on_target", "to_sample"),
    [
        (50, 2, 1, True, 0),
        (50, 3, 1, False, 1),
        (25, 4, 0, False, 1),
        (100, 4, 3, False, 1),
        (100, 4, 4, True, 0),
        pytest.param(
            67,
            3,
            2,
            False,
            1,
            id="rounded-up-to-the-target",
        ),
    ],
)
def test_on_target_agrees_with_how_many_more_to_sample(
    target, assessed, sampled, on_target, to_sample
):
    row = Coverage(plan=SamplingPlan(target_percent=target), assessed=assessed, sampled=sampled)

    assert row.to_sample == to_sample
    assert row.on_target is on_target


def test_coverage_counts_only_learners_at_the_plans_centre(
    client_for, people, portfolio, centre, other_centre_people
):
    assessor = people[Role.ASSESSOR]
    elsewhere = other_centre_people[Role.LEARNER].memberships.get().centre
    MembershipFactory(user=assessor, centre=elsewhere, role=Role.ASSESSOR)
    qualification = Qualification.objects.get(code=ICQ_CUSTOMER_SERVICE)
    other_portfolio = portfolio_enrol(
        learner=other_centre_people[Role.LEARNER],
        centre=elsewhere,
        qualification=qualification,
        assessor=assessor,
        iqa=other_centre_people[Role.IQA],
        start_date=datetime.date(2026, 9, 1),
        chosen_units=[link.unit for link in qualification.unit_links.all()],
    )
    services.sampling_plan_save(
        iqa=people[Role.IQA],
        centre=centre,
        assessor=assessor,
        unit=quality_unit(),
        risk_rating="medium",
        method="interim",
    )
    accepted_review(portfolio)
    accepted_review(other_portfolio)

    row = coverage_row(client_for(people[Role.IQA]), assessor, quality_unit())

    assert row.assessed == 1  # actual: 2, the other centre's learner included


# --- External quality assurance: grants ---------------------------------------------------------


@pytest.fixture
def eqa_access_url(centre):
    return reverse("evidence:eqa-access", args=[centre.code])


def grant_data(eqa, *portfolios, expires_on=None) -> dict:
    expires_on = expires_on or timezone.localdate() + datetime.timedelta(days=30)
    return {
        "eqa": eqa.pk,
        "portfolios": [p.pk for p in portfolios],
        "expires_on": expires_on.isoformat(),
    }


@pytest.fixture
def grant(people, portfolio):
    (granted,) = services.eqa_grant(
        admin=people[Role.CENTRE_ADMIN],
        eqa=people[Role.EQA],
        portfolios=[portfolio],
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    return granted


@pytest.fixture
def eqa(client_for, people):
    return client_for(people[Role.EQA])


def test_centre_admin_grants_an_eqa_access(client_for, people, portfolio, eqa_access_url):
    admin = client_for(people[Role.CENTRE_ADMIN])
    assert admin.get(eqa_access_url).status_code == 200
    until = timezone.localdate() + datetime.timedelta(days=60)

    response = admin.post(eqa_access_url, grant_data(people[Role.EQA], portfolio, expires_on=until))

    assert response.url == eqa_access_url
    grant = EqaGrant.objects.get()
    assert (grant.eqa, grant.portfolio, grant.granted_by) == (
        people[Role.EQA],
        portfolio,
        people[Role.CENTRE_ADMIN],
    )
    assert grant.expires_on == until
    assert grant.revoked_at is None
    assert list(admin.get(eqa_access_url).context["grants"]) == [grant]
    assert AuditEvent.objects.get(action="eqa.granted").portfolio_id == portfolio.pk
    assert Notification.objects.get(kind="eqa_granted").recipient == people[Role.EQA]


def test_eqa_dashboard_lists_the_granted_portfolio(eqa, grant, portfolio):
    response = eqa.get(EQA_DASHBOARD)

    assert list(response.context["grants"]) == [grant]
    assert reverse("evidence:sign-offs", args=[portfolio.pk]) in response.content.decode()


def test_granting_again_changes_the_expiry_of_the_open_grant(
    client_for, people, portfolio, eqa_access_url, grant
):
    later = timezone.localdate() + datetime.timedelta(days=90)

    client_for(people[Role.CENTRE_ADMIN]).post(
        eqa_access_url, grant_data(people[Role.EQA], portfolio, expires_on=later)
    )

    assert EqaGrant.objects.get().expires_on == later


@pytest.mark.parametrize("role", [Role.ASSESSOR, Role.IQA, Role.LEARNER])
def test_granting_to_a_user_without_the_eqa_role_is_refused(
    client_for, people, portfolio, eqa_access_url, role
):
    response = client_for(people[role]).get(EQA_DASHBOARD)
    assert response.status_code == 403

    response = client_for(people[Role.CENTRE_ADMIN]).post(
        eqa_access_url, grant_data(people[role], portfolio)
    )

    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["form"].errors["eqa"])
    assert not EqaGrant.objects.exists()


def test_granting_to_an_eqa_of_another_centre_is_refused(
    client_for, people, portfolio, eqa_access_url, other_centre_people
):
    response = client_for(people[Role.CENTRE_ADMIN]).post(
        eqa_access_url, grant_data(other_centre_people[Role.EQA], portfolio)
    )

    assert "eqa" in response.context["form"].errors
    assert not EqaGrant.objects.exists()


def test_service_refuses_a_grant_to_a_non_eqa(people, portfolio):
    with pytest.raises(ValidationError, match="is not an EQA for Riverside Training"):
        services.eqa_grant(
            admin=people[Role.CENTRE_ADMIN],
            eqa=people[Role.ASSESSOR],
            portfolios=[portfolio],
            expires_on=timezone.localdate() + datetime.timedelta(days=1),
        )
    assert not EqaGrant.objects.exists()


def test_a_grant_needs_a_future_expiry_and_a_portfolio(
    client_for, people, portfolio, eqa_access_url
):
    admin = client_for(people[Role.CENTRE_ADMIN])
    yesterday = timezone.localdate() - datetime.timedelta(days=1)

    past = admin.post(eqa_access_url, grant_data(people[Role.EQA], portfolio, expires_on=yesterday))
    none = admin.post(eqa_access_url, grant_data(people[Role.EQA]))

    assert "The expiry date has passed." in past.content.decode()
    assert "portfolios" in none.context["form"].errors
    assert not EqaGrant.objects.exists()


def test_only_a_centre_admin_of_the_centre_manages_grants(
    client_for, people, portfolio, eqa_access_url, other_centre_people
):
    for role in (Role.IQA, Role.ASSESSOR, Role.EQA):
        assert client_for(people[role]).get(eqa_access_url).status_code == 404, role
    stranger = client_for(other_centre_people[Role.CENTRE_ADMIN])
    assert stranger.get(eqa_access_url).status_code == 404
    response = stranger.post(eqa_access_url, grant_data(people[Role.EQA], portfolio))
    assert response.status_code == 404
    assert not EqaGrant.objects.exists()


# --- External quality assurance: reading, audited --------------------------------------------


@pytest.fixture
def evidence(portfolio):
    item = EvidenceItemFactory(portfolio=portfolio, title="Customer survey analysis")
    return EvidenceFileFactory(item=item, original_name="survey.txt")


def eqa_pages(portfolio, evidence_file) -> list[str]:
    return [
        reverse("evidence:evidence-list", args=[portfolio.pk]),
        reverse("evidence:tracking-grid", args=[portfolio.pk]),
        reverse("evidence:sign-offs", args=[portfolio.pk]),
        reverse("evidence:item-detail", args=[evidence_file.item.pk]),
        reverse("evidence:file-download", args=[evidence_file.pk]),
    ]


def test_eqa_reads_the_portfolio_and_every_page_is_recorded(
    eqa, people, portfolio, grant, evidence, centre
):
    for url in eqa_pages(portfolio, evidence):
        response = eqa.get(url)

        assert response.status_code == 200, url
        event = AuditEvent.objects.filter(action="eqa.page_viewed").first()
        assert event.details == {"path": url, "status": 200}, url
        assert event.portfolio_id == portfolio.pk, url
        assert event.actor == people[Role.EQA]
        assert event.centre == centre
    assert AuditEvent.objects.filter(action="eqa.page_viewed").count() == 5


def test_the_file_download_is_the_evidence(eqa, grant, evidence):
    response = eqa.get(reverse("evidence:file-download", args=[evidence.pk]))

    assert b"".join(response.streaming_content) == evidence.file.open("rb").read()


def test_eqa_dashboard_views_are_recorded_too(eqa, people, grant):
    eqa.get(EQA_DASHBOARD + "?page=1")

    event = AuditEvent.objects.get(action="eqa.page_viewed")
    assert event.details["path"] == EQA_DASHBOARD + "?page=1"
    assert event.portfolio_id is None


def test_other_users_page_views_are_not_recorded(client_for, people, portfolio):
    for role in (Role.LEARNER, Role.ASSESSOR, Role.IQA, Role.CENTRE_ADMIN):
        client_for(people[role]).get(reverse("evidence:evidence-list", args=[portfolio.pk]))

    assert not AuditEvent.objects.filter(action="eqa.page_viewed").exists()


def test_eqa_sees_nothing_of_another_portfolio_at_the_same_centre(eqa, grant, centre):
    other = PortfolioFactory(centre=centre)
    other_file = EvidenceFileFactory(item=EvidenceItemFactory(portfolio=other))

    for url in eqa_pages(other, other_file):
        assert eqa.get(url).status_code == 404, url
    # The attempts are on the record, as refusals.
    attempts = AuditEvent.objects.filter(action="eqa.page_viewed", portfolio_id=other.pk)
    assert attempts.count() == len(eqa_pages(other, other_file))
    assert {event.details["status"] for event in attempts} == {404}


def test_eqa_without_a_grant_sees_nothing(eqa, portfolio, evidence):
    for url in eqa_pages(portfolio, evidence):
        assert eqa.get(url).status_code == 404, url


def test_an_expired_grant_gives_404(eqa, portfolio, grant, evidence):
    EqaGrant.objects.filter(pk=grant.pk).update(
        expires_on=timezone.localdate() - datetime.timedelta(days=1)
    )

    for url in eqa_pages(portfolio, evidence):
        assert eqa.get(url).status_code == 404, url
    assert list(eqa.get(EQA_DASHBOARD).context["grants"]) == []


def test_a_grant_lasts_to_the_end_of_its_expiry_day(eqa, portfolio, grant, evidence):
    EqaGrant.objects.filter(pk=grant.pk).update(expires_on=timezone.localdate())

    for url in eqa_pages(portfolio, evidence):
        assert eqa.get(url).status_code == 200, url


@pytest.fixture
def assessed(portfolio):
    """A submitted item waiting for review, and the Quality unit's criteria ready to sign."""
    accepted_review(portfolio, QUALITY_CRITERIA)
    item = EvidenceItemFactory(portfolio=portfolio, title="Waiting for review")
    services.evidence_mappings_set(
        item=item,
        user=portfolio.learner,
        references={criterion(QUALITY, "2.1").pk: "Page 3"},
        expected_version=item.version,
    )
    item.refresh_from_db()
    services.evidence_item_submit(item=item, learner=portfolio.learner, declared=True)
    item.refresh_from_db()
    return item


def test_eqa_cannot_change_anything(eqa, people, portfolio, grant, assessed):
    submitted = assessed
    draft = EvidenceItemFactory(portfolio=portfolio, title="Draft")
    draft_file = EvidenceFileFactory(item=draft)
    ready = [criterion(QUALITY, number).pk for number in QUALITY_CRITERIA]
    unit = quality_unit()
    forbidden = [
        (reverse("evidence:item-edit", args=[draft.pk]), {"title": "Changed by the EQA"}),
        (reverse("evidence:item-mappings", args=[draft.pk]), {}),
        (reverse("evidence:item-submit", args=[draft.pk]), {"declared": "on"}),
        (reverse("evidence:item-delete", args=[draft.pk]), {}),
        (reverse("evidence:file-delete", args=[draft_file.pk]), {}),
        (reverse("evidence:item-create", args=[portfolio.pk]), {"title": "New"}),
        (
            reverse("evidence:item-review", args=[submitted.pk]),
            {"outcome": "accepted", "feedback": ""},
        ),
        (
            reverse("evidence:criteria-sign-off", args=[portfolio.pk]),
            {"criteria": ready, "declared": "on"},
        ),
        (
            reverse("evidence:unit-sign-off", args=[portfolio.pk, unit.pk]),
            {"declared": "on"},
        ),
        (reverse("evidence:record-confirm", args=[submitted.pk]), {"declared": "on"}),
    ]
    versions = {item.pk: (item.status, item.version) for item in EvidenceItem.objects.all()}

    for url, data in forbidden:
        # The EQA can see each of these, so the refusal is 403 rather than 404.
        assert eqa.post(url, data).status_code == 403, url

    assert {item.pk: (item.status, item.version) for item in EvidenceItem.objects.all()} == (
        versions
    )
    assert EvidenceItem.objects.get(pk=submitted.pk).status == EvidenceStatus.SUBMITTED
    assert Review.objects.count() == 1
    assert not SignOff.objects.exists()
    assert draft.files.count() == 1


def test_eqa_cannot_countersign_withdraw_or_sample_a_sign_off(eqa, portfolio, grant):
    sign_off = signed_off_unit(portfolio)
    attempts = [
        (reverse("evidence:unit-countersign", args=[sign_off.pk]), {"declared": "on"}),
        (reverse("evidence:sign-off-withdraw", args=[sign_off.pk]), {"reason": "EQA"}),
        (reverse("evidence:sample-sign-off", args=[sign_off.pk]), sample_data(countersign="on")),
    ]

    for url, data in attempts:
        assert eqa.post(url, data).status_code == 403, url

    sign_off.refresh_from_db()
    assert sign_off.is_active
    assert sign_off.learner_signature is None and sign_off.iqa_signature is None
    assert not IqaSample.objects.exists()


def test_eqa_cannot_sample_or_ask_a_witness(eqa, portfolio, grant):
    review = accepted_review(portfolio)

    response = eqa.post(reverse("evidence:sample-review", args=[review.pk]), sample_data())
    assert response.status_code == 403
    response = eqa.post(PLAN_URL, {})
    assert response.status_code == 403
    response = eqa.post(reverse("evidence:witness-request", args=[review.item.pk]))
    assert response.status_code == 403
    assert not review.item.witness_requests.exists()
    assert not IqaSample.objects.exists()
    assert not SamplingPlan.objects.exists()


def test_eqa_cannot_grant_themselves_access(eqa, people, centre):
    other = PortfolioFactory(centre=centre)

    response = eqa.post(
        reverse("evidence:eqa-access", args=[centre.code]), grant_data(people[Role.EQA], other)
    )

    assert response.status_code == 404
    assert not EqaGrant.objects.exists()


# --- Revoking -----------------------------------------------------------------------------------


def test_revoking_ends_the_eqas_access(client_for, people, portfolio, grant, evidence, eqa):
    admin = client_for(people[Role.CENTRE_ADMIN])
    assert eqa.get(reverse("evidence:sign-offs", args=[portfolio.pk])).status_code == 200

    response = admin.post(reverse("evidence:eqa-revoke", args=[grant.pk]))

    assert response.url == reverse("evidence:eqa-access", args=[portfolio.centre.code])
    grant.refresh_from_db()
    assert grant.revoked_at is not None
    assert grant.revoked_by == people[Role.CENTRE_ADMIN]
    for url in eqa_pages(portfolio, evidence):
        assert eqa.get(url).status_code == 404, url
    assert list(eqa.get(EQA_DASHBOARD).context["grants"]) == []
    page = admin.get(reverse("evidence:eqa-access", args=[portfolio.centre.code]))
    assert list(page.context["grants"]) == []
    assert AuditEvent.objects.get(action="eqa.revoked").actor == people[Role.CENTRE_ADMIN]


def test_revoke_must_be_posted(client_for, people, grant):
    response = client_for(people[Role.CENTRE_ADMIN]).get(
        reverse("evidence:eqa-revoke", args=[grant.pk])
    )

    assert response.status_code == 405
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_a_centre_admin_elsewhere_cannot_see_or_revoke_the_grant(
    client_for, other_centre_people, portfolio, grant, eqa
):
    stranger = client_for(other_centre_people[Role.CENTRE_ADMIN])

    response = stranger.post(reverse("evidence:eqa-revoke", args=[grant.pk]))

    assert response.status_code == 404
    assert stranger.get(reverse("evidence:eqa-access", args=["riverside"])).status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None
    assert eqa.get(reverse("evidence:sign-offs", args=[portfolio.pk])).status_code == 200


@pytest.mark.parametrize("role", [Role.EQA, Role.IQA, Role.ASSESSOR, Role.LEARNER])
def test_nobody_else_revokes_a_grant(client_for, people, grant, role):
    response = client_for(people[role]).post(reverse("evidence:eqa-revoke", args=[grant.pk]))

    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.revoked_at is None


def test_access_can_be_granted_again_after_revoking(client_for, people, portfolio, grant, eqa):
    services.eqa_revoke(admin=people[Role.CENTRE_ADMIN], grant=grant)

    services.eqa_grant(
        admin=people[Role.CENTRE_ADMIN],
        eqa=people[Role.EQA],
        portfolios=[portfolio],
        expires_on=timezone.localdate() + datetime.timedelta(days=7),
    )

    assert EqaGrant.objects.count() == 2
    assert eqa.get(reverse("evidence:sign-offs", args=[portfolio.pk])).status_code == 200
