"""Everything the PDF of a portfolio shows, read in a fixed number of queries (about 25)
whatever the number of items, files, decisions and signatures.

Reuses the evidence app's selectors for progress, sign-off states and the tracking grid, and
adds the reads only the document needs: every item with its files (removed ones too), mappings,
submissions with their reviews and decisions, and witness signatures; and the IQA's samples.
(The export job pages' reads are in job_selectors.py.)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Sum

from evidence.models import (
    CriterionMapping,
    EvidenceFile,
    EvidenceItem,
    IqaSample,
    MappingDecision,
    Portfolio,
    Submission,
    WitnessSignature,
)
from evidence.selectors import (
    PortfolioSummary,
    UnitSignOffState,
    portfolio_summaries,
    portfolios_for_progress,
    sign_off_overview,
    tracking_grid,
)

CRITERION_ORDER = (
    "criterion__outcome__unit__title",
    "criterion__outcome__number",
    "criterion__position",
)


@dataclass
class PortfolioRecord:
    """The portfolio and all it holds, as read for one export."""

    portfolio: Portfolio
    summary: PortfolioSummary
    # Each unit's outcomes and criteria with their sign-offs; each criterion also carries
    # ``.evidence``: the mappings that claim it (from the tracking grid).
    units: list[UnitSignOffState]
    # Oldest activity first; each with .document_files (current and removed), .mappings,
    # .submissions (each with .review and its .decisions) and .witness_signatures prefetched.
    items: list[EvidenceItem]
    iqa_samples: list[IqaSample]


def portfolio_record(portfolio_id: int) -> PortfolioRecord:
    portfolio = portfolios_for_progress().get(pk=portfolio_id)
    (summary,) = portfolio_summaries([portfolio])
    units = sign_off_overview(portfolio)
    # The overview's units carry the prefetched outcomes and criteria the grid annotates.
    tracking_grid(portfolio, tree=[state.unit for state in units])
    return PortfolioRecord(
        portfolio=portfolio,
        summary=summary,
        units=units,
        items=list(_items_of(portfolio)),
        iqa_samples=list(
            IqaSample.objects.filter(portfolio=portfolio)
            .select_related(
                "iqa",
                "assessor",
                "unit",
                "review__item",
                "review__submission",
                "sign_off__unit",
                "sign_off__criterion__outcome__unit",
                "countersignature",
            )
            .order_by("sampled_at", "pk")
        ),
    )


def _items_of(portfolio: Portfolio):
    decisions = MappingDecision.objects.select_related("criterion__outcome__unit").order_by(
        *CRITERION_ORDER
    )
    submissions = (
        Submission.objects.select_related(
            "submitted_by", "review__assessor", "learner_confirmation__signer"
        )
        .prefetch_related(Prefetch("review__decisions", queryset=decisions))
        .order_by("sequence")
    )
    return (
        EvidenceItem.objects.filter(portfolio=portfolio)
        .select_related("created_by")
        .order_by("activity_date", "pk")
        .prefetch_related(
            Prefetch(
                "files",
                # Removed files too: an earlier submission rests on them and storage keeps them.
                queryset=EvidenceFile.all_objects.select_related("removed_by").order_by(
                    "uploaded_at", "pk"
                ),
                to_attr="document_files",
            ),
            Prefetch(
                "mappings",
                queryset=CriterionMapping.objects.select_related(
                    "criterion__outcome__unit"
                ).order_by(*CRITERION_ORDER),
            ),
            Prefetch("submissions", queryset=submissions),
            Prefetch(
                "witness_signatures",
                queryset=WitnessSignature.objects.select_related("request").order_by("signed_at"),
            ),
        )
    )


def current_file_bytes(portfolio_id: int) -> int:
    """The total size of the files the portfolio's items hold now (removed ones left out)."""
    total = EvidenceFile.objects.filter(item__portfolio_id=portfolio_id).aggregate(
        total=Sum("size")
    )["total"]
    return total or 0
