"""Reads for portfolios, evidence and dashboards. Each runs a fixed number of queries,
whatever the size of the portfolio or caseload: a page costs the same for 10 items and 300."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from criteria.models import (
    AssessmentCriterion,
    LearningOutcome,
    QualificationUnit,
    Requirement,
    Unit,
)
from evidence.models import (
    OPEN_STATUSES,
    CriterionMapping,
    EvidenceItem,
    EvidenceStatus,
    Portfolio,
)
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


@dataclass
class UnitProgress:
    """How far a portfolio has got with one unit, in criteria."""

    unit: Unit
    requirement: str
    criteria: int
    claimed: int = 0  # criteria mapped from at least one submitted item
    drafted: int = 0  # criteria mapped only from items still in draft

    @property
    def without_evidence(self) -> int:
        return self.criteria - self.claimed - self.drafted

    def percent(self, count: int) -> int:
        return round(100 * count / self.criteria) if self.criteria else 0

    @property
    def claimed_percent(self) -> int:
        return self.percent(self.claimed)

    @property
    def drafted_percent(self) -> int:
        return self.percent(self.drafted)


@dataclass
class PortfolioSummary:
    portfolio: Portfolio
    units: list[UnitProgress]
    item_counts: dict[str, int] = field(default_factory=dict)

    @property
    def drafts(self) -> int:
        return self.item_counts.get(EvidenceStatus.DRAFT, 0)

    @property
    def items(self) -> int:
        return sum(self.item_counts.values())

    @property
    def gaps(self) -> list[UnitProgress]:
        """Units with criteria that have no evidence yet, the biggest gap first."""
        return sorted(
            (unit for unit in self.units if unit.without_evidence),
            key=lambda unit: -unit.without_evidence,
        )


def portfolio_summaries(portfolios: list[Portfolio]) -> list[PortfolioSummary]:
    """Progress per unit and item counts for portfolios from _portfolio_queryset(): two
    queries for any number of portfolios and items."""
    ids = [portfolio.pk for portfolio in portfolios]
    mapped = (
        CriterionMapping.objects.filter(item__portfolio__in=ids)
        .values("item__portfolio_id", "criterion__outcome__unit_id")
        .annotate(
            mapped=Count("criterion", distinct=True),
            claimed=Count(
                "criterion", distinct=True, filter=Q(item__status=EvidenceStatus.SUBMITTED)
            ),
        )
    )
    by_unit = {
        (row["item__portfolio_id"], row["criterion__outcome__unit_id"]): row for row in mapped
    }
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        EvidenceItem.objects.filter(portfolio__in=ids)
        .values("portfolio_id", "status")
        .annotate(n=Count("pk"))
    ):
        counts[row["portfolio_id"]][row["status"]] = row["n"]

    summaries = []
    for portfolio in portfolios:
        units = []
        for unit in portfolio_units(portfolio):
            row = by_unit.get((portfolio.pk, unit.unit.pk), {"mapped": 0, "claimed": 0})
            units.append(
                UnitProgress(
                    unit=unit.unit,
                    requirement=unit.requirement,
                    criteria=unit.criterion_count,
                    claimed=row["claimed"],
                    drafted=row["mapped"] - row["claimed"],
                )
            )
        summaries.append(
            PortfolioSummary(portfolio=portfolio, units=units, item_counts=counts[portfolio.pk])
        )
    return summaries


def learner_portfolios(*, learner: User) -> list[PortfolioSummary]:
    return portfolio_summaries(list(_portfolio_queryset().filter(learner=learner)))


def portfolio_summary(portfolio_id: int) -> PortfolioSummary:
    return portfolio_summaries([_portfolio_queryset().get(pk=portfolio_id)])[0]


# --- The units and criteria of one portfolio ---------------------------------------------------


def portfolio_units_queryset(portfolio: Portfolio) -> QuerySet[Unit]:
    """Every mandatory unit of the qualification and the optional units chosen, by title.
    Lazy: it composes into other queries as a subquery."""
    chosen = Portfolio.chosen_units.through.objects.filter(portfolio_id=portfolio.pk)
    return (
        Unit.objects.filter(
            Q(
                qualification_links__qualification_id=portfolio.qualification_id,
                qualification_links__requirement=Requirement.MANDATORY,
            )
            | Q(pk__in=chosen.values("unit_id"))
        )
        .distinct()
        .order_by("title")
    )


def criterion_ids_in_portfolio(portfolio: Portfolio) -> set[int]:
    return set(
        AssessmentCriterion.objects.filter(
            outcome__unit__in=portfolio_units_queryset(portfolio).values("pk")
        ).values_list("pk", flat=True)
    )


def portfolio_criteria_tree(portfolio: Portfolio) -> list[Unit]:
    """The portfolio's units, each with .outcomes.all() and their .criteria.all() in number
    order: three queries."""
    criteria = AssessmentCriterion.objects.order_by("position")
    outcomes = LearningOutcome.objects.order_by("number").prefetch_related(
        Prefetch("criteria", queryset=criteria)
    )
    return list(
        portfolio_units_queryset(portfolio).prefetch_related(
            Prefetch("outcomes", queryset=outcomes)
        )
    )


@dataclass
class GridUnit:
    unit: Unit
    outcomes: list  # LearningOutcome, each criterion carrying .evidence (its mappings)
    criteria: int
    with_evidence: int


def tracking_grid(portfolio: Portfolio, *, tree: list[Unit]) -> list[GridUnit]:
    """Every criterion in ``tree`` (from portfolio_criteria_tree, perhaps narrowed to a unit)
    with the mappings that claim it: one query more."""
    mappings_by_criterion = defaultdict(list)
    for mapping in (
        CriterionMapping.objects.filter(item__portfolio=portfolio)
        .select_related("item")
        .only(
            "reference",
            "criterion_id",
            "item__id",
            "item__title",
            "item__status",
            "item__kind",
            "item__activity_date",
        )
        .order_by("item__activity_date", "item_id")
    ):
        mappings_by_criterion[mapping.criterion_id].append(mapping)

    grid = []
    for unit in tree:
        total = with_evidence = 0
        outcomes = list(unit.outcomes.all())
        for outcome in outcomes:
            for criterion in outcome.criteria.all():
                criterion.evidence = mappings_by_criterion.get(criterion.pk, [])
                total += 1
                with_evidence += bool(criterion.evidence)
        grid.append(
            GridUnit(unit=unit, outcomes=outcomes, criteria=total, with_evidence=with_evidence)
        )
    return grid


# --- Evidence ---------------------------------------------------------------------------------


def evidence_item_list(
    portfolio: Portfolio,
    *,
    kind: str | None = None,
    status: str | None = None,
    unit_id: int | None = None,
) -> QuerySet[EvidenceItem]:
    """A portfolio's items, newest activity first, with their file counts and mappings."""
    items = EvidenceItem.objects.filter(portfolio=portfolio).annotate(
        file_count=Count("files", distinct=True)
    )
    if kind:
        items = items.filter(kind=kind)
    if status:
        items = items.filter(status=status)
    if unit_id:
        items = items.filter(
            Exists(
                CriterionMapping.objects.filter(
                    item=OuterRef("pk"), criterion__outcome__unit_id=unit_id
                )
            )
        )
    return items.order_by("-activity_date", "-pk").prefetch_related(
        Prefetch(
            "mappings",
            queryset=CriterionMapping.objects.select_related("criterion__outcome__unit").order_by(
                "criterion__outcome__unit__title",
                "criterion__outcome__number",
                "criterion__position",
            ),
        )
    )


def evidence_item_detail(item_id: int) -> EvidenceItem:
    """One item with its files, mappings (grouped-ready, in criterion order) and submissions."""
    return (
        EvidenceItem.objects.select_related(
            "portfolio__learner", "portfolio__qualification", "created_by"
        )
        .prefetch_related(
            "files",
            "submissions",
            Prefetch(
                "mappings",
                queryset=CriterionMapping.objects.select_related(
                    "criterion__outcome__unit"
                ).order_by(
                    "criterion__outcome__unit__title",
                    "criterion__outcome__number",
                    "criterion__position",
                ),
            ),
        )
        .get(pk=item_id)
    )


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
