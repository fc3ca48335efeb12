"""The assessor's pages: review, records for the learner to confirm, sign-off; and the
learner's side of them (confirming a record, countersigning a unit)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from criteria.models import Unit
from evidence import permissions, selectors, services
from evidence.forms import (
    CountersignForm,
    CriteriaSignOffForm,
    RecordConfirmForm,
    RecordReturnForm,
    RecordSendForm,
    ReviewForm,
    UnitSignOffForm,
    WithdrawForm,
    parse_review_post,
)
from evidence.models import EvidenceStatus, ReviewOutcome
from evidence.services import AlreadyDecided, EvidenceLocked, fixity
from evidence.views import posted


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def item_review(request: HttpRequest, item_id: int) -> HttpResponse:
    item = permissions.access_item_as_assessor(request.user, item_id)
    if item.status != EvidenceStatus.SUBMITTED:
        messages.info(
            request,
            f"This item is {item.get_status_display().lower()}: there is nothing to decide.",
        )
        return redirect("evidence:item-detail", item.pk)
    item = selectors.evidence_item_detail(item.pk)
    # The assessor judges these bytes: check them against their recorded hashes first, so a
    # changed file is shown as damaged instead of previewed as the evidence.
    fixity.files_verify(item.files.all(), during="the assessor's review")
    mappings = list(item.mappings.all())
    form = ReviewForm(posted(request))
    decisions = {}
    decision_errors = {}
    if request.method == "POST":
        decisions = parse_review_post(request.POST, [m.criterion_id for m in mappings])
        if form.is_valid():
            try:
                services.review_record(
                    item=item,
                    assessor=request.user,
                    outcome=form.cleaned_data["outcome"],
                    feedback=form.cleaned_data["feedback"],
                    decisions=decisions,
                )
            except (AlreadyDecided, EvidenceLocked) as error:
                messages.warning(request, _error_text(error))
                return redirect("evidence:item-detail", item.pk)
            except ValidationError as error:
                if hasattr(error, "error_dict"):
                    for key, texts in error.message_dict.items():
                        if key == "feedback":
                            form.add_error("feedback", texts)
                        else:
                            decision_errors[key] = " ".join(texts)
                else:
                    form.add_error(None, error)
            else:
                accepted = form.cleaned_data["outcome"] == ReviewOutcome.ACCEPTED
                messages.success(
                    request,
                    f"“{item.title}” {'accepted' if accepted else 'referred back'}; "
                    f"{item.portfolio.learner} has been told.",
                )
                return redirect("evidence:assessor-dashboard")
    rows = [
        {
            "mapping": mapping,
            "choice": (
                ("met" if decisions[mapping.criterion_id][0] else "not_met")
                if mapping.criterion_id in decisions
                else request.POST.get(f"decision-{mapping.criterion_id}", "")
            ),
            "feedback": request.POST.get(f"feedback-{mapping.criterion_id}", ""),
            "error": decision_errors.get(str(mapping.criterion_id), ""),
        }
        for mapping in mappings
    ]
    return render(
        request,
        "evidence/item_review.html",
        {
            "item": item,
            "portfolio": item.portfolio,
            "form": form,
            "rows": rows,
            "submission": item.submissions.all()[0],
            "earlier": item.submissions.all()[1:],
            "tab": "evidence",
        },
    )


def record_send(request: HttpRequest, item_id: int) -> HttpResponse:
    """The assessor sends an observation or discussion record to the learner to confirm."""
    item = permissions.access_item_to_change(request.user, item_id)
    form = RecordSendForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.observation_send(item=item, assessor=request.user, declared=True)
        except EvidenceLocked as error:
            messages.info(request, _error_text(error))
            return redirect("evidence:item-detail", item.pk)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Sent to {item.portfolio.learner} to confirm.")
            return redirect("evidence:item-detail", item.pk)
    return render(
        request,
        "evidence/record_send.html",
        {
            "form": form,
            "item": selectors.evidence_item_detail(item.pk),
            "portfolio": item.portfolio,
            "tab": "evidence",
        },
    )


@require_POST
def record_confirm(request: HttpRequest, item_id: int) -> HttpResponse:
    item = permissions.access_item_as_learner(request.user, item_id)
    form = RecordConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tick the box to confirm the record.")
        return redirect("evidence:item-detail", item.pk)
    try:
        services.observation_confirm(item=item, learner=request.user, declared=True)
    except ValidationError as error:
        messages.info(request, _error_text(error))
    else:
        messages.success(request, "Thank you: the record is confirmed and counts as evidence.")
    return redirect("evidence:item-detail", item.pk)


@require_POST
def record_return(request: HttpRequest, item_id: int) -> HttpResponse:
    item = permissions.access_item_as_learner(request.user, item_id)
    form = RecordReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say what is not accurate, so your assessor can correct it.")
        return redirect("evidence:item-detail", item.pk)
    try:
        services.observation_return(
            item=item, learner=request.user, comment=form.cleaned_data["comment"]
        )
    except ValidationError as error:
        messages.info(request, _error_text(error))
    else:
        messages.success(request, f"Sent back to {item.portfolio.assessor} with your comment.")
    return redirect("evidence:item-detail", item.pk)


# --- Sign-off ---------------------------------------------------------------------------------


def sign_offs(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    """Every unit's criteria with their sign-off state; the assessor signs here, the learner
    countersigns here, everyone else reads."""
    portfolio = permissions.access_portfolio(request.user, portfolio_id)
    is_assessor = portfolio.assessor_id == request.user.pk
    is_learner = portfolio.learner_id == request.user.pk
    damaged_files = selectors.damaged_files(portfolio)
    return render(
        request,
        "evidence/sign_offs.html",
        {
            "portfolio": portfolio,
            "damaged_files": damaged_files,
            "damaged_item_ids": {evidence_file.item_id for evidence_file in damaged_files},
            "units": selectors.sign_off_overview(portfolio),
            "is_assessor": is_assessor,
            "is_learner": is_learner,
            "is_iqa": portfolio.iqa_id == request.user.pk,
            "criteria_form": CriteriaSignOffForm(),
            "unit_form": UnitSignOffForm(),
            "countersign_form": CountersignForm(),
            "tab": "sign-off",
        },
    )


@require_POST
def criteria_sign_off(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = permissions.access_portfolio_as_assessor(request.user, portfolio_id)
    form = CriteriaSignOffForm(request.POST)
    try:
        ids = [int(value) for value in request.POST.getlist("criteria")]
    except ValueError:
        ids = []
    if not form.is_valid():
        messages.error(request, "Tick the declaration to sign off. Nothing was signed.")
    else:
        try:
            signed = services.criteria_sign_off(
                portfolio=portfolio, assessor=request.user, criterion_ids=ids, declared=True
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            numbers = ", ".join(sign_off.criterion.number for sign_off in signed)
            messages.success(request, f"Signed off: {numbers}.")
    return redirect("evidence:sign-offs", portfolio.pk)


@require_POST
def unit_sign_off(request: HttpRequest, portfolio_id: int, unit_id: int) -> HttpResponse:
    portfolio = permissions.access_portfolio_as_assessor(request.user, portfolio_id)
    unit = get_object_or_404(Unit, pk=unit_id)
    form = UnitSignOffForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tick the declaration to sign the unit off. Nothing was signed.")
    else:
        try:
            services.unit_sign_off(
                portfolio=portfolio, unit=unit, assessor=request.user, declared=True
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(
                request, f"{unit} signed off; {portfolio.learner} is asked to countersign."
            )
    return redirect("evidence:sign-offs", portfolio.pk)


@require_POST
def unit_countersign(request: HttpRequest, sign_off_id: int) -> HttpResponse:
    sign_off = permissions.access_sign_off(request.user, sign_off_id)
    if sign_off.portfolio.learner_id != request.user.pk:
        raise PermissionDenied("Only the learner countersigns their unit.")
    form = CountersignForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Tick the declaration to countersign.")
    else:
        try:
            services.unit_countersign(sign_off=sign_off, learner=request.user, declared=True)
        except ValidationError as error:
            messages.info(request, _error_text(error))
        else:
            messages.success(request, f"You countersigned {sign_off.unit}.")
    return redirect("evidence:sign-offs", sign_off.portfolio_id)


def sign_off_withdraw(request: HttpRequest, sign_off_id: int) -> HttpResponse:
    sign_off = permissions.access_sign_off(request.user, sign_off_id)
    if sign_off.portfolio.assessor_id != request.user.pk:
        raise PermissionDenied("Only the learner's assessor withdraws a sign-off.")
    form = WithdrawForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_off_withdraw(
                sign_off=sign_off, assessor=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, "Sign-off withdrawn. Its signatures stay in the record.")
        return redirect("evidence:sign-offs", sign_off.portfolio_id)
    return render(
        request,
        "evidence/sign_off_withdraw.html",
        {"form": form, "sign_off": sign_off, "portfolio": sign_off.portfolio, "tab": "sign-off"},
    )
