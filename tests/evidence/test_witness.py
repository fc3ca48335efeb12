"""Witness testimonies signed remotely: the single-use emailed link, the witness's page (no
account needed), what is recorded, and links that no longer work."""

import datetime
import html
import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from evidence import services
from evidence.models import EvidenceItem, EvidenceKind, WitnessRequest, WitnessSignature, sha256_of
from evidence.services.witness import witness_statement
from portfolio_site.accounts.models import Role
from portfolio_site.audit.models import AuditEvent
from portfolio_site.notifications.models import Notification
from tests.factories import EvidenceItemFactory, member

pytestmark = pytest.mark.django_db

WITNESS_EMAIL = "jo.brown@example.org"
NARRATIVE = "<div>Sam ran the Monday complaints huddle and closed every open case.</div>"


@pytest.fixture
def testimony(portfolio):
    return EvidenceItemFactory(
        portfolio=portfolio,
        title="Complaints huddle, witnessed",
        kind=EvidenceKind.WITNESS_TESTIMONY,
        narrative=NARRATIVE,
        witness_name="Jo Brown",
        witness_job_title="Customer Service Manager",
        witness_relationship="My line manager",
        witness_email=WITNESS_EMAIL,
    )


@pytest.fixture
def witness():
    """The witness's browser: never logged in."""
    return Client()


def request_url(item) -> str:
    return reverse("evidence:witness-request", args=[item.pk])


def link_path(message) -> str:
    """The path of the witness link in an email."""
    found = re.search(r"https?://[^/\s]+(/witness/[^/\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def send_link(client, item, capture) -> str:
    """Ask for a link through the item page; returns the path the witness is sent."""
    sent_before = len(mail.outbox)
    with capture(execute=True):
        response = client.post(request_url(item))
    assert response.status_code == 302
    assert len(mail.outbox) == sent_before + 1
    return link_path(mail.outbox[-1])


def sign_data(path: str, **overrides) -> dict:
    """The witness's form as the page at ``path`` shows it now (with the statement's hash)."""
    page = Client().get(path)
    shown = re.search(r'name="statement_sha256" value="([0-9a-f]{64})"', page.content.decode())
    return {
        "comments": "I was there.",
        "confirmed": "on",
        "typed_name": "Jo Brown",
        "statement_sha256": shown.group(1) if shown else "",
        **overrides,
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def edit_fields(item: EvidenceItem, **overrides) -> dict:
    return {
        "title": item.title,
        "kind": item.kind,
        "activity_date": item.activity_date,
        "narrative": item.narrative,
        "witness_name": item.witness_name,
        "witness_job_title": item.witness_job_title,
        "witness_relationship": item.witness_relationship,
        "witness_email": item.witness_email,
        **overrides,
    }


# --- Sending the link -------------------------------------------------------------------------


def test_learner_sends_the_witness_a_link_by_email(
    client_for, people, testimony, django_capture_on_commit_callbacks
):
    learner = client_for(people[Role.LEARNER])

    with django_capture_on_commit_callbacks(execute=True):
        response = learner.post(request_url(testimony))

    assert response.url == reverse("evidence:item-detail", args=[testimony.pk])
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [WITNESS_EMAIL]
    assert "/witness/" in link_path(email)
    assert "Jo Brown" in email.body
    request = WitnessRequest.objects.get()
    assert request.item == testimony
    assert request.sent_by == people[Role.LEARNER]
    assert request.sent_to == WITNESS_EMAIL
    assert request.witness_name == "Jo Brown"
    assert request.used_at is None and request.superseded_at is None
    assert any("A link went to Jo Brown" in text for text in messages_of(response))


def test_link_expires_after_the_configured_number_of_days(client_for, people, testimony, settings):
    settings.WITNESS_LINK_DAYS = 3

    response = client_for(people[Role.LEARNER]).post(request_url(testimony))

    request = WitnessRequest.objects.get()
    assert request.expires_at - request.sent_at == datetime.timedelta(days=3)
    assert "expires in 3 days" in messages_of(response)[0]


def test_assessor_may_send_the_link_too(
    client_for, people, testimony, django_capture_on_commit_callbacks
):
    path = send_link(
        client_for(people[Role.ASSESSOR]), testimony, django_capture_on_commit_callbacks
    )

    assert path.startswith("/witness/")
    assert WitnessRequest.objects.get().sent_by == people[Role.ASSESSOR]


def test_another_learner_gets_404(client_for, people, testimony):
    classmate = member(Role.LEARNER, testimony.portfolio.centre)

    response = client_for(classmate).post(request_url(testimony))

    assert response.status_code == 404
    assert not WitnessRequest.objects.exists()
    assert mail.outbox == []


def test_other_centres_get_404(client_for, other_centre_people, testimony):
    for user in other_centre_people.values():
        assert client_for(user).post(request_url(testimony)).status_code == 404, user
    assert not WitnessRequest.objects.exists()


@pytest.mark.parametrize("role", [Role.CENTRE_ADMIN, Role.IQA])
def test_centre_admin_and_iqa_read_the_item_but_cannot_send(
    client_for, people, testimony, role, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(people[role]).post(request_url(testimony))

    assert response.status_code == 403
    assert not WitnessRequest.objects.exists()
    assert mail.outbox == []


def test_the_request_must_be_posted(client_for, people, testimony):
    response = client_for(people[Role.LEARNER]).get(request_url(testimony))

    assert response.status_code == 405
    assert not WitnessRequest.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": EvidenceKind.WORK_PRODUCT, "witness_email": ""},
        {"kind": EvidenceKind.WITNESS_TESTIMONY, "witness_email": ""},
    ],
    ids=["not-a-testimony", "no-email"],
)
def test_only_a_testimony_with_an_email_is_sent(
    client_for, people, portfolio, fields, django_capture_on_commit_callbacks
):
    item = EvidenceItemFactory(portfolio=portfolio, witness_name="Jo Brown", **fields)

    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(people[Role.LEARNER]).post(request_url(item))

    assert messages_of(response) == [
        "Only a witness testimony with the witness's email can be sent."
    ]
    assert not WitnessRequest.objects.exists()
    assert mail.outbox == []


def test_item_page_offers_the_request_to_learner_and_assessor_only(client_for, people, testimony):
    url = reverse("evidence:item-detail", args=[testimony.pk])
    for role in (Role.LEARNER, Role.ASSESSOR):
        assert client_for(people[role]).get(url).context["can_request_witness"], role
    for role in (Role.IQA, Role.CENTRE_ADMIN):
        assert not client_for(people[role]).get(url).context["can_request_witness"], role


def test_audit_records_the_request(client_for, people, testimony):
    client_for(people[Role.LEARNER]).post(request_url(testimony))

    event = AuditEvent.objects.get(action="witness.request_sent")
    assert event.actor == people[Role.LEARNER]
    assert event.portfolio_id == testimony.portfolio_id
    assert event.object_id == str(testimony.pk)
    assert event.details["sent_to"] == WITNESS_EMAIL


# --- The witness's page -----------------------------------------------------------------------


def test_witness_reads_the_statement_without_logging_in(
    client_for, people, testimony, witness, django_capture_on_commit_callbacks
):
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )

    response = witness.get(path)

    assert response.status_code == 200
    page = response.content.decode()
    assert NARRATIVE in page
    assert html.escape(str(testimony.portfolio.learner)) in page
    assert "Complaints huddle, witnessed" in page
    assert response.context["statement"]["learner"] == str(testimony.portfolio.learner)
    assert response.context["form"].initial["typed_name"] == "Jo Brown"
    assert "no-cache" in response["Cache-Control"]


def test_witness_signs_and_everything_is_recorded(
    client_for, people, testimony, witness, django_capture_on_commit_callbacks
):
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = witness.post(
            path, sign_data(path, comments="  Accurate.  "), HTTP_USER_AGENT="WitnessBrowser/1.0"
        )

    assert response.status_code == 200
    assert "Thank you, Jo Brown" in response.content.decode()
    signature = WitnessSignature.objects.get()
    request = WitnessRequest.objects.get()
    assert signature.request == request
    assert signature.item == testimony
    assert signature.typed_name == "Jo Brown"
    assert signature.comments == "Accurate."
    assert signature.ip_address == "127.0.0.1"
    assert signature.user_agent == "WitnessBrowser/1.0"
    assert signature.statement == witness_statement(testimony)
    assert signature.statement["narrative"] == NARRATIVE
    assert signature.statement_sha256 == sha256_of(signature.statement)
    assert request.used_at == signature.signed_at


def test_learner_and_assessor_are_told(
    client_for, people, testimony, witness, django_capture_on_commit_callbacks
):
    learner, assessor = people[Role.LEARNER], people[Role.ASSESSOR]
    path = send_link(client_for(learner), testimony, django_capture_on_commit_callbacks)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        witness.post(path, sign_data(path))

    notified = Notification.objects.filter(kind="witness_signed")
    assert {n.recipient for n in notified} == {learner, assessor}
    for notification in notified:
        assert "Jo Brown confirmed" in notification.message
        assert notification.url == reverse("evidence:item-detail", args=[testimony.pk])
    assert sorted(address for email in mail.outbox for address in email.to) == sorted(
        [learner.email, assessor.email]
    )


def test_audit_records_the_signature_with_the_witness_as_actor(
    client_for, people, testimony, witness, django_capture_on_commit_callbacks
):
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )

    witness.post(path, sign_data(path))

    event = AuditEvent.objects.get(action="witness.signed")
    assert event.actor is None
    assert event.actor_label == f"Witness Jo Brown <{WITNESS_EMAIL}>"
    assert event.portfolio_id == testimony.portfolio_id
    assert event.details["ip_address"] == "127.0.0.1"
    assert event.details["statement_sha256"] == WitnessSignature.objects.get().statement_sha256


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"confirmed": ""}, "Tick the box to confirm the statement is accurate."),
        ({"typed_name": ""}, "This field is required."),
        ({"typed_name": "   "}, "This field is required."),
    ],
    ids=["not-confirmed", "no-name", "blank-name"],
)
def test_signing_needs_the_box_ticked_and_a_typed_name(
    client_for, people, testimony, witness, data, error, django_capture_on_commit_callbacks
):
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )

    response = witness.post(path, sign_data(path, **data))

    assert response.status_code == 200
    assert error in response.content.decode()
    assert not WitnessSignature.objects.exists()
    assert WitnessRequest.objects.get().used_at is None
    assert witness.get(path).status_code == 200


def test_used_link_answers_410_and_signs_only_once(
    client_for, people, testimony, witness, django_capture_on_commit_callbacks
):
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )
    witness.post(path, sign_data(path))

    again = witness.get(path)
    posted_again = Client().post(path, sign_data(path, typed_name="Someone Else"))

    assert again.status_code == 410
    assert "used" in again.context["message"]
    assert "works only once" in again.content.decode()
    assert posted_again.status_code == 410
    assert WitnessSignature.objects.count() == 1
    assert WitnessSignature.objects.get().typed_name == "Jo Brown"
    assert AuditEvent.objects.filter(action="witness.signed").count() == 1


def test_a_forged_token_gives_404(witness):
    response = witness.get(reverse("evidence:witness-sign", args=["not-a-token-we-sent"]))
    assert response.status_code == 404


@pytest.mark.parametrize("position", [1, 10, -1], ids=["start", "middle", "end"])
def test_an_altered_token_gives_404(
    client_for, people, testimony, witness, position, django_capture_on_commit_callbacks
):
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )
    token = path.removeprefix("/witness/").removesuffix("/")
    index = position % len(token)
    altered = token[:index] + ("A" if token[index] != "A" else "B") + token[index + 1 :]
    assert altered != token

    get = witness.get(reverse("evidence:witness-sign", args=[altered]))
    post = witness.post(reverse("evidence:witness-sign", args=[altered]), sign_data(path))

    assert get.status_code == 404
    assert post.status_code == 404
    assert not WitnessSignature.objects.exists()
    assert witness.get(path).status_code == 200


def test_a_validly_signed_token_with_the_wrong_nonce_gives_404(
    client_for, people, testimony, witness, django_capture_on_commit_callbacks
):
    send_link(client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks)
    request = WitnessRequest.objects.get()
    guessed = signing.dumps(
        {"r": request.pk, "n": "guessed"}, salt="evidence.witness-link", compress=True
    )

    assert witness.get(reverse("evidence:witness-sign", args=[guessed])).status_code == 404


def test_an_expired_link_says_so_and_whom_to_ask(
    client_for, people, testimony, witness, django_capture_on_commit_callbacks
):
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )
    WitnessRequest.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))

    response = witness.get(path)
    posted = witness.post(path, sign_data(path))

    assert response.status_code == 410
    message = response.context["message"]
    assert "expired" in message
    assert str(people[Role.LEARNER]) in message
    assert str(people[Role.ASSESSOR]) in message
    assert "for a new link" in message
    assert html.escape(message) in response.content.decode()
    assert posted.status_code == 410
    assert not WitnessSignature.objects.exists()


def test_a_new_link_supersedes_the_old_one(
    client_for, people, testimony, witness, django_capture_on_commit_callbacks
):
    learner = client_for(people[Role.LEARNER])
    old = send_link(learner, testimony, django_capture_on_commit_callbacks)
    new = send_link(learner, testimony, django_capture_on_commit_callbacks)

    response = witness.get(old)

    assert old != new
    assert response.status_code == 410
    assert "newer link" in response.context["message"]
    assert witness.post(old, sign_data(old)).status_code == 410
    assert not WitnessSignature.objects.exists()
    assert witness.get(new).status_code == 200
    first, second = WitnessRequest.objects.order_by("pk")
    assert first.superseded_at is not None
    assert second.superseded_at is None


def test_the_witness_ip_ignores_x_forwarded_for_unless_behind_our_proxy(
    client_for, people, testimony, settings, django_capture_on_commit_callbacks
):
    settings.USE_X_FORWARDED_FOR = False
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )

    Client().post(path, sign_data(path), HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert WitnessSignature.objects.get().ip_address == "127.0.0.1"


def test_behind_the_proxy_the_last_forwarded_address_is_recorded(
    client_for, people, testimony, settings, django_capture_on_commit_callbacks
):
    settings.USE_X_FORWARDED_FOR = True
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )

    Client().post(path, sign_data(path), HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.7")

    assert WitnessSignature.objects.get().ip_address == "198.51.100.7"


# --- After signing ----------------------------------------------------------------------------


def test_item_page_shows_the_signature(
    client_for, people, testimony, witness, django_capture_on_commit_callbacks
):
    learner = client_for(people[Role.LEARNER])
    path = send_link(learner, testimony, django_capture_on_commit_callbacks)
    witness.post(path, sign_data(path, comments="Spot on."))

    response = learner.get(reverse("evidence:item-detail", args=[testimony.pk]))

    page = response.content.decode()
    assert "Signed by Jo Brown" in page
    assert "from 127.0.0.1" in page
    assert "Spot on." in page
    assert "The statement has changed since the witness signed it" not in page
    assert response.context["witness_signature_current"]
    assert not response.context["can_request_witness"]


def test_a_signed_unchanged_statement_is_not_sent_again(
    client_for, people, testimony, witness, django_capture_on_commit_callbacks
):
    learner = client_for(people[Role.LEARNER])
    path = send_link(learner, testimony, django_capture_on_commit_callbacks)
    witness.post(path, sign_data(path))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = learner.post(request_url(testimony))

    # (The first message is still waiting from the first send: no page was shown since.)
    assert messages_of(response)[-1].startswith("Jo Brown already signed this statement on ")
    assert WitnessRequest.objects.count() == 1
    assert mail.outbox == []


def test_item_page_says_when_the_statement_changed_since_signing(
    client_for, people, testimony, witness, django_capture_on_commit_callbacks
):
    learner_user = people[Role.LEARNER]
    learner = client_for(learner_user)
    path = send_link(learner, testimony, django_capture_on_commit_callbacks)
    witness.post(path, sign_data(path))
    testimony.refresh_from_db()

    services.evidence_item_update(
        item=testimony,
        editor=learner_user,
        expected_version=testimony.version,
        **edit_fields(testimony, narrative="<div>Sam ran every huddle that month.</div>"),
    )
    response = learner.get(reverse("evidence:item-detail", args=[testimony.pk]))

    page = response.content.decode()
    assert "Signed by Jo Brown" in page
    assert "The statement has changed since the witness signed it" in page
    assert not response.context["witness_signature_current"]
    assert response.context["can_request_witness"]
    # The signature keeps what the witness read.
    assert WitnessSignature.objects.get().statement["narrative"] == NARRATIVE


def test_a_changed_statement_can_be_sent_for_signing_again(
    client_for, people, testimony, witness, django_capture_on_commit_callbacks
):
    learner_user = people[Role.LEARNER]
    learner = client_for(learner_user)
    path = send_link(learner, testimony, django_capture_on_commit_callbacks)
    witness.post(path, sign_data(path))
    testimony.refresh_from_db()
    services.evidence_item_update(
        item=testimony,
        editor=learner_user,
        expected_version=testimony.version,
        **edit_fields(testimony, narrative="<div>Sam ran every huddle that month.</div>"),
    )

    new = send_link(learner, testimony, django_capture_on_commit_callbacks)
    Client().post(new, sign_data(new))

    assert WitnessSignature.objects.count() == 2
    latest = WitnessSignature.objects.first()
    assert latest.statement["narrative"] == "<div>Sam ran every huddle that month.</div>"
    page = learner.get(reverse("evidence:item-detail", args=[testimony.pk])).content.decode()
    assert "The statement has changed since the witness signed it" not in page


def test_deleting_a_draft_testimony_after_asking_the_witness_does_not_crash(
    client_for, people, testimony, django_capture_on_commit_callbacks
):
    learner = client_for(people[Role.LEARNER])
    send_link(learner, testimony, django_capture_on_commit_callbacks)

    response = learner.post(reverse("evidence:item-delete", args=[testimony.pk]))

    # Either the draft goes, or it stays and the learner is told why, never a server error.
    assert response.status_code == 302
    if EvidenceItem.objects.filter(pk=testimony.pk).exists():
        assert not any("was deleted" in text for text in messages_of(response))
        assert messages_of(response)
