"""Internal quality assurance (plans, samples) and external access (grants)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from criteria.models import Unit
from evidence import permissions, selectors, services
from evidence.forms import EqaGrantForm, IqaSampleForm, SamplingPlanForm
from evidence.models import MappingDecision, SignOffKind
from evidence.views import posted
from portfolio_site.accounts.models import Role
from portfolio_site.accounts.permissions import role_required
from portfolio_site.accounts.two_factor import users_with_two_factor


@role_required(Role.IQA)
def sampling_plan(request: HttpRequest) -> HttpResponse:
    form = SamplingPlanForm(posted(request), iqa=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.sampling_plan_save(iqa=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Plan saved: {plan}, target {plan.target_percent}%.")
            return redirect("evidence:iqa-dashboard")
    return render(request, "evidence/sampling_plan_form.html", {"form": form})


def _sample(request: HttpRequest, *, review=None, sign_off=None) -> HttpResponse:
    if review is not None:
        unit_ids = MappingDecision.objects.filter(review=review).values("criterion__outcome__unit")
        portfolio, subject = review.item.portfolio, review
    else:
        unit_id = sign_off.unit_id or sign_off.criterion.outcome.unit_id
        unit_ids = [unit_id]
        portfolio, subject = sign_off.portfolio, sign_off
    units = Unit.objects.filter(pk__in=unit_ids).order_by("title")
    can_countersign = (
        sign_off is not None
        and sign_off.kind == SignOffKind.UNIT
        and sign_off.is_active
        and not sign_off.iqa_signature_id
    )
    form = IqaSampleForm(posted(request), units=units, countersign=can_countersign)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            sample = services.iqa_sample_record(
                iqa=request.user,
                review=review,
                sign_off=sign_off,
                unit=data["unit"],
                method=data["method"],
                decision=data["decision"],
                comments=data["comments"],
                actions=data["actions"],
                countersign=data.get("countersign", False),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Sample recorded; {sample.assessor} has been told.")
            return redirect("evidence:iqa-dashboard")
    return render(
        request,
        "evidence/iqa_sample_form.html",
        {
            "form": form,
            "subject": subject,
            "review": review,
            "sign_off": sign_off,
            "portfolio": portfolio,
        },
    )


def sample_review(request: HttpRequest, review_id: int) -> HttpResponse:
    return _sample(request, review=permissions.access_review_as_iqa(request.user, review_id))


def sample_sign_off(request: HttpRequest, sign_off_id: int) -> HttpResponse:
    return _sample(request, sign_off=permissions.access_sign_off_as_iqa(request.user, sign_off_id))


def sample_detail(request: HttpRequest, sample_id: int) -> HttpResponse:
    sample = permissions.access_sample(request.user, sample_id)
    services.iqa_sample_mark_seen(sample=sample, assessor=request.user)
    return render(request, "evidence/iqa_sample_detail.html", {"sample": sample})


# --- External quality assurance ----------------------------------------------------------------


def eqa_access(request: HttpRequest, centre_code: str) -> HttpResponse:
    centre = permissions.access_centre_as_admin(request.user, centre_code)
    form = EqaGrantForm(posted(request), centre=centre)
    if request.method == "POST" and form.is_valid():
        try:
            grants = services.eqa_grant(admin=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                f"{form.cleaned_data['eqa']} can read {len(grants)} portfolio(s) until "
                f"{form.cleaned_data['expires_on']:%-d %B %Y}.",
            )
            return redirect("evidence:eqa-access", centre.code)
    grants = list(selectors.eqa_grants_at(centres=[centre]))
    eqas = list(form.fields["eqa"].queryset)
    return render(
        request,
        "evidence/eqa_access.html",
        {
            "form": form,
            "centre": centre,
            "grants": grants,
            "eqas": eqas,
            # Whether each EQA signs in with a code as well as a password.
            "two_factor_ids": users_with_two_factor(
                {user.pk for user in eqas} | {grant.eqa_id for grant in grants}
            ),
            "today": timezone.localdate(),
        },
    )


@require_POST
def eqa_revoke(request: HttpRequest, grant_id: int) -> HttpResponse:
    grant = permissions.access_grant_as_admin(request.user, grant_id)
    services.eqa_revoke(admin=request.user, grant=grant)
    messages.success(
        request, f"{grant.eqa} can no longer read {grant.portfolio.learner}'s portfolio."
    )
    return redirect("evidence:eqa-access", grant.portfolio.centre.code)
