"""Process map services: one writer for a version's content, versions, approval, evidence."""

import datetime
import uuid
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from evidence.models import EvidenceFile, EvidenceKind, EvidenceStatus
from portfolio_site.audit.models import AuditEvent
from processes import services
from processes.diagram import map_data_for
from processes.examples import CURRENT, FUTURE
from processes.models import (
    ApprovalDecision,
    ProcessMap,
    ProcessVersion,
    Technique,
    VersionState,
    VersionStatus,
)

pytestmark = pytest.mark.django_db


def content(data):
    """A map's content without its keys: what a person sees."""
    lane_names = {lane.key: lane.name for lane in data.lanes}
    labels = {step.key: step.label for step in data.steps}
    steps = [
        (lane_names[s.lane], s.kind, s.label, s.inputs, s.outputs, s.customer_touchpoint,
         s.value_class, s.process_minutes, s.wait_minutes, s.percent_complete_accurate, s.cost)
        for s in data.steps
    ]  # fmt: skip
    flows = [(labels[f.source], labels[f.target], f.condition) for f in data.flows]
    return (
        [lane.name for lane in data.lanes],
        steps,
        flows,
        list(data.sipoc),
        list(data.causes),
        list(data.kpis),
        data.effect,
    )


def test_create_makes_a_current_state_draft_once_per_token(portfolio, learner):
    token = uuid.uuid4()
    kwargs = dict(
        portfolio=portfolio,
        author=learner,
        title=" Complaint handling ",
        business_need="Too slow.",
        techniques=["sipoc", "swimlane"],
        creation_token=token,
    )
    first, created = services.process_map_create(**kwargs)
    again, created_again = services.process_map_create(**kwargs)
    assert (created, created_again) == (True, False)
    assert first == again and ProcessMap.objects.count() == 1
    assert first.title == "Complaint handling"
    assert first.techniques == ["swimlane", "sipoc"]  # fixed order
    version = first.versions.get()
    assert (version.number, version.state, version.status) == (1, "current", "draft")


def test_create_refuses_unknown_technique_and_other_people(portfolio, learner, people):
    from portfolio_site.accounts.models import Role

    with pytest.raises(ValidationError, match="Unknown technique"):
        services.process_map_create(
            portfolio=portfolio,
            author=learner,
            title="X",
            business_need="Y",
            techniques=["swimlane", "mindmap"],
            creation_token=uuid.uuid4(),
        )
    with pytest.raises(ValidationError, match="Only the learner"):
        services.process_map_create(
            portfolio=portfolio,
            author=people[Role.ASSESSOR],
            title="X",
            business_need="Y",
            techniques=["swimlane"],
            creation_token=uuid.uuid4(),
        )
    assert not ProcessMap.objects.exists()


def test_content_round_trips_through_the_database(version):
    assert content(map_data_for(version)) == content(CURRENT)


def test_stale_revision_is_refused_and_changes_nothing(version, learner):
    old_revision = version.revision
    services.version_replace_content(
        version=version, editor=learner, data=FUTURE, expected_revision=old_revision
    )
    with pytest.raises(services.StaleVersion):
        services.version_replace_content(
            version=version, editor=learner, data=CURRENT, expected_revision=old_revision
        )
    assert content(map_data_for(version)) == content(FUTURE)


def test_broken_content_is_refused_whole(version, learner):
    before = content(map_data_for(version))
    broken = CURRENT.__class__(
        title=CURRENT.title,
        lanes=CURRENT.lanes,
        steps=CURRENT.steps,
        flows=(*CURRENT.flows, CURRENT.flows[0]),  # the same flow twice
    )
    with pytest.raises(ValidationError, match="two flows"):
        services.version_replace_content(
            version=version, editor=learner, data=broken, expected_revision=version.revision
        )
    version.refresh_from_db()
    assert content(map_data_for(version)) == before


def test_only_the_learner_changes_a_version(version, people):
    from portfolio_site.accounts.models import Role

    with pytest.raises(ValidationError, match="Only the learner"):
        services.version_replace_content(
            version=version,
            editor=people[Role.ASSESSOR],
            data=FUTURE,
            expected_revision=version.revision,
        )


def _approve(version, learner, decision=ApprovalDecision.APPROVED):
    """The stakeholder's decision, made in person and recorded by the learner's assessor (a
    learner never records one: tests/processes/test_stakeholder_approval.py)."""
    return services.version_record_approval(
        version=version,
        user=version.process_map.portfolio.assessor,
        name="Priya Shah",
        role="Customer service manager",
        decision=decision,
        comment="Go ahead.",
        decided_on=datetime.date(2026, 11, 20),
    )


def test_submission_freezes_and_approval_keeps_it_frozen(version, learner):
    services.version_submit(version=version, user=learner, expected_revision=version.revision)
    version.refresh_from_db()
    assert version.status == VersionStatus.SUBMITTED
    with pytest.raises(services.VersionLocked):
        services.version_replace_content(
            version=version, editor=learner, data=FUTURE, expected_revision=version.revision
        )
    _approve(version, learner)
    version.refresh_from_db()
    assert version.status == VersionStatus.APPROVED and version.approved_at
    with pytest.raises(services.VersionLocked, match="new version"):
        services.version_replace_content(
            version=version, editor=learner, data=FUTURE, expected_revision=version.revision
        )
    # Another stakeholder may add their approval; nobody can un-approve it.
    _approve(version, learner)
    with pytest.raises(services.VersionLocked):
        _approve(version, learner, decision=ApprovalDecision.CHANGES)
    assert content(map_data_for(version)) == content(CURRENT)


def test_changes_requested_sends_it_back_to_draft(version, learner):
    services.version_submit(version=version, user=learner, expected_revision=version.revision)
    _approve(version, learner, decision=ApprovalDecision.CHANGES)
    version.refresh_from_db()
    assert version.status == VersionStatus.DRAFT
    assert version.approvals.get().decision == "changes"


def test_a_draft_cannot_be_approved_and_an_empty_one_not_submitted(portfolio, learner):
    process_map, _ = services.process_map_create(
        portfolio=portfolio,
        author=learner,
        title="Empty",
        business_need="-",
        techniques=list(Technique),
        creation_token=uuid.uuid4(),
    )
    version = process_map.versions.get()
    with pytest.raises(services.VersionLocked, match="Ask for approval first"):
        _approve(version, learner)
    with pytest.raises(ValidationError) as raised:
        services.version_submit(version=version, user=learner, expected_revision=None)
    assert len(raised.value.messages) == 3  # steps, SIPOC rows, causes


def test_future_dated_decision_is_refused(version, learner):
    services.version_submit(version=version, user=learner, expected_revision=None)
    with pytest.raises(ValidationError, match="future"):
        services.version_record_approval(
            version=version,
            user=version.process_map.portfolio.assessor,
            name="A",
            role="B",
            decision="approved",
            comment="",
            decided_on=datetime.date.today() + datetime.timedelta(days=2),
        )


def test_new_version_copies_and_leaves_the_old_one_alone(version, learner):
    services.version_submit(version=version, user=learner, expected_revision=None)
    _approve(version, learner)
    new = services.version_create_from(
        version=version, author=learner, state=VersionState.FUTURE, change_note="Fewer hand-offs"
    )
    assert (new.number, new.parent, new.state, new.status) == (2, version, "future", "draft")
    assert content(map_data_for(new)) == content(CURRENT)
    services.version_replace_content(
        version=new, editor=learner, data=FUTURE, expected_revision=new.revision
    )
    assert content(map_data_for(version)) == content(CURRENT)
    assert content(map_data_for(new)) == content(FUTURE)


def test_add_to_portfolio_makes_one_item_per_content(version, learner, media_root):
    item, created = services.version_add_to_portfolio(version=version, user=learner)
    again, created_again = services.version_add_to_portfolio(version=version, user=learner)
    assert (created, created_again) == (True, False) and item == again
    assert item.kind == EvidenceKind.PROCESS_MAP and item.status == EvidenceStatus.DRAFT
    assert "Complaint handling" in item.title and "version 1" in item.title
    files = list(item.files.order_by("original_name"))
    names = [f.original_name for f in files]
    assert sum(name.endswith(".svg") for name in names) == 4  # one per technique
    assert sum(name.endswith(".bpmn") for name in names) == 1
    for evidence_file in files:
        stored = evidence_file.file.read()
        assert len(stored) == evidence_file.size
        import hashlib

        assert hashlib.sha256(stored).hexdigest() == evidence_file.sha256
        assert media_root in (media_root / evidence_file.file.name).parents
    # The figures are in the narrative: lead time of the worked example is 3 d 1 h.
    assert "3 d 1 h" in item.narrative and "hand-off" in item.narrative

    # Changed content later makes a second item; the first stays as it was.
    first_hashes = sorted(f.sha256 for f in files)
    version.refresh_from_db()
    services.version_replace_content(
        version=version, editor=learner, data=FUTURE, expected_revision=version.revision
    )
    second, created_second = services.version_add_to_portfolio(version=version, user=learner)
    assert created_second and second != item
    assert sorted(f.sha256 for f in item.files.all()) == first_hashes
    assert EvidenceFile.objects.filter(item=second).count() == 5
    assert AuditEvent.objects.filter(action="process.added_to_portfolio").count() == 2


def test_writes_are_audited(version, learner):
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"process.map_created", "process.version_saved"} <= actions


def test_version_numbers_and_states_are_constrained(version, learner):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessVersion.objects.create(
            process_map=version.process_map, number=1, state="current", created_by=learner
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ProcessVersion.objects.create(
            process_map=version.process_map, number=9, state="someday", created_by=learner
        )


def test_step_numbers_are_checked_by_the_database(version):
    from django.db import IntegrityError, transaction

    step = version.steps.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(step).objects.filter(pk=step.pk).update(percent_complete_accurate=Decimal(101))
