"""Export pages: a portfolio's exports, a centre's bulk export, downloads and retries.

While any listed export is queued or running, the list polls itself with htmx every two
seconds (one request for the whole list) and stops once none is.
"""

import logging
import os
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from evidence.serving import protected_file_response
from portfolio_site.exports import job_selectors, permissions, services
from portfolio_site.exports.models import ExportJob

logger = logging.getLogger(__name__)


# The largest primary key the database holds (a signed 64-bit BigAutoField). A bigger number
# can name nothing, and SQLite cannot even bind it as a query parameter (OverflowError).
_LARGEST_ID = 2**63 - 1


def _ids(values: list[str], *, missing: str) -> set[int]:
    """The ids in ``values`` (empty strings skipped); 404 saying ``missing`` if any is not the
    decimal number of a row that could exist."""
    ids = set()
    for value in values:
        if not value:
            continue
        # The length first: Python refuses to convert a string of over 4,300 digits.
        digits = value.isascii() and value.isdigit() and len(value) <= len(str(_LARGEST_ID))
        if not digits or not 0 < int(value) <= _LARGEST_ID:
            raise Http404(missing)
        ids.add(int(value))
    return ids


def _job_list(jobs: list[ExportJob], poll_url: str, **context) -> dict:
    return {
        "jobs": jobs,
        "poll_url": poll_url,
        "polling": job_selectors.any_active(jobs),
        "retry_next": poll_url,
        **context,
    }


@require_http_methods(["GET", "POST"])
def portfolio_exports(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = permissions.access_portfolio_to_export(request.user, portfolio_id)
    if request.method == "POST":
        job, created = services.export_request(portfolio=portfolio, requested_by=request.user)
        if created:
            messages.success(request, f"Export {job.reference} asked for: progress shows below.")
        elif job.shows_as_failed:
            messages.info(request, f"Your export {job.reference} stopped: press its Retry button.")
        else:
            messages.info(request, f"Your export {job.reference} is already under way.")
        return redirect("exports:portfolio-exports", portfolio.pk)
    poll_url = reverse("exports:portfolio-exports", args=[portfolio.pk])
    context = _job_list(job_selectors.portfolio_export_jobs(portfolio), poll_url)
    if request.htmx:
        return render(request, "exports/_job_list.html", context)
    return render(
        request,
        "exports/portfolio_exports.html",
        {**context, "portfolio": portfolio, "tab": "export"},
    )


@require_GET
def job_download(request: HttpRequest, job_id: int) -> HttpResponse:
    job = permissions.access_export_job(request.user, job_id)
    if not job.is_downloadable:
        # Queued, running or failed: there is no finished file, and a half-written one (it has
        # a temporary name) is never handed out.
        raise Http404("This export has no finished file yet.")
    path = Path(settings.MEDIA_ROOT) / job.file.name
    try:
        stream = path.open("rb")
    except FileNotFoundError:
        logger.error("Export %s: its file %s is missing", job.reference, job.file.name)
        raise Http404("The export's file is missing.") from None
    if os.fstat(stream.fileno()).st_size != job.size:
        # Not the file that was hashed (changed on disk since): never hand it out as the export.
        stream.close()
        logger.error("Export %s: its file %s has changed size", job.reference, job.file.name)
        raise Http404("The export's file has changed since it was made.")
    response = protected_file_response(
        request,
        stream,
        storage_name=job.file.name,
        content_type="application/pdf",
        size=job.size,
        filename=job.download_name,
        inline=False,
    )
    services.export_downloaded(job=job, user=request.user)
    return response


@require_POST
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = permissions.access_export_job(request.user, job_id)
    try:
        job = services.export_retry(job=job, user=request.user)
    except services.ExportRefused as error:
        messages.info(request, error.message)
    else:
        messages.success(request, f"Export {job.reference} is queued again.")
    back = request.POST.get("next", "")
    # A path on this site: redirect() would take anything else ("123") for a view name.
    if back.startswith("/") and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        return redirect(back)
    return redirect("exports:portfolio-exports", job.portfolio_id)


@require_http_methods(["GET", "POST"])
def centre_exports(request: HttpRequest, centre_code: str) -> HttpResponse:
    """The centre's portfolios with checkboxes; "Export selected" makes one job each."""
    centre = permissions.access_centre_to_export(request.user, centre_code)
    if request.method == "POST":
        ids = _ids(request.POST.getlist("portfolio"), missing="No such portfolio.")
        if not ids:
            messages.error(request, "Choose at least one portfolio to export.")
            return redirect("exports:centre-exports", centre.code)
        portfolios = permissions.access_centre_portfolios(request.user, centre, ids)
        jobs = services.export_request_many(portfolios=portfolios, requested_by=request.user)
        messages.success(
            request,
            f"{len(jobs)} export{'s' if len(jobs) != 1 else ''} asked for: progress shows below.",
        )
        query = ",".join(str(job.pk) for job in jobs)
        return redirect(f"{reverse('exports:centre-export-jobs', args=[centre.code])}?ids={query}")
    return render(
        request,
        "exports/centre_exports.html",
        {
            "centre": centre,
            "portfolios": job_selectors.centre_portfolios_with_latest_export(centre),
        },
    )


@require_GET
def centre_export_jobs(request: HttpRequest, centre_code: str) -> HttpResponse:
    """Several exports at once (a bulk export), their progress polled in one request."""
    centre = permissions.access_centre_to_export(request.user, centre_code)
    ids = _ids(request.GET.get("ids", "").split(","), missing="No such export.")
    if not ids:
        return redirect("exports:centre-exports", centre.code)
    jobs = permissions.access_centre_jobs(request.user, centre, ids)
    poll_url = request.get_full_path()
    context = _job_list(jobs, poll_url, show_learner=True)
    if request.htmx:
        return render(request, "exports/_job_list.html", context)
    return render(request, "exports/centre_export_jobs.html", {**context, "centre": centre})
