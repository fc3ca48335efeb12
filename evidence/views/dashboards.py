"""Dashboards, one per role. Each shows what exists so far; later work adds to them."""

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
    return render(
        request,
        "evidence/assessor_dashboard.html",
        {"portfolios": selectors.assessor_caseload(assessor=request.user)},
    )


@role_required(Role.IQA)
def iqa_dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "evidence/iqa_dashboard.html",
        {"portfolios": selectors.iqa_portfolios(iqa=request.user)},
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
        {"centres": selectors.eqa_centres(eqa=request.user)},
    )
