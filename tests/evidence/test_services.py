"""Enrolling a learner (evidence/services.py: portfolio_enrol) and the rules the database keeps."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from criteria.models import Requirement
from evidence import services
from evidence.models import CriterionMapping, EvidenceItem, Portfolio, PortfolioStatus, Submission
from evidence.services import portfolio_enrol
from portfolio_site.accounts.models import Role
from tests.evidence.helpers import DESIGN, criterion
from tests.factories import (
    CentreFactory,
    CriterionMappingFactory,
    EvidenceItemFactory,
    MembershipFactory,
    QualificationUnitFactory,
    UserFactory,
    member,
)

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 9, 1)


@pytest.fixture
def qualification():
    link = QualificationUnitFactory(requirement=Requirement.MANDATORY)
    QualificationUnitFactory(qualification=link.qualification, requirement=Requirement.OPTIONAL)
    return link.qualification


def enrol(people, centre, qualification, **overrides):
    arguments = {
        "learner": people[Role.LEARNER],
        "centre": centre,
        "qualification": qualification,
        "assessor": people[Role.ASSESSOR],
        "iqa": people[Role.IQA],
        "start_date": START,
    } | overrides
    return portfolio_enrol(**arguments)


def test_enrol_creates_the_portfolio_with_chosen_units(people, centre, qualification):
    optional = qualification.unit_links.get(requirement=Requirement.OPTIONAL).unit

    portfolio = enrol(people, centre, qualification, chosen_units=[optional])

    assert portfolio.status == PortfolioStatus.ACTIVE
    assert list(portfolio.chosen_units.all()) == [optional]
    assert portfolio.assessor == people[Role.ASSESSOR]


@pytest.mark.parametrize(
    ("field", "wrong_role"),
    [("learner", Role.ASSESSOR), ("assessor", Role.LEARNER), ("iqa", Role.ASSESSOR)],
)
def test_each_person_must_hold_the_right_role_at_the_centre(
    people, centre, qualification, field, wrong_role
):
    with pytest.raises(ValidationError) as caught:
        enrol(people, centre, qualification, **{field: people[wrong_role]})
    assert field in caught.value.message_dict
    assert not Portfolio.objects.exists()


def test_a_role_at_another_centre_does_not_count(people, centre, qualification):
    elsewhere = member(Role.ASSESSOR, CentreFactory())
    with pytest.raises(ValidationError, match="is not an active assessor"):
        enrol(people, centre, qualification, assessor=elsewhere)


def test_mandatory_or_foreign_units_cannot_be_chosen(people, centre, qualification):
    mandatory = qualification.unit_links.get(requirement=Requirement.MANDATORY).unit
    foreign = QualificationUnitFactory(requirement=Requirement.OPTIONAL).unit
    for unit in (mandatory, foreign):
        with pytest.raises(ValidationError, match="Not an optional unit"):
            enrol(people, centre, qualification, chosen_units=[unit])
    assert not Portfolio.objects.exists()


def test_end_date_before_start_is_refused(people, centre, qualification):
    with pytest.raises(ValidationError, match="planned end date is before the start date"):
        enrol(people, centre, qualification, planned_end_date=START - datetime.timedelta(days=1))


def test_one_open_portfolio_per_qualification(people, centre, qualification):
    first = enrol(people, centre, qualification)
    with pytest.raises(ValidationError, match="already has an open portfolio"):
        enrol(people, centre, qualification)

    # After withdrawal, the learner may enrol again.
    first.status = PortfolioStatus.WITHDRAWN
    first.save()
    assert enrol(people, centre, qualification).pk != first.pk


def test_assessor_may_also_be_an_iqa_but_not_for_the_same_portfolio(people, centre, qualification):
    both = UserFactory()
    for role in (Role.ASSESSOR, Role.IQA):
        MembershipFactory(user=both, centre=centre, role=role)
    with pytest.raises(ValidationError, match="IQA must be someone other than the assessor"):
        enrol(people, centre, qualification, assessor=both, iqa=both)


@pytest.mark.parametrize(
    "change",
    [
        lambda p: setattr(p, "assessor", p.learner),
        lambda p: setattr(p, "iqa", p.learner),
        lambda p: setattr(p, "iqa", p.assessor),
        lambda p: setattr(p, "status", "lost"),
        lambda p: setattr(p, "planned_end_date", START - datetime.timedelta(days=1)),
    ],
    ids=["assessor is learner", "iqa is learner", "iqa is assessor", "bad status", "end first"],
)
def test_database_refuses_what_the_service_refuses(people, centre, qualification, change):
    """Rules that protect the record hold even for code that skips the service."""
    portfolio = enrol(people, centre, qualification)
    change(portfolio)
    with pytest.raises(IntegrityError), transaction.atomic():
        portfolio.save()


# --- Evidence services --------------------------------------------------------------------------


@pytest.fixture
def item(portfolio):
    return EvidenceItemFactory(portfolio=portfolio)


def test_mappings_from_a_stale_form_are_refused(item):
    first = criterion(DESIGN, "1.1")
    opened_at = item.version
    services.evidence_mappings_set(
        item=item, user=item.created_by, references={first.pk: "Page 1"}, expected_version=opened_at
    )
    with pytest.raises(services.StaleEdit):
        services.evidence_mappings_set(
            item=item, user=item.created_by, references={}, expected_version=opened_at
        )
    assert item.mappings.count() == 1


def test_unchanged_mappings_do_not_bump_the_version(item):
    first = criterion(DESIGN, "1.1")
    services.evidence_mappings_set(
        item=item, user=item.created_by, references={first.pk: "Page 1"}, expected_version=1
    )
    assert services.evidence_mappings_set(
        item=item, user=item.created_by, references={first.pk: "Page 1"}, expected_version=2
    ) == (0, 0, 0)
    item.refresh_from_db()
    assert item.version == 2


def test_creation_token_makes_creation_idempotent(portfolio):
    import uuid

    token = uuid.uuid4()
    fields = {
        "title": "Notes",
        "kind": "work_product",
        "activity_date": START,
        "narrative": "<p>x</p>",
    }
    first, created = services.evidence_item_create(
        portfolio=portfolio, author=portfolio.learner, creation_token=token, **fields
    )
    again, created_again = services.evidence_item_create(
        portfolio=portfolio, author=portfolio.learner, creation_token=token, **fields
    )
    assert created and not created_again and first.pk == again.pk
    assert EvidenceItem.objects.count() == 1


@pytest.mark.parametrize(
    "break_it",
    [
        lambda item: CriterionMapping.objects.create(
            item=item, criterion=criterion(DESIGN, "1.1"), reference=""
        ),
        lambda item: [
            CriterionMappingFactory(item=item, criterion=criterion(DESIGN, "1.1")),
            CriterionMappingFactory(item=item, criterion=criterion(DESIGN, "1.1")),
        ],
        lambda item: [
            Submission.objects.create(
                item=item,
                sequence=1,
                submitted_by=item.created_by,
                submitted_at=item.created_at,
                declaration="x",
            )
            for _ in range(2)
        ],
        lambda item: EvidenceItem.objects.filter(pk=item.pk).update(status="submitted"),
        lambda item: EvidenceItem.objects.filter(pk=item.pk).update(
            kind="witness_testimony", witness_name=""
        ),
    ],
    ids=[
        "mapping without reference",
        "same criterion twice",
        "same submission twice",
        "submitted without a time",
        "witness testimony without a witness",
    ],
)
def test_database_keeps_the_evidence_rules(item, break_it):
    with pytest.raises(IntegrityError), transaction.atomic():
        break_it(item)


def test_submitted_evidence_cannot_be_deleted_even_by_code(item):
    from django.db.models import ProtectedError

    CriterionMappingFactory(item=item, criterion=criterion(DESIGN, "1.1"))
    with pytest.raises(ProtectedError):
        item.delete()
