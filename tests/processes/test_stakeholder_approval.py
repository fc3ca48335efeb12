"""Issue 14, finding 4: a learner never approves their own process map. The stakeholder
decides through an emailed single-use link (seeing the version's diagrams and figures), or in
person with the assessor, who is then recorded."""

import datetime
import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from portfolio_site.accounts.models import Role
from portfolio_site.audit.models import AuditEvent
from processes import services
from processes.models import ApprovalRequest, StakeholderApproval, VersionStatus

pytestmark = pytest.mark.django_db

STAKEHOLDER = "priya.shah@northwind.example"


@pytest.fixture
def version(process_map, learner):
    version = process_map.versions.get()
    services.version_submit(version=version, user=learner, expected_revision=None)
    version.refresh_from_db()
    return version


def ask(client, version, capture, email=STAKEHOLDER):
    with capture(execute=True):
        return client.post(
            reverse("processes:version-approval-request", args=[version.pk]),
            {"name": "Priya Shah", "role": "Head of customer service", "email": email},
        )


def link_in(message) -> str:
    found = re.search(r"https?://[^/\s]+(/process-approval/[^/\s]+/)", message.body)
    assert found, message.body
    return found.group(1)


def shown(page) -> str:
    found = re.search(r'name="content_sha256" value="([0-9a-f]{64})"', page.content.decode())
    assert found, "the stakeholder's form carries the hash of the content shown"
    return found.group(1)


def decide(path, **overrides):
    stakeholder = Client()
    page = stakeholder.get(path)
    data = {"decision": "approved", "typed_name": "Priya Shah", "comment": "Go ahead."}
    data["content_sha256"] = shown(page)
    data.update(overrides)
    return stakeholder.post(path, data, HTTP_USER_AGENT="StakeholderBrowser/1.0")


# --- The learner cannot record a decision -------------------------------------------------------


def test_the_learner_cannot_record_a_decision_on_their_own_version(client_for, people, version):
    """The old form: any typed name, posted by the learner, froze the version."""
    learner = client_for(people[Role.LEARNER])
    url = reverse("processes:version-approval", args=[version.pk])
    data = {"name": "Priya Shah", "role": "Manager", "decision": "approved", "decided_on": ""}
    data["decided_on"] = datetime.date.today().isoformat()

    assert learner.get(url).status_code == 403
    assert learner.post(url, data).status_code == 403

    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED
    assert not StakeholderApproval.objects.exists()


def test_the_service_refuses_the_learner_too(version, learner):
    with pytest.raises(ValidationError, match="Only the learner's assessor"):
        services.version_record_approval(
            version=version,
            user=learner,
            name="Priya Shah",
            role="Manager",
            decision="approved",
            comment="",
            decided_on=datetime.date.today(),
        )
    assert not StakeholderApproval.objects.exists()


def test_the_learner_cannot_send_the_link_to_themselves(
    client_for, people, version, django_capture_on_commit_callbacks
):
    learner = people[Role.LEARNER]

    response = ask(
        client_for(learner), version, django_capture_on_commit_callbacks, email=learner.email
    )

    assert response.status_code == 200
    assert "your own email address" in response.content.decode()
    assert not ApprovalRequest.objects.exists()
    assert not mail.outbox


# --- The stakeholder's link ---------------------------------------------------------------------


def test_the_stakeholder_sees_the_diagrams_and_figures_and_decides(
    client_for, people, version, django_capture_on_commit_callbacks
):
    response = ask(client_for(people[Role.LEARNER]), version, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    [email] = mail.outbox
    assert email.to == [STAKEHOLDER]
    path = link_in(email)

    page = Client().get(path)
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count("<svg") == len(version.process_map.techniques)
    assert "Process cycle efficiency" in body and "Lead time" in body

    decided = decide(path)

    assert decided.status_code == 200
    approval = StakeholderApproval.objects.get()
    assert approval.name == "Priya Shah"
    assert approval.role == "Head of customer service"
    assert approval.recorded_by is None
    assert approval.request.sent_to == STAKEHOLDER
    assert approval.ip_address == "127.0.0.1"
    assert approval.user_agent == "StakeholderBrowser/1.0"
    assert approval.decided_on == datetime.date.today()
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED
    event = AuditEvent.objects.get(action="process.approval_recorded")
    assert event.actor is None and STAKEHOLDER in event.actor_label


def test_the_link_works_once(client_for, people, version, django_capture_on_commit_callbacks):
    ask(client_for(people[Role.LEARNER]), version, django_capture_on_commit_callbacks)
    path = link_in(mail.outbox[-1])
    decide(path)

    again = Client().post(path, {"decision": "approved", "typed_name": "Someone Else"})

    assert again.status_code == 410
    assert StakeholderApproval.objects.count() == 1


def test_a_forged_link_is_404(client):
    assert Client().get("/process-approval/not-a-token/").status_code == 404


def test_taking_the_version_back_closes_the_link(
    client_for, people, version, learner, django_capture_on_commit_callbacks
):
    ask(client_for(people[Role.LEARNER]), version, django_capture_on_commit_callbacks)
    path = link_in(mail.outbox[-1])

    services.version_withdraw(version=version, user=learner)

    assert Client().get(path).status_code == 410
    assert not StakeholderApproval.objects.exists()


def test_a_page_showing_other_content_decides_nothing(
    client_for, people, version, django_capture_on_commit_callbacks
):
    ask(client_for(people[Role.LEARNER]), version, django_capture_on_commit_callbacks)
    path = link_in(mail.outbox[-1])

    response = decide(path, content_sha256="0" * 64)

    assert response.status_code == 409
    assert "Look at it again" in response.content.decode()
    assert not StakeholderApproval.objects.exists()


def test_changes_requested_sends_it_back_and_closes_the_other_links(
    client_for, people, version, django_capture_on_commit_callbacks
):
    learner = client_for(people[Role.LEARNER])
    ask(learner, version, django_capture_on_commit_callbacks)
    first = link_in(mail.outbox[-1])
    ask(learner, version, django_capture_on_commit_callbacks, email="sam.ops@northwind.example")
    second = link_in(mail.outbox[-1])

    assert decide(first, decision="changes").status_code == 200

    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    assert Client().get(second).status_code == 410


# --- In person, with the assessor -----------------------------------------------------------------


def test_the_assessor_records_a_decision_made_in_person_and_is_recorded(
    client_for, people, version
):
    assessor = people[Role.ASSESSOR]

    response = client_for(assessor).post(
        reverse("processes:version-approval", args=[version.pk]),
        {
            "name": "Priya Shah",
            "role": "Head of customer service",
            "decision": "approved",
            "decided_on": datetime.date.today().isoformat(),
        },
    )

    assert response.status_code == 302
    approval = StakeholderApproval.objects.get()
    assert approval.recorded_by == assessor and approval.request is None
    page = client_for(people[Role.LEARNER]).get(reverse("processes:version", args=[version.pk]))
    assert f"recorded in person by {assessor}" in page.content.decode()


def test_the_database_refuses_a_decision_with_neither_link_nor_assessor(version):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        StakeholderApproval.objects.create(
            version=version,
            name="Anyone",
            role="Any",
            decision="approved",
            decided_on=datetime.date.today(),
        )
