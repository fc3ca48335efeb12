"""Dashboards, one per role."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from evidence import selectors
from portfolio_site.accounts.models import Role
from portfolio_site.accounts.permissions import role_required


@role_required(Role.LEARNER)
def learner_dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "evidence/learner_dashboard.html",
        {"summaries": selectors.learner_portfolios(learner=request.user)},
    )


@role_required(Role.ASSESSOR)
def assessor_dashboard(request: HttpRequest) -> HttpResponse:
    """The caseload: each learner's progress and items waiting; the queue, oldest first."""
    return render(
        request,
        "evidence/assessor_dashboard.html",
        {
            "summaries": selectors.assessor_caseload(assessor=request.user),
            "queue": selectors.assessment_queue(assessor=request.user),
            "iqa_feedback": selectors.iqa_feedback_for(assessor=request.user),
        },
    )


@role_required(Role.IQA)
def iqa_dashboard(request: HttpRequest) -> HttpResponse:
    reviews, unit_sign_offs = selectors.iqa_sampling_candidates(iqa=request.user)
    return render(
        request,
        "evidence/iqa_dashboard.html",
        {
            "coverage": selectors.iqa_coverage(iqa=request.user),
            "candidate_reviews": reviews,
            "candidate_sign_offs": unit_sign_offs,
            "recent_samples": selectors.iqa_recent_samples(iqa=request.user),
            "portfolios": selectors.iqa_portfolios(iqa=request.user),
        },
    )


@role_required(Role.CENTRE_ADMIN)
def centre_admin_dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "evidence/centre_admin_dashboard.html",
        {"overviews": selectors.centre_admin_overview(admin=request.user)},
    )


@role_required(Role.EQA)
def eqa_dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "evidence/eqa_dashboard.html",
        {
            "centres": selectors.eqa_centres(eqa=request.user),
            "grants": selectors.eqa_grants_for(eqa=request.user),
        },
    )
