"""The centre admin's People pages: add and invite, accept, suspend, leave, reassign."""

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from criteria.models import Qualification
from evidence.models import EvidenceStatus, Portfolio, PortfolioStatus
from evidence.services import portfolio_enrol
from people import services
from portfolio_site.accounts.models import Invitation, Membership, MembershipStatus, Role, User
from portfolio_site.audit.models import AuditEvent
from portfolio_site.notifications.models import Notification
from tests.evidence.helpers import ICQ_CUSTOMER_SERVICE
from tests.factories import CentreFactory, EvidenceItemFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def eager_email(settings):
    # The invitation goes through the Celery task; run it in-process for these page tests
    # (tests/test_celery_worker.py runs a real worker).
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def committed(django_capture_on_commit_callbacks, monkeypatch):
    """Run each request's on-commit callbacks (the invitation email) as its transaction would
    on commit: the test's own transaction never commits."""
    from django.test import Client

    original = Client.request

    def request(self, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return original(self, **kwargs)

    monkeypatch.setattr(Client, "request", request)


@pytest.fixture
def admin_client(client, people):
    client.force_login(people[Role.CENTRE_ADMIN])
    return client


def invitation_link(message) -> str:
    return re.search(r"https?://\S+/people/invitation/\S+/", message.body).group(0)


def add(client, centre, **fields):
    data = {"first_name": "Priya", "last_name": "Shah", "email": "Priya.Shah@Example.org"}
    data.update(fields)
    data.setdefault("roles", ["assessor"])
    return client.post(reverse("people:add", args=[centre.code]), data)


def test_add_invites_a_new_person_who_sets_a_password_and_signs_in_by_email(
    admin_client, centre, client
):
    response = add(admin_client, centre, roles=["assessor", "iqa"])
    person = User.objects.get(email="Priya.Shah@Example.org")  # stored as typed
    assert response.status_code == 302 and response.url == reverse(
        "people:person", args=[centre.code, person.pk]
    )
    assert not person.has_usable_password()
    assert {m.role for m in person.memberships.all()} == {"assessor", "iqa"}
    assert {m.status for m in person.memberships.all()} == {MembershipStatus.INVITED}
    (message,) = mail.outbox
    assert message.to == ["Priya.Shah@Example.org"] and centre.name in message.subject
    link = invitation_link(message)
    path = link.split("127.0.0.1:8000", 1)[-1]

    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and "Priya.Shah@Example.org" in page.text
    response = client.post(
        path, {"new_password1": "a-long-pass-phrase-42", "new_password2": "a-long-pass-phrase-42"}
    )
    assert response.status_code == 302 and response.url == reverse("login")
    # The link is single-use.
    assert client.get(path).status_code == 410
    # Signing in with the email, typed in another case.
    response = client.post(
        reverse("login"),
        {"username": "priya.shah@example.org", "password": "a-long-pass-phrase-42"},
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302  # sent on to a dashboard
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {
        "person.added",
        "person.role_added",
        "person.invited",
        "person.invitation_accepted",
    } <= (actions)


def test_an_existing_email_gets_a_new_role_on_the_same_account(admin_client, centre):
    elsewhere = CentreFactory()
    someone = member(Role.EQA, elsewhere, username="jo", email="Jo@Example.org")
    response = add(admin_client, centre, email="jo@example.ORG", roles=["eqa"])
    assert response.status_code == 302
    assert User.objects.filter(email__iexact="jo@example.org").count() == 1
    assert Membership.objects.filter(user=someone, centre=centre, role=Role.EQA).exists()
    assert not mail.outbox  # they already sign in


def test_add_a_learner_with_enrolment_and_learner_record(admin_client, centre, people, catalogue):
    qualification = Qualification.objects.get(code=ICQ_CUSTOMER_SERVICE)
    response = add(
        admin_client,
        centre,
        email="sam@example.org",
        roles=["learner"],
        uln="0000000042",
        qualification=qualification.pk,
        assessor=people[Role.ASSESSOR].pk,
        iqa=people[Role.IQA].pk,
        start_date="2026-09-01",
        planned_end_date="2027-08-31",
        registration_number="REG-123",
        registered_on="2026-09-10",
        employer="Riverside Hotel",
    )
    assert response.status_code == 302, response.context["form"].errors
    learner = User.objects.get(email="sam@example.org")
    assert Membership.objects.get(user=learner, role=Role.LEARNER).uln == "0000000042"
    portfolio = Portfolio.objects.get(learner=learner)
    assert (portfolio.registration_number, portfolio.employer) == ("REG-123", "Riverside Hotel")
    assert portfolio.registered_on == datetime.date(2026, 9, 10)
    assert portfolio.assessor == people[Role.ASSESSOR]
    header = admin_client.get(reverse("evidence:evidence-list", args=[portfolio.pk])).text
    assert "0000000042" in header and "REG-123" in header and "Riverside Hotel" in header


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"uln": "1234567890", "roles": ["learner"]}, "uln", "not a valid ULN"),
        ({"uln": "12345", "roles": ["learner"]}, "uln", "A ULN is 10 digits"),
        ({"uln": "0000000042", "roles": ["assessor"]}, "uln", "Only for a learner"),
        ({"roles": []}, "roles", "Choose at least one role"),
        ({"email": "not-an-email"}, "email", "valid email"),
    ],
)
def test_add_refuses_bad_input_with_a_message(admin_client, centre, fields, field, message):
    response = add(admin_client, centre, **fields)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not User.objects.filter(email__iexact="priya.shah@example.org").exists()


def test_a_uln_is_unique_at_the_centre(admin_client, centre):
    assert add(admin_client, centre, roles=["learner"], uln="0000000042").status_code == 302
    response = add(
        admin_client, centre, email="other@example.org", roles=["learner"], uln="0000000042"
    )
    assert response.status_code == 200
    assert "has the ULN" in response.text


def test_resend_replaces_the_link_and_cancel_stops_it(admin_client, centre, client):
    add(admin_client, centre)
    person = User.objects.get(email="Priya.Shah@Example.org")
    first = invitation_link(mail.outbox[0]).split("8000", 1)[-1]
    admin_client.post(reverse("people:invite", args=[centre.code, person.pk]))
    second = invitation_link(mail.outbox[1]).split("8000", 1)[-1]
    anonymous = client.__class__()
    assert anonymous.get(first).status_code == 410
    assert anonymous.get(second).status_code == 200
    invitation = Invitation.objects.open().get(user=person)
    admin_client.post(reverse("people:invitation-cancel", args=[invitation.pk]))
    assert anonymous.get(second).status_code == 410
    assert "cancelled" in anonymous.get(second).text
    assert anonymous.get("/people/invitation/made-up-token/").status_code == 404


def test_an_expired_invitation_says_so(admin_client, centre, client):
    add(admin_client, centre)
    path = invitation_link(mail.outbox[0]).split("8000", 1)[-1]
    Invitation.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    client.logout()
    response = client.get(path)
    assert response.status_code == 410 and "expired" in response.text


def test_suspending_signs_out_and_closes_every_portfolio(centre, people, catalogue, client):
    from django.test import Client

    assessor = people[Role.ASSESSOR]
    portfolio = portfolio_enrol(
        learner=people[Role.LEARNER],
        centre=centre,
        qualification=Qualification.objects.get(code=ICQ_CUSTOMER_SERVICE),
        assessor=assessor,
        start_date=timezone.localdate(),
    )
    assessor_client = Client()
    assessor_client.force_login(assessor)
    url = reverse("evidence:evidence-list", args=[portfolio.pk])
    assert assessor_client.get(url).status_code == 200

    admin = Client()
    admin.force_login(people[Role.CENTRE_ADMIN])
    membership = Membership.objects.get(user=assessor, role=Role.ASSESSOR)
    admin.post(reverse("people:membership-suspend", args=[membership.pk]))
    # Signed out: the next request goes to the login page.
    assert assessor_client.get(url).url.startswith(reverse("login"))
    assessor.refresh_from_db()
    assessor_client.force_login(assessor)
    assert assessor_client.get(url).status_code == 404
    assert assessor_client.get(reverse("evidence:assessor-dashboard")).status_code == 403
    assert AuditEvent.objects.filter(action="person.suspended").exists()

    admin.post(reverse("people:membership-reactivate", args=[membership.pk]))
    assert assessor_client.get(url).status_code == 200


def test_a_learner_who_leaves_keeps_a_read_only_portfolio_for_the_centre(
    admin_client, centre, people, catalogue, client
):
    learner = people[Role.LEARNER]
    portfolio = portfolio_enrol(
        learner=learner,
        centre=centre,
        qualification=Qualification.objects.get(code=ICQ_CUSTOMER_SERVICE),
        assessor=people[Role.ASSESSOR],
        start_date=timezone.localdate(),
    )
    membership = Membership.objects.get(user=learner, role=Role.LEARNER)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = admin_client.post(
        reverse("people:membership-end", args=[membership.pk]), {"ended_on": tomorrow}
    )
    assert response.status_code == 200 and "today or earlier" in response.text
    response = admin_client.post(
        reverse("people:membership-end", args=[membership.pk]),
        {"ended_on": timezone.localdate().isoformat(), "reason": "Moved away"},
    )
    assert response.status_code == 302
    portfolio.refresh_from_db()
    assert portfolio.status == PortfolioStatus.WITHDRAWN
    membership.refresh_from_db()
    assert membership.status == MembershipStatus.LEFT
    assert (
        admin_client.get(reverse("evidence:evidence-list", args=[portfolio.pk])).status_code == 200
    )
    from django.test import Client

    former = Client()
    learner.refresh_from_db()
    former.force_login(learner)
    assert former.get(reverse("evidence:evidence-list", args=[portfolio.pk])).status_code == 404
    assert former.get(reverse("evidence:learner-dashboard")).status_code == 403


def test_reassign_moves_waiting_items_and_tells_both(admin_client, centre, people, catalogue):
    old = people[Role.ASSESSOR]
    new = member(Role.ASSESSOR, centre, username="new-assessor")
    qualification = Qualification.objects.get(code=ICQ_CUSTOMER_SERVICE)
    portfolios = [
        portfolio_enrol(
            learner=member(Role.LEARNER, centre, username=f"learner-{n}"),
            centre=centre,
            qualification=qualification,
            assessor=old,
            start_date=timezone.localdate(),
        )
        for n in range(3)
    ]
    waiting = EvidenceItemFactory(
        portfolio=portfolios[0], status=EvidenceStatus.SUBMITTED, submitted_at=timezone.now()
    )
    url = reverse("people:reassign", args=[centre.code])
    page = admin_client.get(url, {"role": "assessor", "from_user": old.pk})
    assert page.status_code == 200 and str(portfolios[0].learner) in page.text
    response = admin_client.post(
        url,
        {
            "role": "assessor",
            "from_user": old.pk,
            "to_user": new.pk,
            "portfolios": [portfolios[0].pk, portfolios[1].pk],
            "reason": "Caseload balance",
        },
    )
    assert response.status_code == 302
    assert [Portfolio.objects.get(pk=p.pk).assessor for p in portfolios] == [new, new, old]
    from evidence.selectors import assessment_queue

    assert list(assessment_queue(assessor=new)) == [waiting]
    assert Notification.objects.filter(recipient=new, kind="caseload.reassigned").exists()
    assert Notification.objects.filter(recipient=old, kind="caseload.reassigned").exists()
    assert AuditEvent.objects.filter(action="caseload.reassigned").count() == 1
    assert AuditEvent.objects.filter(action="portfolio.reassigned").count() == 2


def test_reassign_needs_a_reason_and_learners(admin_client, centre, people, catalogue):
    old = people[Role.ASSESSOR]
    new = member(Role.ASSESSOR, centre, username="new-assessor")
    portfolio_enrol(
        learner=people[Role.LEARNER],
        centre=centre,
        qualification=Qualification.objects.get(code=ICQ_CUSTOMER_SERVICE),
        assessor=old,
        start_date=timezone.localdate(),
    )
    url = reverse("people:reassign", args=[centre.code])
    response = admin_client.post(
        url, {"role": "assessor", "from_user": old.pk, "to_user": new.pk, "reason": ""}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "reason" in errors and "Tick the learners" in " ".join(errors["portfolios"])
    response = admin_client.post(
        url,
        {
            "role": "assessor",
            "from_user": old.pk,
            "to_user": new.pk,
            "move_all": "on",
            "reason": "Leave",
        },
    )
    assert response.status_code == 302
    assert not Portfolio.objects.filter(assessor=old).exists()


def test_people_list_searches_filters_and_pages(
    admin_client, centre, people, django_assert_max_num_queries
):
    for n in range(60):
        member(
            Role.LEARNER, centre, username=f"bulk-{n:02}", first_name="Bulk", last_name=f"L{n:02}"
        )
    Membership.objects.filter(user__username="bulk-07").update(is_active=False)
    url = reverse("people:list", args=[centre.code])
    with django_assert_max_num_queries(15):
        page = admin_client.get(url)
    assert page.status_code == 200 and "page 1 of 2" in page.text
    found = admin_client.get(url, {"q": "bulk-07@example"})
    assert found.context["page"].paginator.count == 1
    suspended = admin_client.get(url, {"status": "suspended"})
    assert [person.username for person in suspended.context["page"]] == ["bulk-07"]
    assessors = admin_client.get(url, {"role": "assessor"})
    assert [person.username for person in assessors.context["page"]] == ["assessor-user"]
    # Nonsense filters are ignored, not errors.
    assert admin_client.get(url, {"role": "x", "status": "y", "page": "zz"}).status_code == 200


def test_person_page_shows_roles_caseload_and_events(admin_client, centre, people):
    assessor = people[Role.ASSESSOR]
    membership = Membership.objects.get(user=assessor, role=Role.ASSESSOR)
    admin_client.post(reverse("people:membership-suspend", args=[membership.pk]))
    page = admin_client.get(reverse("people:person", args=[centre.code, assessor.pk]))
    assert page.status_code == 200
    assert "suspended" in page.text and "person.suspended" in page.text


def test_centre_details_are_edited_and_audited(admin_client, centre):
    response = admin_client.post(
        reverse("people:centre-settings", args=[centre.code]),
        {"name": centre.name, "centre_number": "AO-9981", "address": "1 River Street\nLeeds"},
    )
    assert response.status_code == 302
    centre.refresh_from_db()
    assert centre.centre_number == "AO-9981" and "Leeds" in centre.address
    assert AuditEvent.objects.filter(action="centre.changed").exists()


def test_an_admin_cannot_suspend_their_own_admin_role(admin_client, people):
    own = Membership.objects.get(user=people[Role.CENTRE_ADMIN], role=Role.CENTRE_ADMIN)
    response = admin_client.post(reverse("people:membership-suspend", args=[own.pk]), follow=True)
    assert "cannot suspend your own" in response.text
    own.refresh_from_db()
    assert own.is_active


def test_invitation_days_come_from_settings(settings, centre, people):
    settings.INVITATION_DAYS = 2
    user, _ = services.person_add(
        centre=centre,
        email="new@example.org",
        first_name="New",
        last_name="Person",
        roles=[Role.IQA],
        added_by=people[Role.CENTRE_ADMIN],
    )
    invitation = Invitation.objects.get(user=user)
    assert invitation.expires_at - invitation.created_at == datetime.timedelta(days=2)
