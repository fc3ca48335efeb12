"""Reads from the catalogue, each in a fixed number of queries."""

from django.db.models import Count, Prefetch, QuerySet
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404

from criteria.models import (
    AssessmentCriterion,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Requirement,
    Unit,
)


def qualification_list() -> QuerySet[Qualification]:
    return (
        Qualification.objects.select_related("awarding_organisation")
        .annotate(unit_count=Count("unit_links"))
        .order_by(Lower("awarding_organisation__name"), "level", Lower("title"))
    )


def units_outside_qualifications() -> QuerySet[Unit]:
    """Units in the catalogue that no qualification includes yet."""
    return Unit.objects.filter(qualification_links__isnull=True).annotate(
        criterion_count=Count("outcomes__criteria")
    )


def qualification_get(*, code: str) -> Qualification:
    return get_object_or_404(
        Qualification.objects.select_related("awarding_organisation"), code=code
    )


def qualification_unit_groups(*, qualification: Qualification) -> list[tuple[str, list]]:
    """The qualification's units grouped by requirement (mandatory, optional, not stated),
    each unit annotated with its outcome and criterion counts. Empty groups are left out."""
    links = (
        QualificationUnit.objects.filter(qualification=qualification)
        .select_related("unit")
        .annotate(
            outcome_count=Count("unit__outcomes", distinct=True),
            criterion_count=Count("unit__outcomes__criteria", distinct=True),
        )
        .order_by("unit__title")
    )
    order = [Requirement.MANDATORY, Requirement.OPTIONAL, Requirement.NOT_STATED]
    groups = {requirement: [] for requirement in order}
    for link in links:
        groups[link.requirement].append(link)
    return [(Requirement(req).label, groups[req]) for req in order if groups[req]]


def unit_get_with_outcomes(*, code: str) -> Unit:
    """A unit with its outcomes and their criteria prefetched, in number order."""
    outcomes = LearningOutcome.objects.order_by("number").prefetch_related(
        Prefetch("criteria", queryset=AssessmentCriterion.objects.order_by("position"))
    )
    return get_object_or_404(
        Unit.objects.prefetch_related(
            Prefetch("outcomes", queryset=outcomes),
            Prefetch(
                "qualification_links",
                queryset=QualificationUnit.objects.select_related(
                    "qualification__awarding_organisation"
                ).order_by("qualification__title"),
            ),
        ),
        code=code,
    )
