"""Centre admins enrol learners and change enrolments."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from evidence import permissions, services
from evidence.forms import PortfolioForm
from evidence.views import posted

_FIELDS = ("qualification", "assessor", "iqa", "start_date", "planned_end_date")
_LEARNER_RECORD = ("registration_number", "registered_on", "employer")


def portfolio_create(request: HttpRequest, centre_code: str) -> HttpResponse:
    centre = permissions.access_centre_as_admin(request.user, centre_code)
    form = PortfolioForm(posted(request), centre=centre)
    if request.htmx and request.method == "GET":
        return _units_fragment(request, centre)
    if request.method == "POST" and form.is_valid():
        try:
            portfolio = services.portfolio_enrol(
                learner=form.cleaned_data["learner"],
                centre=centre,
                chosen_units=form.cleaned_data["chosen_units"],
                enrolled_by=request.user,
                **{name: form.cleaned_data[name] for name in (*_FIELDS, *_LEARNER_RECORD)},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"{portfolio.learner} is enrolled on {portfolio.qualification}."
            )
            return redirect("evidence:centre-admin-dashboard")
    return render(
        request, "evidence/portfolio_form.html", {"form": form, "centre": centre, "portfolio": None}
    )


def portfolio_edit(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = permissions.access_portfolio_as_admin(request.user, portfolio_id)
    if request.htmx and request.method == "GET":
        return _units_fragment(request, portfolio.centre)
    form = PortfolioForm(
        posted(request),
        instance=portfolio,
        centre=portfolio.centre,
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.portfolio_update(
                portfolio=portfolio,
                chosen_units=form.cleaned_data["chosen_units"],
                status=form.cleaned_data["status"],
                changed_by=request.user,
                **{name: form.cleaned_data[name] for name in (*_FIELDS, *_LEARNER_RECORD)},
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{portfolio.learner}'s enrolment was updated.")
            return redirect("evidence:centre-admin-dashboard")
    return render(
        request,
        "evidence/portfolio_form.html",
        {"form": form, "centre": portfolio.centre, "portfolio": portfolio},
    )


def _units_fragment(request: HttpRequest, centre) -> HttpResponse:
    """The optional units of the qualification just picked (htmx swaps them into the form)."""
    form = PortfolioForm(request.GET, centre=centre)
    return render(request, "evidence/_chosen_units.html", {"form": form})
