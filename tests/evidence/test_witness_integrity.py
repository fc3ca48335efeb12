"""Issue 14, finding 1: the witness signs exactly the statement they were shown, an edit after
the link went out cancels it, and the assessor sees whose address the link went to."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from evidence import services
from evidence.models import EvidenceItem, EvidenceKind, WitnessRequest, WitnessSignature, sha256_of
from evidence.services.witness import witness_statement
from portfolio_site.accounts.models import Role
from portfolio_site.audit.models import AuditEvent
from tests.factories import EvidenceItemFactory

pytestmark = pytest.mark.django_db

ORIGINAL = "<div>Sam ran the Monday complaints huddle.</div>"
CHANGED = "<div>Sam designed the whole complaints process and trained the team.</div>"


@pytest.fixture
def testimony(portfolio):
    portfolio.employer = "Northwind Contact Centre"
    portfolio.save(update_fields=["employer"])
    return EvidenceItemFactory(
        portfolio=portfolio,
        title="Complaints huddle, witnessed",
        kind=EvidenceKind.WITNESS_TESTIMONY,
        narrative=ORIGINAL,
        witness_name="Jo Brown",
        witness_job_title="Customer Service Manager",
        witness_relationship="My line manager",
        witness_email="jo.brown@northwind.example",
    )


def send_link(client, item, capture) -> str:
    with capture(execute=True):
        assert client.post(reverse("evidence:witness-request", args=[item.pk])).status_code == 302
    found = re.search(r"https?://[^/\s]+(/witness/[^/\s]+/)", mail.outbox[-1].body)
    return found.group(1)


def shown_hash(page) -> str:
    found = re.search(r'name="statement_sha256" value="([0-9a-f]{64})"', page.content.decode())
    assert found, "the witness form carries the statement's hash"
    return found.group(1)


def form_data(shown: str, **overrides) -> dict:
    return {
        "comments": "",
        "confirmed": "on",
        "typed_name": "Jo Brown",
        "statement_sha256": shown,
        **overrides,
    }


def edit(client, item, **overrides):
    item.refresh_from_db()
    data = {
        "title": item.title,
        "kind": item.kind,
        "activity_date": item.activity_date,
        "narrative": item.narrative,
        "witness_name": item.witness_name,
        "witness_job_title": item.witness_job_title,
        "witness_relationship": item.witness_relationship,
        "witness_email": item.witness_email,
        "version": item.version,
        **overrides,
    }
    return client.post(reverse("evidence:item-edit", args=[item.pk]), data)


# --- The statement shown is the statement signed -----------------------------------------------


def test_the_witness_form_carries_the_hash_of_the_statement_shown(
    client_for, people, testimony, django_capture_on_commit_callbacks
):
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )

    page = Client().get(path)

    assert shown_hash(page) == sha256_of(witness_statement(testimony))


def test_an_edit_after_the_link_was_sent_cancels_it_and_the_learner_is_told(
    client_for, people, testimony, django_capture_on_commit_callbacks
):
    learner = client_for(people[Role.LEARNER])
    path = send_link(learner, testimony, django_capture_on_commit_callbacks)
    witness = Client()
    opened = witness.get(path)  # the witness opens the page and reads the original text

    response = edit(learner, testimony, narrative=CHANGED)

    told = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("link no longer works" in message for message in told), told
    request = WitnessRequest.objects.get()
    assert request.cancelled_at is not None
    # The witness submits the form they opened: nothing is signed, and they are told why.
    posted = witness.post(path, form_data(shown_hash(opened)))
    assert posted.status_code == 410
    assert "changed the statement" in posted.content.decode()
    assert not WitnessSignature.objects.exists()
    # The item page keeps saying so until a new link is sent.
    page = learner.get(reverse("evidence:item-detail", args=[testimony.pk])).content.decode()
    assert "so that link no longer works" in page
    assert AuditEvent.objects.filter(action="witness.request_cancelled").count() == 1


def test_a_new_link_after_the_edit_signs_the_new_statement(
    client_for, people, testimony, django_capture_on_commit_callbacks
):
    learner = client_for(people[Role.LEARNER])
    send_link(learner, testimony, django_capture_on_commit_callbacks)
    edit(learner, testimony, narrative=CHANGED)

    path = send_link(learner, testimony, django_capture_on_commit_callbacks)
    page = Client().get(path)
    assert Client().post(path, form_data(shown_hash(page))).status_code == 200

    signature = WitnessSignature.objects.get()
    assert signature.statement["narrative"] == CHANGED


def test_adding_a_file_after_the_link_was_sent_cancels_it(
    client_for, people, testimony, django_capture_on_commit_callbacks
):
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )

    services.evidence_file_add_generated(
        item=testimony,
        name="rota.txt",
        content=b"Monday huddle rota",
        content_type="text/plain",
        uploader=people[Role.LEARNER],
    )

    assert WitnessRequest.objects.get().cancelled_at is not None
    assert Client().get(path).status_code == 410


def test_a_statement_changed_behind_the_open_page_is_refused_and_shown_again(
    client_for, people, testimony, django_capture_on_commit_callbacks
):
    """However the text changed (here straight in the table, as no page of ours would), the
    hash on the witness's form no longer matches and the witness reads it again."""
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )
    witness = Client()
    opened = shown_hash(witness.get(path))
    EvidenceItem.objects.filter(pk=testimony.pk).update(narrative=CHANGED)

    refused = witness.post(path, form_data(opened))

    body = refused.content.decode()
    assert refused.status_code == 409
    assert "The statement changed after you opened this page" in body
    assert "Read it again" in body
    assert "designed the whole complaints process" in body
    assert not WitnessSignature.objects.exists()
    assert WitnessRequest.objects.get().used_at is None
    # Having read it again, the witness signs what they now saw.
    assert witness.post(path, form_data(shown_hash(refused))).status_code == 200
    assert WitnessSignature.objects.get().statement["narrative"] == CHANGED


@pytest.mark.parametrize("shown", ["", "0" * 64, "not-a-hash"])
def test_a_form_without_the_right_hash_signs_nothing(
    client_for, people, testimony, shown, django_capture_on_commit_callbacks
):
    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )

    response = Client().post(path, form_data(shown))

    assert response.status_code == 409
    assert not WitnessSignature.objects.exists()


def test_the_service_refuses_a_hash_of_another_statement(people, testimony):
    request, _ = services.witness_request_send(item=testimony, sender=people[Role.LEARNER])
    EvidenceItem.objects.filter(pk=testimony.pk).update(title="Something else")

    with pytest.raises(services.witness.StatementChanged):
        services.witness_sign(
            request=request,
            typed_name="Jo Brown",
            comments="",
            confirmed=True,
            shown_statement_sha256=request.statement_sha256,
            ip_address="192.0.2.1",
            user_agent="pytest",
        )
    assert not WitnessSignature.objects.exists()


# --- Whose address the link went to -------------------------------------------------------------


def item_page(client_for, people, item) -> str:
    assessor = client_for(people[Role.ASSESSOR])
    return assessor.get(reverse("evidence:item-detail", args=[item.pk])).content.decode()


def test_the_item_shows_the_witness_domain_next_to_the_employer(client_for, people, testimony):
    page = item_page(client_for, people, testimony)

    assert "northwind.example" in page
    assert "Northwind Contact Centre" in page
    assert "data-witness-warning" not in page


def test_a_witness_address_that_is_the_learners_own_is_flagged(client_for, people, testimony):
    learner = people[Role.LEARNER]
    EvidenceItem.objects.filter(pk=testimony.pk).update(witness_email=learner.email.upper())

    page = item_page(client_for, people, testimony)

    assert "data-witness-warning" in page
    assert "is the learner's own address" in page


def test_a_witness_at_the_learners_own_email_domain_is_flagged(client_for, people, testimony):
    learner = people[Role.LEARNER]
    learner.email = "sam.learner@northwind.example"
    learner.save(update_fields=["email"])

    page = item_page(client_for, people, testimony)

    assert "data-witness-warning" in page
    assert "is the same as the learner's own email's" in page


def test_the_warning_does_not_stop_the_link(
    client_for, people, testimony, django_capture_on_commit_callbacks
):
    EvidenceItem.objects.filter(pk=testimony.pk).update(witness_email=people[Role.LEARNER].email)
    testimony.refresh_from_db()

    path = send_link(
        client_for(people[Role.LEARNER]), testimony, django_capture_on_commit_callbacks
    )

    assert Client().get(path).status_code == 200
