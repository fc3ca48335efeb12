"""Writes to portfolios. Each service validates everything first, then writes atomically."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from criteria.models import Qualification, Requirement, Unit
from evidence.models import Portfolio
from portfolio_site.accounts.models import Centre, Membership, Role, User


def _require_role(*, user: User | None, centre: Centre, role: Role, field: str) -> None:
    if user is None:
        return
    if not Membership.objects.active().filter(user=user, centre=centre, role=role).exists():
        raise ValidationError({field: f"{user} is not an active {role.label.lower()} at {centre}."})


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
) -> Portfolio:
    """Enrol a learner on a qualification at a centre, with their assessor and IQA."""
    _require_role(user=learner, centre=centre, role=Role.LEARNER, field="learner")
    _require_role(user=assessor, centre=centre, role=Role.ASSESSOR, field="assessor")
    _require_role(user=iqa, centre=centre, role=Role.IQA, field="iqa")

    chosen_units = list(chosen_units)
    choosable = set(
        qualification.unit_links.exclude(requirement=Requirement.MANDATORY).values_list(
            "unit_id", flat=True
        )
    )
    outside = [unit for unit in chosen_units if unit.pk not in choosable]
    if outside:
        names = ", ".join(str(unit) for unit in outside)
        raise ValidationError(
            {"chosen_units": f"Not an optional unit of {qualification}: {names}."}
        )

    portfolio = Portfolio(
        learner=learner,
        centre=centre,
        qualification=qualification,
        assessor=assessor,
        iqa=iqa,
        start_date=start_date,
        planned_end_date=planned_end_date,
    )
    portfolio.full_clean()
    portfolio.save()
    portfolio.chosen_units.set(chosen_units)
    return portfolio
