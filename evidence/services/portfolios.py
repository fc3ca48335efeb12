"""Enrolments: a learner's portfolio on a qualification, with their assessor and IQA."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from criteria.models import Qualification, Requirement, Unit
from evidence.models import Portfolio
from evidence.services.common import record
from portfolio_site.accounts.models import Centre, Role, User
from portfolio_site.accounts.permissions import holds_role_at


def _require_role(*, user: User | None, centre: Centre, role: Role, field: str) -> None:
    if user is None:
        return
    if not holds_role_at(user, role, centre):
        raise ValidationError({field: f"{user} is not an active {role.label.lower()} at {centre}."})


def _check_enrolment(portfolio: Portfolio, chosen_units: list[Unit]) -> None:
    centre = portfolio.centre
    _require_role(user=portfolio.learner, centre=centre, role=Role.LEARNER, field="learner")
    _require_role(user=portfolio.assessor, centre=centre, role=Role.ASSESSOR, field="assessor")
    _require_role(user=portfolio.iqa, centre=centre, role=Role.IQA, field="iqa")
    choosable = set(
        portfolio.qualification.unit_links.exclude(requirement=Requirement.MANDATORY).values_list(
            "unit_id", flat=True
        )
    )
    outside = [unit for unit in chosen_units if unit.pk not in choosable]
    if outside:
        names = ", ".join(str(unit) for unit in outside)
        raise ValidationError(
            {"chosen_units": f"Not an optional unit of {portfolio.qualification}: {names}."}
        )
    portfolio.full_clean()


@transaction.atomic
def portfolio_enrol(
    *,
    learner: User,
    centre: Centre,
    qualification: Qualification,
    start_date: datetime.date,
    planned_end_date: datetime.date | None = None,
    assessor: User | None = None,
    iqa: User | None = None,
    chosen_units: Iterable[Unit] = (),
    enrolled_by: User | None = None,
    registration_number: str = "",
    registered_on: datetime.date | None = None,
    employer: str = "",
) -> Portfolio:
    """Enrol a learner on a qualification at a centre, with their assessor and IQA."""
    chosen_units = list(chosen_units)
    portfolio = Portfolio(
        learner=learner,
        centre=centre,
        qualification=qualification,
        assessor=assessor,
        iqa=iqa,
        start_date=start_date,
        planned_end_date=planned_end_date,
        registration_number=registration_number.strip(),
        registered_on=registered_on,
        employer=employer.strip(),
    )
    _check_enrolment(portfolio, chosen_units)
    portfolio.save()
    portfolio.chosen_units.set(chosen_units)
    record(
        "portfolio.enrolled",
        actor=enrolled_by,
        portfolio=portfolio,
        target=portfolio,
        qualification=qualification.code,
        units=sorted(unit.code for unit in chosen_units),
    )
    return portfolio


@transaction.atomic
def portfolio_update(
    *, portfolio: Portfolio, chosen_units: Iterable[Unit], changed_by: User | None = None, **fields
) -> Portfolio:
    """Change an enrolment: people, dates, status, optional units (not learner or centre).

    A unit that already has evidence mapped to it cannot be dropped: the evidence would lose
    its place in the portfolio.
    """
    locked = Portfolio.objects.select_for_update().get(pk=portfolio.pk)
    allowed = {
        "qualification",
        "assessor",
        "iqa",
        "start_date",
        "planned_end_date",
        "status",
        "registration_number",
        "registered_on",
        "employer",
    }
    unexpected = set(fields) - allowed
    if unexpected:
        raise TypeError(f"portfolio_update cannot change {', '.join(sorted(unexpected))}")
    units_before = set(locked.chosen_units.values_list("pk", flat=True))
    qualification_before = locked.qualification_id
    for name, value in fields.items():
        setattr(locked, name, value)
    chosen_units = list(chosen_units)

    if (
        locked.qualification_id != qualification_before
        or {unit.pk for unit in chosen_units} != units_before
    ):
        kept = {unit.pk for unit in chosen_units} | set(
            locked.qualification.unit_links.filter(requirement=Requirement.MANDATORY).values_list(
                "unit_id", flat=True
            )
        )
        orphaned = (
            Unit.objects.filter(outcomes__criteria__mappings__item__portfolio=locked)
            .exclude(pk__in=kept)
            .distinct()
        )
        if orphaned:
            names = ", ".join(unit.title for unit in orphaned)
            raise ValidationError(
                {"chosen_units": f"Evidence is already mapped to {names}; keep the unit."}
            )
    _check_enrolment(locked, chosen_units)
    locked.save()
    locked.chosen_units.set(chosen_units)
    record(
        "portfolio.changed",
        actor=changed_by,
        portfolio=locked,
        target=locked,
        status=locked.status,
        assessor=locked.assessor_id or 0,
        iqa=locked.iqa_id or 0,
        units=sorted(unit.code for unit in chosen_units),
        registration_number=locked.registration_number,
        employer=locked.employer,
    )
    return locked
