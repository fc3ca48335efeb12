"""Notifications (portfolio_site/notifications): an in-app list and an email, through Django's
email backend, for each event that needs someone: an item submitted, accepted or referred, a
witness signature, an IQA decision, and a unit sign-off waiting for the learner's countersignature.
"""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import reverse

from criteria.models import AssessmentCriterion, Unit
from evidence import services
from evidence.models import ReviewOutcome, SampleDecision, SamplingMethod
from portfolio_site.accounts.models import Role
from portfolio_site.notifications.models import Notification
from portfolio_site.notifications.services import notifications_mark_read, notify
from tests.evidence.helpers import DESIGN, QUALITY, criterion
from tests.factories import EvidenceFileFactory, EvidenceItemFactory

pytestmark = pytest.mark.django_db

SITE = "https://portfolio.example.org"


@pytest.fixture(autouse=True)
def site_url(settings):
    # With a trailing slash, to show that links do not come out with two.
    settings.SITE_URL = f"{SITE}/"


# --- Building up to each event -------------------------------------------------------------------


def mapped_item(portfolio, author, references=None, **fields):
    """A draft (with a file, if the learner's), mapped to ``references`` (criterion ->
    reference)."""
    item = EvidenceItemFactory(portfolio=portfolio, **fields)
    if item.created_by == portfolio.learner:
        EvidenceFileFactory(item=item)
    services.evidence_mappings_set(
        item=item,
        user=author,
        references=references or {criterion(DESIGN, "1.1").pk: "Page 1"},
        expected_version=item.version,
    )
    item.refresh_from_db()
    return item


def submitted_item(portfolio, learner, **kwargs):
    item = mapped_item(portfolio, learner, **kwargs)
    services.evidence_item_submit(item=item, learner=learner, declared=True)
    item.refresh_from_db()
    return item


def decide(item, assessor, outcome, feedback=""):
    return services.review_record(
        item=item,
        assessor=assessor,
        outcome=outcome,
        feedback=feedback,
        decisions={
            criterion_id: (True, "")
            for criterion_id in item.mappings.values_list("criterion_id", flat=True)
        },
    )


def submission_event(portfolio, people):
    learner = people[Role.LEARNER]
    item = mapped_item(portfolio, learner, title="Complaints redesign")
    return (
        lambda: services.evidence_item_submit(item=item, learner=learner, declared=True),
        [people[Role.ASSESSOR]],
        "item_submitted",
        reverse("evidence:item-review", args=[item.pk]),
    )


def acceptance_event(portfolio, people):
    item = submitted_item(portfolio, people[Role.LEARNER], title="Complaints redesign")
    return (
        lambda: decide(item, people[Role.ASSESSOR], ReviewOutcome.ACCEPTED),
        [people[Role.LEARNER]],
        "item_accepted",
        reverse("evidence:item-detail", args=[item.pk]),
    )


def referral_event(portfolio, people):
    item = submitted_item(portfolio, people[Role.LEARNER], title="Complaints redesign")
    return (
        lambda: decide(item, people[Role.ASSESSOR], ReviewOutcome.REFERRED, "Add the figures."),
        [people[Role.LEARNER]],
        "item_referred",
        reverse("evidence:item-detail", args=[item.pk]),
    )


def witness_event(portfolio, people):
    testimony = EvidenceItemFactory(
        portfolio=portfolio,
        title="Complaints redesign",
        kind="witness_testimony",
        witness_name="Jo Brown",
        witness_job_title="Team leader",
        witness_relationship="Line manager",
        witness_email="jo.brown@example.org",
    )
    request, _ = services.witness_request_send(item=testimony, sender=people[Role.LEARNER])
    return (
        lambda: services.witness_sign(
            request=request,
            typed_name="Jo Brown",
            comments="Accurate.",
            confirmed=True,
            shown_statement_sha256=request.statement_sha256,
            ip_address="192.0.2.1",
            user_agent="pytest",
        ),
        [people[Role.LEARNER], people[Role.ASSESSOR]],
        "witness_signed",
        reverse("evidence:item-detail", args=[testimony.pk]),
    )


def iqa_event(portfolio, people):
    item = submitted_item(portfolio, people[Role.LEARNER], title="Complaints redesign")
    review = decide(item, people[Role.ASSESSOR], ReviewOutcome.ACCEPTED)

    made = {}

    def sample():
        made["sample"] = services.iqa_sample_record(
            iqa=people[Role.IQA],
            unit=Unit.objects.get(code=DESIGN),
            method=SamplingMethod.INTERIM,
            decision=SampleDecision.DISAGREE,
            comments="The process map does not show the hand-offs.",
            actions="Ask for the hand-offs before signing 1.1 off.",
            review=review,
        )

    return (
        sample,
        [people[Role.ASSESSOR]],
        "iqa_decision",
        # The sample's id (and so the link) exists only once it is recorded.
        lambda: reverse("evidence:iqa-sample-detail", args=[made["sample"].pk]),
    )


def countersign_event(portfolio, people):
    learner, assessor = people[Role.LEARNER], people[Role.ASSESSOR]
    unit = Unit.objects.get(code=QUALITY)
    criteria = AssessmentCriterion.objects.filter(outcome__unit=unit)
    item = submitted_item(
        portfolio,
        learner,
        title="Service quality review",
        references={c.pk: f"Section {c.number}" for c in criteria},
    )
    decide(item, assessor, ReviewOutcome.ACCEPTED)
    services.criteria_sign_off(
        portfolio=portfolio,
        assessor=assessor,
        criterion_ids=[c.pk for c in criteria],
        declared=True,
    )
    return (
        lambda: services.unit_sign_off(
            portfolio=portfolio, unit=unit, assessor=assessor, declared=True
        ),
        [learner],
        "countersign_needed",
        reverse("evidence:sign-offs", args=[portfolio.pk]),
    )


EVENTS = {
    "item submitted, to the assessor": submission_event,
    "item accepted, to the learner": acceptance_event,
    "item referred, to the learner": referral_event,
    "witness signed, to learner and assessor": witness_event,
    "IQA decision, to the assessor": iqa_event,
    "sign-off waiting for countersignature, to the learner": countersign_event,
}


@pytest.mark.parametrize("event", EVENTS.values(), ids=EVENTS.keys())
def test_each_event_notifies_its_people_in_the_app_and_by_email(
    portfolio, people, client_for, django_capture_on_commit_callbacks, event
):
    action, recipients, kind, url = event(portfolio, people)
    Notification.objects.all().delete()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        action()

    url = url() if callable(url) else url
    notifications = list(Notification.objects.order_by("recipient_id"))
    assert [n.recipient for n in notifications] == sorted(recipients, key=lambda u: u.pk)
    for notification in notifications:
        assert (notification.kind, notification.url) == (kind, url)
        assert notification.read_at is None
        # The link opens the page the notification is about, for its recipient.
        client = client_for(notification.recipient)
        response = client.get(reverse("notifications:open", args=[notification.pk]))
        assert (response.status_code, response.url) == (302, url)
        assert client.get(url).status_code == 200

    assert sorted(message.to for message in mail.outbox) == sorted(
        [user.email] for user in recipients
    )
    for message in mail.outbox:
        [notification] = [n for n in notifications if [n.recipient.email] == message.to]
        assert message.subject == f"NVQ Portfolio: {notification.message[:120]}"
        assert f"\n{SITE}{url}\n" in message.body
        assert notification.message in message.body


def test_the_messages_say_what_happened(portfolio, people):
    learner, assessor = people[Role.LEARNER], people[Role.ASSESSOR]
    item = submitted_item(portfolio, learner, title="Complaints redesign")
    decide(item, assessor, ReviewOutcome.REFERRED, "Add the figures.")
    services.evidence_item_submit(item=item, learner=learner, declared=True)

    messages = list(Notification.objects.order_by("pk").values_list("message", flat=True))
    assert messages == [
        f"{learner} submitted “Complaints redesign” for assessment.",
        f"{assessor} referred “Complaints redesign” back to you: see the feedback.",
        f"{learner} resubmitted “Complaints redesign” for assessment.",
    ]


def test_a_user_without_an_email_address_is_notified_in_the_app_only(
    portfolio, people, django_capture_on_commit_callbacks
):
    assessor = people[Role.ASSESSOR]
    assessor.email = ""
    assessor.save()
    action, *_ = submission_event(portfolio, people)

    with django_capture_on_commit_callbacks(execute=True):
        action()

    assert Notification.objects.get().recipient == assessor
    assert mail.outbox == []


def test_nothing_is_emailed_or_listed_when_the_action_rolls_back(
    portfolio, people, django_capture_on_commit_callbacks
):
    action, *_ = submission_event(portfolio, people)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        action()
        assert Notification.objects.count() == 1
        raise RuntimeError("something after the submission failed")

    assert callbacks == []
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_none_and_duplicate_recipients_are_skipped(people, django_capture_on_commit_callbacks):
    learner = people[Role.LEARNER]

    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[learner, None, learner], kind="test", message="Once only", url="/x/")

    assert Notification.objects.get().recipient == learner
    assert len(mail.outbox) == 1


def test_a_comment_over_two_lines_still_reaches_the_assessor_by_email(
    portfolio, people, django_capture_on_commit_callbacks
):
    learner, assessor = people[Role.LEARNER], people[Role.ASSESSOR]
    record = mapped_item(
        portfolio, assessor, kind="observation", created_by=assessor, title="Team briefing"
    )
    services.observation_send(item=record, assessor=assessor, declared=True)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.observation_return(
            item=record, learner=learner, comment="It was the weekly meeting.\nNot the monthly."
        )

    assert [message.to for message in mail.outbox] == [[assessor.email]]


# --- The list, opening, marking read, the badge -------------------------------------------------


@pytest.fixture
def inbox(people):
    """Three notifications for the learner (the first already read), one for the assessor."""
    learner = people[Role.LEARNER]
    for number, message in enumerate(["First news", "Second news", "Third news"], start=1):
        notify(recipients=[learner], kind="test", message=message, url=f"/evidence/{number}/")
    notify(recipients=[people[Role.ASSESSOR]], kind="test", message="Not yours", url="/x/")
    first = Notification.objects.get(message="First news")
    notifications_mark_read(user=learner, notification_ids=[first.pk])
    return {n.message: n for n in Notification.objects.all()}


def unread(user) -> list[str]:
    return sorted(
        Notification.objects.filter(recipient=user, read_at__isnull=True).values_list(
            "message", flat=True
        )
    )


def test_list_shows_own_notifications_newest_first_with_unread_marked(client_for, people, inbox):
    response = client_for(people[Role.LEARNER]).get(reverse("notifications:list"))

    assert response.status_code == 200
    assert [n.message for n in response.context["page"].object_list] == [
        "Third news",
        "Second news",
        "First news",
    ]
    page = response.content.decode()
    assert "Unread: </span>Third news" in page
    assert "Unread: </span>Second news" in page
    assert "First news" in page and "Unread: </span>First news" not in page
    assert "Not yours" not in page
    assert "Mark all as read" in page


def test_list_is_for_signed_in_users(client):
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_opening_a_notification_marks_it_read_and_follows_its_link(client_for, people, inbox):
    learner = people[Role.LEARNER]

    response = client_for(learner).get(
        reverse("notifications:open", args=[inbox["Second news"].pk])
    )

    assert response.status_code == 302
    assert response.url == "/evidence/2/"
    assert unread(learner) == ["Third news"]


@pytest.mark.parametrize(
    "url", ["https://evil.example/login", "//evil.example/login", "http:evil.example", ""]
)
def test_an_off_site_or_missing_link_is_not_followed(client_for, people, url):
    learner = people[Role.LEARNER]
    notify(recipients=[learner], kind="test", message="Click me", url=url)
    notification = Notification.objects.get()

    response = client_for(learner).get(reverse("notifications:open", args=[notification.pk]))

    assert response.status_code == 302
    assert response.url == reverse("notifications:list")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_another_users_notification_is_not_found(client_for, people, inbox):
    response = client_for(people[Role.LEARNER]).get(
        reverse("notifications:open", args=[inbox["Not yours"].pk])
    )

    assert response.status_code == 404
    assert unread(people[Role.ASSESSOR]) == ["Not yours"]


def test_mark_all_read_is_post_only_and_marks_only_ones_own(client_for, people, inbox):
    learner = client_for(people[Role.LEARNER])
    url = reverse("notifications:mark-all-read")

    assert learner.get(url).status_code == 405
    assert unread(people[Role.LEARNER]) == ["Second news", "Third news"]

    response = learner.post(url)

    assert response.status_code == 302
    assert response.url == reverse("notifications:list")
    assert unread(people[Role.LEARNER]) == []
    assert unread(people[Role.ASSESSOR]) == ["Not yours"]
    page = learner.get(reverse("notifications:list")).content.decode()
    assert "Unread:" not in page and "Mark all as read" not in page


BADGE = '<span class="badge rounded-pill text-bg-warning">'


def test_nav_badge_counts_unread_on_any_page_until_all_are_read(
    client_for, people, portfolio, inbox
):
    learner = client_for(people[Role.LEARNER])
    dashboard = reverse("evidence:learner-dashboard")

    page = learner.get(dashboard).content.decode()
    assert f'{BADGE}2<span class="visually-hidden"> unread</span></span>' in page
    # Someone else's notifications are not counted.
    assessor_page = client_for(people[Role.ASSESSOR]).get(reverse("notifications:list"))
    assert f"{BADGE}1<" in assessor_page.content.decode()

    learner.post(reverse("notifications:mark-all-read"))

    page = learner.get(dashboard).content.decode()
    assert BADGE not in page
    assert "Notifications" in page
