"""Reads for the export job pages (the document's own reads are in selectors.py)."""

from django.db.models import OuterRef, QuerySet, Subquery

from evidence.models import Portfolio
from portfolio_site.accounts.models import Centre
from portfolio_site.exports.models import ExportJob


def portfolio_export_jobs(portfolio: Portfolio) -> list[ExportJob]:
    return list(
        ExportJob.objects.filter(portfolio=portfolio).select_related(
            "portfolio__learner", "requested_by"
        )
    )


def centre_portfolios_with_latest_export(centre: Centre) -> QuerySet[Portfolio]:
    """Every portfolio at the centre (completed and withdrawn ones too: they are exported for
    the record), by learner, each with its latest export's id and status."""
    latest = ExportJob.objects.filter(portfolio=OuterRef("pk")).order_by("-requested_at", "-pk")
    return (
        Portfolio.objects.filter(centre=centre)
        .select_related("learner", "qualification")
        .annotate(
            latest_export_id=Subquery(latest.values("pk")[:1]),
            latest_export_status=Subquery(latest.values("status")[:1]),
        )
        .order_by("learner__last_name", "learner__first_name", "learner__username", "pk")
    )


def any_active(jobs: list[ExportJob]) -> bool:
    return any(job.is_active for job in jobs)
