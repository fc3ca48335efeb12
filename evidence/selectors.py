"""Reads for portfolios, evidence and dashboards. Each runs a fixed number of queries,
whatever the size of the portfolio or caseload: a page costs the same for 10 items and 300."""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

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
    EqaGrant,
    EvidenceFile,
    EvidenceItem,
    EvidenceStatus,
    IqaSample,
    MappingDecision,
    Portfolio,
    Review,
    ReviewOutcome,
    SamplingPlan,
    SignOff,
    SignOffKind,
    Submission,
    WitnessRequest,
)
from portfolio_site.accounts.models import Centre, Membership, Role, User
from portfolio_site.accounts.permissions import role_in_force_at
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


def portfolios_for_progress() -> QuerySet[Portfolio]:
    """Portfolios with what portfolio_summaries() needs prefetched (people, units and their
    counts); filter it, then pass the list on."""
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


# Item statuses in which the learner's claim is with the assessor or decided.
SUBMITTED_STATUSES = (
    EvidenceStatus.SUBMITTED,
    EvidenceStatus.AWAITING_CONFIRMATION,
    EvidenceStatus.ACCEPTED,
)


@dataclass
class UnitProgress:
    """How far a portfolio has got with one unit, in criteria. Each count includes the ones
    after it: signed off < accepted < submitted < mapped."""

    unit: Unit
    requirement: str
    criteria: int
    mapped: int = 0  # mapped from any item, drafts included
    submitted: int = 0  # mapped from an item submitted (or decided)
    accepted: int = 0  # met, in the assessor's decision on an accepted item
    signed_off: int = 0  # signed off by the assessor

    @property
    def without_evidence(self) -> int:
        return self.criteria - self.mapped

    @property
    def drafted(self) -> int:
        """Criteria claimed only by items still being written."""
        return self.mapped - self.submitted

    @property
    def segments(self) -> list[tuple[str, str, int, int]]:
        """The bar, left to right: (css class, label, criteria, percent)."""
        parts = [
            ("progress-signed", "signed off", self.signed_off),
            ("progress-accepted", "accepted", self.accepted - self.signed_off),
            ("progress-claimed", "submitted", max(self.submitted - self.accepted, 0)),
            ("progress-drafted", "in drafts", self.drafted),
        ]
        return [
            (css, label, count, round(100 * count / self.criteria))
            for css, label, count in parts
            if count and self.criteria
        ]


@dataclass
class PortfolioSummary:
    portfolio: Portfolio
    units: list[UnitProgress]
    item_counts: dict[str, int] = field(default_factory=dict)
    awaiting_countersignature: int = 0

    def _count(self, status: str) -> int:
        return self.item_counts.get(status, 0)

    @property
    def drafts(self) -> int:
        return self._count(EvidenceStatus.DRAFT)

    @property
    def referred(self) -> int:
        return self._count(EvidenceStatus.REFERRED)

    @property
    def to_confirm(self) -> int:
        return self._count(EvidenceStatus.AWAITING_CONFIRMATION)

    @property
    def waiting(self) -> int:
        """Submitted items waiting for the assessor."""
        return self._count(EvidenceStatus.SUBMITTED)

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
    """Progress per unit, item counts and countersignatures due, for portfolios from
    portfolios_for_progress(): four queries for any number of portfolios and items."""
    ids = [portfolio.pk for portfolio in portfolios]
    progress: dict[tuple[int, int], dict] = defaultdict(dict)
    for row in (
        CriterionMapping.objects.filter(item__portfolio__in=ids)
        .values("item__portfolio_id", "criterion__outcome__unit_id")
        .annotate(
            mapped=Count("criterion", distinct=True),
            submitted=Count(
                "criterion", distinct=True, filter=Q(item__status__in=SUBMITTED_STATUSES)
            ),
        )
    ):
        key = (row["item__portfolio_id"], row["criterion__outcome__unit_id"])
        progress[key].update(mapped=row["mapped"], submitted=row["submitted"])
    for row in (
        accepted_decisions()
        .filter(review__item__portfolio__in=ids)
        .values("review__item__portfolio_id", "criterion__outcome__unit_id")
        .annotate(accepted=Count("criterion", distinct=True))
    ):
        key = (row["review__item__portfolio_id"], row["criterion__outcome__unit_id"])
        progress[key]["accepted"] = row["accepted"]
    for row in (
        SignOff.objects.active()
        .filter(portfolio__in=ids, kind=SignOffKind.CRITERION)
        .values("portfolio_id", "criterion__outcome__unit_id")
        .annotate(signed_off=Count("criterion", distinct=True))
    ):
        progress[(row["portfolio_id"], row["criterion__outcome__unit_id"])]["signed_off"] = row[
            "signed_off"
        ]
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        EvidenceItem.objects.filter(portfolio__in=ids)
        .values("portfolio_id", "status")
        .annotate(n=Count("pk"))
    ):
        counts[row["portfolio_id"]][row["status"]] = row["n"]
    countersign = dict(
        SignOff.objects.active()
        .filter(portfolio__in=ids, kind=SignOffKind.UNIT, learner_signature__isnull=True)
        .values_list("portfolio_id")
        .annotate(n=Count("pk"))
    )

    summaries = []
    for portfolio in portfolios:
        units = [
            UnitProgress(
                unit=unit.unit,
                requirement=unit.requirement,
                criteria=unit.criterion_count,
                **progress.get((portfolio.pk, unit.unit.pk), {}),
            )
            for unit in portfolio_units(portfolio)
        ]
        summaries.append(
            PortfolioSummary(
                portfolio=portfolio,
                units=units,
                item_counts=counts[portfolio.pk],
                awaiting_countersignature=countersign.get(portfolio.pk, 0),
            )
        )
    return summaries


def accepted_decisions() -> QuerySet[MappingDecision]:
    """Decisions that a criterion is met, on items the assessor accepted (and, for records
    the assessor wrote, that the learner confirmed)."""
    return MappingDecision.objects.filter(
        met=True,
        review__outcome=ReviewOutcome.ACCEPTED,
        review__item__status=EvidenceStatus.ACCEPTED,
    )


def _met_decisions(portfolio: Portfolio) -> QuerySet[MappingDecision]:
    """The portfolio's decisions that accepted evidence meets a criterion, oldest first."""
    return (
        accepted_decisions()
        .filter(review__item__portfolio=portfolio)
        .order_by("criterion_id", "review__decided_at")
    )


def _by_criterion(decisions: QuerySet[MappingDecision]) -> dict[int, list[MappingDecision]]:
    grouped: dict[int, list[MappingDecision]] = defaultdict(list)
    for decision in decisions:
        grouped[decision.criterion_id].append(decision)
    return dict(grouped)


def sign_off_candidates(portfolio: Portfolio) -> dict[int, list[MappingDecision]]:
    """For each criterion that accepted evidence meets: the decisions that say so, with all
    that signing records (criterion, review, item, submission, assessor)."""
    return _by_criterion(
        _met_decisions(portfolio).select_related(
            "criterion__outcome__unit", "review__item", "review__submission", "review__assessor"
        )
    )


def learner_portfolios(*, learner: User) -> list[PortfolioSummary]:
    return portfolio_summaries(
        list(
            portfolios_for_progress().filter(
                role_in_force_at(learner, Role.LEARNER), learner=learner
            )
        )
    )


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


# The grid page shows each criterion's latest claims and links to the rest: a criterion
# claimed by 200 items is a list nobody reads in a table cell, and made a 1,000-item
# portfolio's grid 1.1 MB (docs/benchmarks.md). The PDF export lists every claim.
GRID_CLAIMS_SHOWN = 5


def tracking_grid(portfolio: Portfolio, *, tree: list[Unit]) -> list[GridUnit]:
    """Every criterion in ``tree`` (from portfolio_criteria_tree, perhaps narrowed to a unit)
    with the mappings that claim it, oldest activity first (``.evidence``), the latest
    GRID_CLAIMS_SHOWN of them (``.evidence_shown``) and how many more there are
    (``.evidence_more``): one query more."""
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
                criterion.evidence_shown = criterion.evidence[-GRID_CLAIMS_SHOWN:]
                criterion.evidence_more = len(criterion.evidence) - len(criterion.evidence_shown)
                total += 1
                with_evidence += bool(criterion.evidence)
        grid.append(
            GridUnit(unit=unit, outcomes=outcomes, criteria=total, with_evidence=with_evidence)
        )
    return grid


# --- Evidence ---------------------------------------------------------------------------------


def portfolio_criterion(portfolio: Portfolio, criterion_id: str) -> AssessmentCriterion | None:
    """The criterion with this id if it belongs to one of the portfolio's units, else None (a
    forged or stale id in a link filters nothing)."""
    if not criterion_id.isdigit():
        return None
    return (
        AssessmentCriterion.objects.filter(
            pk=int(criterion_id), outcome__unit__in=portfolio_units_queryset(portfolio)
        )
        .select_related("outcome__unit")
        .first()
    )


def evidence_item_list(
    portfolio: Portfolio,
    *,
    kind: str | None = None,
    status: str | None = None,
    unit_id: int | None = None,
    criterion_id: int | None = None,
) -> QuerySet[EvidenceItem]:
    """A portfolio's items, newest activity first, with their file counts and mappings;
    optionally only those of a kind or status, or claiming a unit's or one criterion."""
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
    if criterion_id:
        items = items.filter(
            Exists(CriterionMapping.objects.filter(item=OuterRef("pk"), criterion_id=criterion_id))
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
    """One item with its files, mappings (in criterion order), its submissions newest first
    (each with its review, decisions and IQA samples), and its witness links and signatures."""
    submissions = (
        Submission.objects.select_related(
            "submitted_by", "review__assessor", "learner_confirmation__signer"
        )
        .prefetch_related(
            Prefetch(
                "review__decisions",
                queryset=MappingDecision.objects.select_related(
                    "criterion__outcome__unit"
                ).order_by(
                    "criterion__outcome__unit__title",
                    "criterion__outcome__number",
                    "criterion__position",
                ),
            ),
            Prefetch("review__iqa_samples", queryset=IqaSample.objects.select_related("iqa")),
        )
        .order_by("-sequence")
    )
    return (
        EvidenceItem.objects.select_related(
            "portfolio__learner",
            "portfolio__qualification",
            "portfolio__assessor",
            "portfolio__centre",
            "created_by",
        )
        .prefetch_related(
            "files",
            Prefetch("submissions", queryset=submissions),
            Prefetch(
                "witness_requests",
                queryset=WitnessRequest.objects.select_related("sent_by").order_by("-sent_at"),
            ),
            "witness_signatures",
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


def assessor_caseload(*, assessor: User) -> list[PortfolioSummary]:
    """The assessor's open portfolios, each with its progress per unit and items waiting."""
    return portfolio_summaries(
        list(
            portfolios_for_progress()
            .filter(
                role_in_force_at(assessor, Role.ASSESSOR),
                assessor=assessor,
                status__in=OPEN_STATUSES,
            )
            .order_by("learner__last_name", "learner__first_name", "learner__username")
        )
    )


def assessment_queue(*, assessor: User) -> QuerySet[EvidenceItem]:
    """Submitted items waiting for this assessor, the longest-waiting first."""
    return (
        EvidenceItem.objects.filter(
            role_in_force_at(assessor, Role.ASSESSOR, "portfolio__centre"),
            portfolio__assessor=assessor,
            portfolio__status__in=OPEN_STATUSES,
            status=EvidenceStatus.SUBMITTED,
        )
        .select_related("portfolio__learner", "portfolio__qualification")
        .annotate(
            file_count=Count("files", distinct=True), criteria=Count("mappings", distinct=True)
        )
        .order_by("submitted_at", "pk")
    )


def iqa_feedback_for(*, assessor: User, limit: int = 10) -> QuerySet[IqaSample]:
    return IqaSample.objects.filter(assessor=assessor).select_related(
        "iqa", "portfolio__learner", "unit"
    )[:limit]


def iqa_portfolios(*, iqa: User) -> QuerySet[Portfolio]:
    return (
        portfolios_for_progress()
        .filter(role_in_force_at(iqa, Role.IQA), iqa=iqa, status__in=OPEN_STATUSES)
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
                queryset=portfolios_for_progress()
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


def eqa_grants_for(*, eqa: User) -> QuerySet[EqaGrant]:
    """The portfolios an EQA may read today."""
    return (
        EqaGrant.objects.current(timezone.localdate())
        .filter(role_in_force_at(eqa, Role.EQA, "portfolio__centre"), eqa=eqa)
        .select_related(
            "portfolio__learner",
            "portfolio__centre",
            "portfolio__qualification",
            "portfolio__assessor",
            "granted_by",
        )
        .order_by("portfolio__centre__name", "portfolio__learner__last_name")
    )


def eqa_grants_at(*, centres) -> QuerySet[EqaGrant]:
    """Open grants at these centres (expired ones included, until revoked), for admins."""
    return (
        EqaGrant.objects.filter(portfolio__centre__in=centres, revoked_at__isnull=True)
        .select_related("eqa", "portfolio__learner", "portfolio__qualification", "granted_by")
        .order_by("-expires_on", "eqa__last_name")
    )


def eqa_centres(*, eqa: User) -> QuerySet[Centre]:
    return centres_where(user=eqa, role=Role.EQA).order_by("name")


# --- Sign-off ---------------------------------------------------------------------------------


@dataclass
class CriterionState:
    criterion: AssessmentCriterion
    mapped: bool
    decisions: list  # accepted decisions that it is met
    sign_off: SignOff | None

    @property
    def ready(self) -> bool:
        return bool(self.decisions) and self.sign_off is None

    @property
    def decisions_shown(self) -> list:
        """The latest accepted items, as many as the grid shows (the page links to the rest;
        the PDF export lists them all)."""
        return self.decisions[-GRID_CLAIMS_SHOWN:]

    @property
    def decisions_more(self) -> int:
        return len(self.decisions) - len(self.decisions_shown)


@dataclass
class UnitSignOffState:
    unit: Unit
    outcomes: list[tuple[LearningOutcome, list[CriterionState]]]
    sign_off: SignOff | None
    withdrawn: list[SignOff]

    @property
    def criteria(self) -> list[CriterionState]:
        return [state for _, states in self.outcomes for state in states]

    @property
    def all_signed(self) -> bool:
        return bool(self.criteria) and all(state.sign_off for state in self.criteria)

    @property
    def ready_count(self) -> int:
        return sum(state.ready for state in self.criteria)


def sign_off_overview(portfolio: Portfolio) -> list[UnitSignOffState]:
    """Every unit of the portfolio with each criterion's state: signed off, ready to sign (met
    by accepted evidence), or not yet; and the unit's own sign-off. Seven queries."""
    tree = portfolio_criteria_tree(portfolio)
    # sign_off_candidates() for reading: only each item's id and title, which is all the page
    # and the export show. Loading what signing needs (the submission's snapshot above all)
    # made a 1,000-item portfolio's sign-off page take over half a second (docs/benchmarks.md).
    candidates = _by_criterion(
        _met_decisions(portfolio)
        .select_related("review__item")
        .only("criterion_id", "review__item__title")
    )
    mapped = set(
        CriterionMapping.objects.filter(item__portfolio=portfolio).values_list(
            "criterion_id", flat=True
        )
    )
    sign_offs = list(
        SignOff.objects.filter(portfolio=portfolio)
        .select_related(
            "assessor_signature__signer",
            "learner_signature__signer",
            "iqa_signature__signer",
            "withdrawn_by",
            "criterion__outcome",
        )
        .order_by("pk")
    )
    criterion_sign_offs = {
        s.criterion_id: s for s in sign_offs if s.kind == SignOffKind.CRITERION and s.is_active
    }
    unit_sign_offs = {s.unit_id: s for s in sign_offs if s.kind == SignOffKind.UNIT and s.is_active}
    withdrawn = defaultdict(list)
    for sign_off in sign_offs:
        if not sign_off.is_active:
            unit_id = sign_off.unit_id or sign_off.criterion.outcome.unit_id
            withdrawn[unit_id].append(sign_off)
    return [
        UnitSignOffState(
            unit=unit,
            outcomes=[
                (
                    outcome,
                    [
                        CriterionState(
                            criterion=criterion,
                            mapped=criterion.pk in mapped,
                            decisions=candidates.get(criterion.pk, []),
                            sign_off=criterion_sign_offs.get(criterion.pk),
                        )
                        for criterion in outcome.criteria.all()
                    ],
                )
                for outcome in unit.outcomes.all()
            ],
            sign_off=unit_sign_offs.get(unit.pk),
            withdrawn=withdrawn.get(unit.pk, []),
        )
        for unit in tree
    ]


# --- Internal quality assurance ---------------------------------------------------------------


@dataclass
class Coverage:
    plan: SamplingPlan
    assessed: int  # learners this assessor has judged in this unit
    sampled: int  # of them, learners the IQA has sampled in this unit

    @property
    def percent(self) -> int:
        return round(100 * self.sampled / self.assessed) if self.assessed else 0

    @property
    def on_target(self) -> bool:
        # Exact, not the rounded percent: 2 of 3 is not 67%.
        return 100 * self.sampled >= self.plan.target_percent * self.assessed

    @property
    def to_sample(self) -> int:
        """How many more learners to sample to reach the plan's target."""
        needed = -(-self.plan.target_percent * self.assessed // 100)  # ceiling
        return max(needed - self.sampled, 0)


def iqa_coverage(*, iqa: User) -> list[Coverage]:
    """Sampling against plan for every plan at the IQA's centres: three queries."""
    plans = list(
        SamplingPlan.objects.filter(
            centre__in=centres_where(user=iqa, role=Role.IQA)
        ).select_related("assessor", "unit", "centre", "iqa")
    )
    # A plan belongs to one centre: an assessor's learners elsewhere are another IQA's.
    assessors = {plan.assessor_id for plan in plans}
    centres = {plan.centre_id for plan in plans}
    assessed = {
        (
            row["review__item__portfolio__centre_id"],
            row["review__assessor_id"],
            row["criterion__outcome__unit_id"],
        ): row["n"]
        for row in MappingDecision.objects.filter(
            review__assessor__in=assessors, review__item__portfolio__centre__in=centres
        )
        .values(
            "review__item__portfolio__centre_id",
            "review__assessor_id",
            "criterion__outcome__unit_id",
        )
        .annotate(n=Count("review__item__portfolio", distinct=True))
    }
    sampled = {
        (row["portfolio__centre_id"], row["assessor_id"], row["unit_id"]): row["n"]
        for row in IqaSample.objects.filter(assessor__in=assessors, portfolio__centre__in=centres)
        .values("portfolio__centre_id", "assessor_id", "unit_id")
        .annotate(n=Count("portfolio", distinct=True))
    }
    return [
        Coverage(
            plan=plan,
            assessed=assessed.get((plan.centre_id, plan.assessor_id, plan.unit_id), 0),
            sampled=sampled.get((plan.centre_id, plan.assessor_id, plan.unit_id), 0),
        )
        for plan in plans
    ]


def iqa_sampling_candidates(*, iqa: User, limit: int = 20):
    """Recent decisions and unit sign-offs in the IQA's portfolios that nobody has sampled."""
    reviews = (
        Review.objects.filter(
            role_in_force_at(iqa, Role.IQA, "item__portfolio__centre"),
            item__portfolio__iqa=iqa,
            iqa_samples__isnull=True,
        )
        .select_related("item__portfolio__learner", "assessor")
        .order_by("-decided_at")[:limit]
    )
    unit_sign_offs = (
        SignOff.objects.active()
        .filter(
            role_in_force_at(iqa, Role.IQA, "portfolio__centre"),
            portfolio__iqa=iqa,
            kind=SignOffKind.UNIT,
            iqa_samples__isnull=True,
        )
        .select_related("portfolio__learner", "unit", "assessor_signature__signer")
        .order_by("-pk")[:limit]
    )
    return reviews, unit_sign_offs


def iqa_recent_samples(*, iqa: User, limit: int = 15) -> QuerySet[IqaSample]:
    return IqaSample.objects.filter(iqa=iqa).select_related(
        "assessor", "portfolio__learner", "unit"
    )[:limit]


def damaged_files(portfolio: Portfolio) -> list[EvidenceFile]:
    """The portfolio's evidence files the fixity check found changed or missing, removed ones
    too (an earlier submission may still name them), with their items."""
    return list(
        EvidenceFile.all_objects.filter(item__portfolio=portfolio, damaged_at__isnull=False)
        .select_related("item")
        .order_by("damaged_at", "pk")
    )


@dataclass(frozen=True)
class WitnessEmailCheck:
    """Whose address a witness testimony was sent to, for the assessor to weigh (a warning,
    never a block: a learner may work where their manager's address shares their domain)."""

    domain: str
    employer: str
    learner_domain: str
    is_learners_address: bool
    matches_learners_domain: bool


def _email_domain(address: str) -> str:
    return address.rpartition("@")[2].strip().lower() if "@" in address else ""


def witness_email_check(item: EvidenceItem) -> WitnessEmailCheck | None:
    """How the witness's email address compares with the learner's. No queries beyond the
    item's portfolio and learner, which evidence_item_detail() loads."""
    if not item.is_witness_testimony or not item.witness_email:
        return None
    learner_email = item.portfolio.learner.email or ""
    domain = _email_domain(item.witness_email)
    learner_domain = _email_domain(learner_email)
    return WitnessEmailCheck(
        domain=domain,
        employer=item.portfolio.employer,
        learner_domain=learner_domain,
        is_learners_address=bool(learner_email)
        and item.witness_email.strip().lower() == learner_email.strip().lower(),
        matches_learners_domain=bool(domain) and domain == learner_domain,
    )
