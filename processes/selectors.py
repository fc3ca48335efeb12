"""Reads for the process design pages."""

from django.db.models import Prefetch, QuerySet

from evidence.models import Portfolio
from processes.models import ProcessMap, ProcessVersion, VersionState, VersionStatus


def process_maps_for(portfolio: Portfolio) -> QuerySet[ProcessMap]:
    """The portfolio's maps, each with its versions (newest first) prefetched."""
    return (
        ProcessMap.objects.filter(portfolio=portfolio)
        .prefetch_related(Prefetch("versions", queryset=ProcessVersion.objects.order_by("-number")))
        .order_by("-updated_at", "pk")
    )


def versions_of(process_map: ProcessMap) -> list[ProcessVersion]:
    return list(
        process_map.versions.select_related("parent")
        .prefetch_related("evidence_links__item")
        .order_by("-number")
    )


def default_comparison(
    versions: list[ProcessVersion],
) -> tuple[ProcessVersion | None, ProcessVersion | None]:
    """Before and after for the comparison page: the latest approved (else latest) current
    state against the latest approved (else latest) future state; failing that, the two
    newest versions."""

    def best(state):
        of_state = [v for v in versions if v.state == state]
        approved = [v for v in of_state if v.status == VersionStatus.APPROVED]
        return (approved or of_state or [None])[0]

    before, after = best(VersionState.CURRENT), best(VersionState.FUTURE)
    if before is None or after is None:
        newest = sorted(versions, key=lambda v: v.number)
        if len(newest) >= 2:
            return newest[-2], newest[-1]
        return None, None
    return before, after
