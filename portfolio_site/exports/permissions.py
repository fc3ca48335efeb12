"""Who may export a portfolio and download its exports. Every export view asks here.

An export is a complete, lasting copy of a portfolio that leaves the system. So:

- a centre's admins export any portfolio at a centre they administer (for the awarding body,
  a learner moving to another provider, the centre's records);
- a learner exports their own portfolio (it is their data).

Assessors, IQAs and EQAs do not: they read portfolios here, where an EQA's access ends on a
date and each page an EQA opens is recorded, and a PDF would outlive both. Whoever needs a copy
for the awarding body asks the centre's admin, whose export is in the audit trail.

Everyone who may export a portfolio sees all its exports (a learner sees that their centre
exported it) and may download and retry them.

As in evidence.permissions: a portfolio outside a user's reach is a 404; one they may see but
not export is a 403.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from evidence.models import Portfolio
from evidence.permissions import access_centre_as_admin, access_portfolio
from portfolio_site.accounts.models import Centre, Role, User
from portfolio_site.accounts.permissions import role_in_force_at
from portfolio_site.accounts.selectors import centres_where
from portfolio_site.exports.models import ExportJob

NOT_ALLOWED = "Only the learner and their centre's admins export a portfolio."


def portfolios_exportable_by(user: User) -> QuerySet[Portfolio]:
    if not user.is_authenticated:
        return Portfolio.objects.none()
    administered = centres_where(user=user, role=Role.CENTRE_ADMIN).values("pk")
    return Portfolio.objects.filter(
        (Q(learner=user) & role_in_force_at(user, Role.LEARNER)) | Q(centre__in=administered)
    )


def can_export(user: User, portfolio: Portfolio) -> bool:
    return portfolios_exportable_by(user).filter(pk=portfolio.pk).exists()


def access_portfolio_to_export(user: User, portfolio_id: int) -> Portfolio:
    portfolio = access_portfolio(user, portfolio_id)  # 404 outside the user's reach
    if not can_export(user, portfolio):
        raise PermissionDenied(NOT_ALLOWED)
    return portfolio


def access_export_job(user: User, job_id: int) -> ExportJob:
    """A job of a portfolio the user may export. Others' jobs are 404, visible portfolio or not:
    a job id says nothing about whether the user could see the portfolio."""
    return get_object_or_404(
        ExportJob.objects.select_related(
            "portfolio__learner", "portfolio__centre", "portfolio__qualification", "requested_by"
        ).filter(portfolio__in=portfolios_exportable_by(user)),
        pk=job_id,
    )


# A centre's admins export its portfolios in bulk: the same check as their other centre pages.
access_centre_to_export = access_centre_as_admin


def access_centre_portfolios(user: User, centre: Centre, ids: Iterable[int]) -> list[Portfolio]:
    """The centre's portfolios with these ids; 404 if any id is not one of them."""
    wanted = set(ids)
    portfolios = list(
        portfolios_exportable_by(user)
        .filter(centre=centre, pk__in=wanted)
        .select_related("learner", "centre")
        .order_by("learner__last_name", "learner__first_name", "pk")
    )
    if len(portfolios) != len(wanted):
        raise Http404("A chosen portfolio is not at this centre.")
    return portfolios


def access_centre_jobs(user: User, centre: Centre, ids: Iterable[int]) -> list[ExportJob]:
    """The centre's export jobs with these ids; 404 if any id is not one of them."""
    wanted = set(ids)
    jobs = list(
        ExportJob.objects.filter(
            pk__in=wanted,
            portfolio__centre=centre,
            portfolio__in=portfolios_exportable_by(user),
        )
        .select_related("portfolio__learner", "portfolio__qualification", "requested_by")
        .order_by("portfolio__learner__last_name", "portfolio__learner__first_name", "pk")
    )
    if len(jobs) != len(wanted):
        raise Http404("No such export at this centre.")
    return jobs
