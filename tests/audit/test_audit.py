"""The audit trail (portfolio_site/audit): an append-only, hash-chained record of every action
that matters to an assessment, `manage.py verify_audit`, and the centre admin's trail page."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from criteria.models import Unit
from evidence import services
from evidence.models import EvidenceFile, ReviewOutcome, SampleDecision, SamplingMethod
from portfolio_site.accounts.models import Role
from portfolio_site.audit.models import GENESIS_HASH, AppendOnly, AuditChainHead, AuditEvent
from portfolio_site.audit.services import ChainBreak, audit_record, audit_verify
from tests.evidence.helpers import DESIGN, criterion
from tests.factories import EvidenceFileFactory, EvidenceItemFactory

pytestmark = pytest.mark.django_db

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def chain(count: int, **fields) -> list[AuditEvent]:
    """``count`` events, recorded one after another."""
    return [
        audit_record(action=f"test.event_{number}", details={"n": number}, **fields)
        for number in range(1, count + 1)
    ]


def verify_audit() -> str:
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def at(year: int, month: int, day: int) -> datetime.datetime:
    return datetime.datetime(year, month, day, 12, 0, tzinfo=datetime.UTC)


# --- The chain ---------------------------------------------------------------------------------


def test_events_are_numbered_and_each_hash_covers_the_one_before():
    first, second, third = chain(3)

    stored = list(AuditEvent.objects.order_by("sequence"))
    assert [event.sequence for event in stored] == [1, 2, 3]
    assert first.previous_hash == GENESIS_HASH == "0" * 64
    assert second.previous_hash == first.hash
    assert third.previous_hash == second.hash
    assert len({event.hash for event in stored}) == 3
    # The hashes verify from what was stored, not only from the objects that were written.
    assert all(event.compute_hash() == event.hash for event in stored)
    head = AuditChainHead.objects.get()
    assert (head.last_sequence, head.last_hash) == (3, third.hash)
    assert audit_verify() == 3


def test_an_event_names_actor_action_object_time_and_details(people, centre):
    admin = people[Role.CENTRE_ADMIN]
    before = timezone.now()

    event = audit_record(
        action="test.something_done",
        actor=admin,
        target=centre,
        centre=centre,
        portfolio_id=42,
        details={"reason": "Checking", "count": 3, "final": True},
    )

    event = AuditEvent.objects.get(pk=event.pk)
    assert event.actor == admin and event.actor_label == str(admin)
    assert event.action == "test.something_done"
    assert (event.object_type, event.object_id) == ("accounts.centre", str(centre.pk))
    assert event.object_repr == "Riverside Training"
    assert event.centre == centre and event.portfolio_id == 42
    assert before <= event.created_at <= timezone.now()
    assert event.details == {"reason": "Checking", "count": 3, "final": True}
    assert event.compute_hash() == event.hash


def test_an_event_without_a_user_is_the_systems_or_says_who():
    system = audit_record(action="test.nightly")
    witness = audit_record(action="test.witnessed", actor_label="Witness Jo Brown <jo@example.org>")

    assert (system.actor, system.actor_label) == (None, "system")
    assert (witness.actor, witness.actor_label) == (None, "Witness Jo Brown <jo@example.org>")


def test_verify_audit_reports_an_intact_chain():
    assert "Audit trail intact: 0 events verified." in verify_audit()
    chain(4)
    assert "Audit trail intact: 4 events verified." in verify_audit()


def test_editing_a_stored_row_is_found_and_named():
    _, second, _ = chain(3)

    # Straight to the database, the way a tamperer would (save() refuses).
    AuditEvent.objects.filter(pk=second.pk).update(details={"n": 99})

    with pytest.raises(CommandError) as caught:
        verify_audit()
    message = str(caught.value)
    assert message.startswith("Audit trail NOT intact.")
    assert "event #2 (test.event_2," in message
    assert "its content was changed after it was written" in message


def test_a_changed_row_with_a_recomputed_hash_breaks_the_next_link():
    """A tamperer who also rewrites the row's own hash is caught by the event after it."""
    _, second, _ = chain(3)
    second.details = {"n": 99}
    AuditEvent.objects.filter(pk=second.pk).update(
        details=second.details, hash=second.compute_hash()
    )

    with pytest.raises(ChainBreak) as caught:
        audit_verify()
    assert caught.value.event.sequence == 3
    assert "event #3 (test.event_3," in str(caught.value)
    assert "does not follow on from the event before" in str(caught.value)


def test_a_changed_previous_hash_is_found_and_named():
    _, second, _ = chain(3)
    AuditEvent.objects.filter(pk=second.pk).update(previous_hash="f" * 64)

    with pytest.raises(CommandError) as caught:
        verify_audit()
    assert "The chain is broken at event #2 (test.event_2," in str(caught.value)
    assert "does not follow on from the event before" in str(caught.value)


def test_a_deleted_middle_row_is_found_and_named():
    _, second, _ = chain(3)
    # The queryset's bulk delete does not go through the model's delete().
    AuditEvent.objects.filter(pk=second.pk).delete()

    with pytest.raises(CommandError) as caught:
        verify_audit()
    assert "Event #2 is missing: the chain jumps to event #3 (test.event_3," in str(caught.value)


def test_a_deleted_first_row_is_found_and_named():
    first, _, _ = chain(3)
    AuditEvent.objects.filter(pk=first.pk).delete()

    with pytest.raises(CommandError, match=r"Event #1 is missing: the chain jumps to event #2 "):
        verify_audit()


def test_a_deleted_last_row_is_found_from_the_chains_head():
    *_, last = chain(3)
    AuditEvent.objects.filter(pk=last.pk).delete()

    with pytest.raises(CommandError) as caught:
        verify_audit()
    assert "Events after #2 are missing: the chain's head records #3." in str(caught.value)


def test_events_are_never_changed_or_deleted_through_the_model():
    event = audit_record(action="test.kept", details={"n": 1})

    event.details = {"n": 2}
    with pytest.raises(AppendOnly, match="never changed"):
        event.save()
    with pytest.raises(AppendOnly, match="never deleted"):
        event.delete()

    stored = AuditEvent.objects.get()
    assert stored.details == {"n": 1}
    assert "1 events verified" in verify_audit()


def test_an_action_that_rolls_back_leaves_no_event():
    audit_record(action="test.before")

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test.rolled_back")
        raise RuntimeError("the action failed after its event was written")

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["test.before"]
    # The chain's head rolled back too: the next event follows on without a gap.
    after = audit_record(action="test.after")
    assert after.sequence == 2
    assert "2 events verified" in verify_audit()


# --- What the app records -----------------------------------------------------------------------


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("sequence"))


def assert_recorded(action: str, actor, portfolio, **details) -> AuditEvent:
    [event] = events(action)
    assert event.actor == actor and event.actor_label == str(actor)
    assert event.centre_id == portfolio.centre_id
    assert event.portfolio_id == portfolio.pk
    for key, value in details.items():
        assert event.details[key] == value, key
    assert event.compute_hash() == event.hash
    return event


def test_upload_mapping_submission_decision_sign_off_and_withdrawal_are_recorded(
    portfolio, people, learner_client
):
    learner, assessor = people[Role.LEARNER], people[Role.ASSESSOR]
    item = EvidenceItemFactory(portfolio=portfolio, title="Process maps")
    target = criterion(DESIGN, "1.1")

    # Upload, through the view.
    response = learner_client.post(
        reverse("evidence:file-upload", args=[item.pk]),
        {"file": SimpleUploadedFile("map.pdf", PDF, content_type="application/pdf")},
    )
    assert response.status_code < 400
    uploaded = EvidenceFile.objects.get()
    event = assert_recorded("evidence.file_uploaded", learner, portfolio, item=item.pk)
    assert event.object_type == "evidence.evidencefile"
    assert event.object_id == str(uploaded.pk)
    assert event.details["sha256"] == uploaded.sha256

    # Mapping, submission, decision, sign-off and withdrawal, through the services.
    services.evidence_mappings_set(
        item=item, user=learner, references={target.pk: "Page 1"}, expected_version=item.version
    )
    assert_recorded("evidence.mappings_changed", learner, portfolio, criteria=[target.pk])

    submission = services.evidence_item_submit(item=item, learner=learner, declared=True)
    assert_recorded(
        "evidence.submitted",
        learner,
        portfolio,
        submission=1,
        snapshot_sha256=submission.snapshot_sha256,
    )

    services.review_record(
        item=item,
        assessor=assessor,
        outcome=ReviewOutcome.ACCEPTED,
        feedback="",
        decisions={target.pk: (True, "")},
    )
    assert_recorded("assessment.decided", assessor, portfolio, outcome="accepted", met=[target.pk])

    [sign_off] = services.criteria_sign_off(
        portfolio=portfolio, assessor=assessor, criterion_ids=[target.pk], declared=True
    )
    event = assert_recorded(
        "sign_off.criterion_signed", assessor, portfolio, criterion=f"{DESIGN} 1.1"
    )
    assert event.object_id == str(sign_off.pk)

    services.sign_off_withdraw(sign_off=sign_off, assessor=assessor, reason="Wrong criterion")
    assert_recorded("sign_off.withdrawn", assessor, portfolio, reason="Wrong criterion")

    assert audit_verify() == AuditEvent.objects.count()


def test_witness_signature_iqa_decision_and_eqa_page_view_are_recorded(
    portfolio, people, client_for
):
    learner, assessor, iqa = people[Role.LEARNER], people[Role.ASSESSOR], people[Role.IQA]
    testimony = EvidenceItemFactory(
        portfolio=portfolio,
        kind="witness_testimony",
        witness_name="Jo Brown",
        witness_job_title="Team leader",
        witness_relationship="Line manager",
        witness_email="jo.brown@example.org",
    )
    request, _ = services.witness_request_send(item=testimony, sender=learner)
    services.witness_sign(
        request=request,
        typed_name="Jo Brown",
        comments="",
        confirmed=True,
        shown_statement_sha256=request.statement_sha256,
        ip_address="192.0.2.1",
        user_agent="pytest",
    )
    [signed] = events("witness.signed")
    assert signed.actor is None
    assert signed.actor_label == "Witness Jo Brown <jo.brown@example.org>"
    assert (signed.centre_id, signed.portfolio_id) == (portfolio.centre_id, portfolio.pk)
    assert signed.details["ip_address"] == "192.0.2.1"

    item = EvidenceItemFactory(portfolio=portfolio)
    EvidenceFileFactory(item=item)
    target = criterion(DESIGN, "1.1")
    services.evidence_mappings_set(
        item=item, user=learner, references={target.pk: "Page 1"}, expected_version=item.version
    )
    services.evidence_item_submit(item=item, learner=learner, declared=True)
    review = services.review_record(
        item=item,
        assessor=assessor,
        outcome=ReviewOutcome.ACCEPTED,
        feedback="",
        decisions={target.pk: (True, "")},
    )
    services.iqa_sample_record(
        iqa=iqa,
        unit=Unit.objects.get(code=DESIGN),
        method=SamplingMethod.INTERIM,
        decision=SampleDecision.AGREE,
        comments="Checked the process map against 1.1.",
        review=review,
    )
    assert_recorded("iqa.sampled", iqa, portfolio, decision="agree", unit=DESIGN)

    eqa = people[Role.EQA]
    services.eqa_grant(
        admin=people[Role.CENTRE_ADMIN],
        eqa=eqa,
        portfolios=[portfolio],
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    url = reverse("evidence:evidence-list", args=[portfolio.pk])
    assert client_for(eqa).get(url).status_code == 200
    viewed = assert_recorded("eqa.page_viewed", eqa, portfolio)
    assert viewed.details == {"path": url, "status": 200}

    assert audit_verify() == AuditEvent.objects.count()


def test_a_witness_with_the_longest_name_the_form_allows_can_sign(portfolio, people):
    testimony = EvidenceItemFactory(
        portfolio=portfolio,
        kind="witness_testimony",
        witness_name="Jo Brown",
        witness_job_title="Team leader",
        witness_relationship="Line manager",
        witness_email="jo.brown@example.org",
    )
    request, _ = services.witness_request_send(item=testimony, sender=people[Role.LEARNER])
    limit = AuditEvent._meta.get_field("actor_label").max_length

    services.witness_sign(
        request=request,
        typed_name="J" * 200,  # evidence/forms.py: typed_name max_length=200
        comments="",
        confirmed=True,
        shown_statement_sha256=request.statement_sha256,
        ip_address="192.0.2.1",
        user_agent="pytest",
    )

    [signed] = events("witness.signed")
    assert len(signed.actor_label) <= limit


# --- The centre admin's trail ---------------------------------------------------------------------


@pytest.fixture
def trail(people, centre, other_centre_people):
    """Three events at the centre (two by the learner, one by the assessor, in three months)
    and one at another centre."""
    learner, assessor = people[Role.LEARNER], people[Role.ASSESSOR]
    learner.first_name, learner.last_name = "Lena", "Learnwell"
    assessor.first_name, assessor.last_name = "Asha", "Assesswell"
    for user in (learner, assessor):
        user.save()
    recorded = [
        audit_record(action="evidence.submitted", actor=learner, centre=centre, portfolio_id=11),
        audit_record(action="assessment.decided", actor=assessor, centre=centre, portfolio_id=12),
        audit_record(action="evidence.submitted", actor=learner, centre=centre, portfolio_id=12),
    ]
    elsewhere = other_centre_people[Role.LEARNER]
    audit_record(
        action="evidence.elsewhere_only",
        actor=elsewhere,
        centre=elsewhere.memberships.get().centre,
        portfolio_id=12,
    )
    # Only the view reads created_at here; the chain is not what these tests are about.
    moments = [at(2026, 1, 10), at(2026, 2, 10), at(2026, 3, 10)]
    for event, moment in zip(recorded, moments, strict=True):
        AuditEvent.objects.filter(pk=event.pk).update(created_at=moment)
    return recorded


def shown(response) -> list[int]:
    return [event.sequence for event in response.context["page"].object_list]


def test_trail_lists_the_centres_events_newest_first(
    client_for, people, trail, other_centre_people
):
    response = client_for(people[Role.CENTRE_ADMIN]).get(reverse("audit:trail"))

    assert response.status_code == 200
    assert shown(response) == [3, 2, 1]
    page = response.content.decode()
    assert "Lena Learnwell" in page and "Asha Assesswell" in page
    assert "evidence.elsewhere_only" not in page
    assert str(other_centre_people[Role.LEARNER]) not in page
    # The action filter offers the centre's own actions only.
    assert response.context["actions"] == ["assessment.decided", "evidence.submitted"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"action": "evidence.submitted"}, [3, 1]),
        ({"action": "assessment.decided"}, [2]),
        ({"action": "evidence.elsewhere_only"}, []),
        ({"actor": "assesswell"}, [2]),
        ({"actor": "Lena"}, [3, 1]),
        ({"portfolio": "12"}, [3, 2]),
        ({"portfolio": "11"}, [1]),
        ({"since": "2026-02-01"}, [3, 2]),
        ({"until": "2026-01-31"}, [1]),
        ({"since": "2026-02-01", "until": "2026-02-28"}, [2]),
        ({"action": "evidence.submitted", "portfolio": "12"}, [3]),
        ({"since": "not a date", "portfolio": "abc"}, [3, 2, 1]),
    ],
    ids=lambda value: (
        "&".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else None
    ),
)
def test_trail_filters(client_for, people, trail, query, expected):
    response = client_for(people[Role.CENTRE_ADMIN]).get(reverse("audit:trail"), query)

    assert response.status_code == 200
    assert shown(response) == expected
    if not expected:
        assert "No events match these filters." in response.content.decode()


def test_trail_ignores_a_portfolio_number_that_is_not_a_number(client_for, people, trail):
    response = client_for(people[Role.CENTRE_ADMIN]).get(reverse("audit:trail"), {"portfolio": "²"})

    assert response.status_code == 200
    assert shown(response) == [3, 2, 1]


@pytest.mark.parametrize("role", [Role.LEARNER, Role.ASSESSOR, Role.IQA, Role.EQA])
def test_trail_is_for_centre_admins_only(client_for, people, trail, role):
    assert client_for(people[role]).get(reverse("audit:trail")).status_code == 403


def test_trail_sends_anonymous_users_to_log_in(client, trail):
    response = client.get(reverse("audit:trail"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_admin_of_another_centre_sees_none_of_these_events(client_for, other_centre_people, trail):
    response = client_for(other_centre_people[Role.CENTRE_ADMIN]).get(reverse("audit:trail"))

    assert [event.action for event in response.context["page"].object_list] == [
        "evidence.elsewhere_only"
    ]


def test_trail_page_costs_the_same_queries_for_5_or_100_events(
    client_for, people, centre, django_assert_num_queries
):
    admin = client_for(people[Role.CENTRE_ADMIN])
    url = reverse("audit:trail")
    chain(5, actor=people[Role.LEARNER], centre=centre, portfolio_id=7)
    with CaptureQueriesContext(connection) as five:
        assert admin.get(url).status_code == 200

    chain(95, actor=people[Role.ASSESSOR], centre=centre, portfolio_id=8)

    with django_assert_num_queries(len(five)):
        response = admin.get(url)
    assert len(response.context["page"].object_list) == 50
    assert response.context["page"].paginator.count == 100
