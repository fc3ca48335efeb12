"""Reads for portfolios and dashboards. Each runs a fixed number of queries, whatever the size
of the caseload, so that a dashboard costs the same for 5 learners and for 500."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet

from criteria.models import QualificationUnit, Requirement, Unit
from evidence.models import OPEN_STATUSES, Portfolio
from portfolio_site.accounts.models import Centre, Membership, Role, User
from portfolio_site.accounts.selectors import centres_where


@dataclass(frozen=True)
class PortfolioUnit:
    unit: Unit
    requirement: str
    outcome_count: int
    criterion_count: int

    @property
    def requirement_label(self) -> str:
        return Requirement(self.requirement).label


def _portfolio_queryset() -> QuerySet[Portfolio]:
    unit_links = (
        QualificationUnit.objects.select_related("unit")
        .annotate(
            outcome_count=Count("unit__outcomes", distinct=True),
            criterion_count=Count("unit__outcomes__criteria", distinct=True),
        )
        .order_by("unit__title")
    )
    return Portfolio.objects.select_related(
        "learner",
        "centre",
        "assessor",
        "iqa",
        "qualification__awarding_organisation",
    ).prefetch_related(
        Prefetch("qualification__unit_links", queryset=unit_links, to_attr="prefetched_links"),
        Prefetch("chosen_units", queryset=Unit.objects.only("pk"), to_attr="prefetched_chosen"),
    )


def portfolio_units(portfolio: Portfolio) -> list[PortfolioUnit]:
    """The units a portfolio covers: every mandatory unit and the optional units chosen.

    Expects a portfolio from one of the selectors below (links and choices prefetched).
    """
    chosen = {unit.pk for unit in portfolio.prefetched_chosen}
    return [
        PortfolioUnit(
            unit=link.unit,
            requirement=link.requirement,
            outcome_count=link.outcome_count,
            criterion_count=link.criterion_count,
        )
        for link in portfolio.qualification.prefetched_links
        if link.requirement == Requirement.MANDATORY or link.unit_id in chosen
    ]


def learner_portfolios(*, learner: User) -> list[Portfolio]:
    portfolios = list(_portfolio_queryset().filter(learner=learner))
    for portfolio in portfolios:
        portfolio.units = portfolio_units(portfolio)
    return portfolios


def assessor_caseload(*, assessor: User) -> QuerySet[Portfolio]:
    return (
        _portfolio_queryset()
        .filter(assessor=assessor, status__in=OPEN_STATUSES)
        .order_by("learner__last_name", "learner__first_name", "learner__username")
    )


def iqa_portfolios(*, iqa: User) -> QuerySet[Portfolio]:
    return (
        _portfolio_queryset()
        .filter(iqa=iqa, status__in=OPEN_STATUSES)
        .order_by("assessor__last_name", "assessor__username", "learner__last_name")
    )


@dataclass
class CentreOverview:
    centre: Centre
    members_by_role: list[tuple[str, list[Membership]]]
    portfolios: list[Portfolio]


def centre_admin_overview(*, admin: User) -> list[CentreOverview]:
    """For each centre the user administers: its people by role and its open portfolios."""
    centres = list(
        centres_where(user=admin, role=Role.CENTRE_ADMIN).prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.select_related("user").order_by(
                    "user__last_name", "user__first_name", "user__username"
                ),
            ),
            Prefetch(
                "portfolios",
                queryset=_portfolio_queryset()
                .filter(status__in=OPEN_STATUSES)
                .order_by("learner__last_name", "learner__username"),
            ),
        )
    )
    overviews = []
    for centre in centres:
        by_role = {role: [] for role in Role.values}
        for membership in centre.memberships.all():
            by_role[membership.role].append(membership)
        overviews.append(
            CentreOverview(
                centre=centre,
                members_by_role=[(Role(role).label, by_role[role]) for role in Role.values],
                portfolios=list(centre.portfolios.all()),
            )
        )
    return overviews


def eqa_centres(*, eqa: User) -> QuerySet[Centre]:
    return centres_where(user=eqa, role=Role.EQA).order_by("name")
