"""Evidence items: create, read, change, map to criteria, submit, delete."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from evidence import permissions, selectors, services
from evidence.file_types import ACCEPT_ATTRIBUTE, ACCEPTED_SUMMARY
from evidence.forms import EvidenceItemForm, SubmitForm, parse_mapping_post
from evidence.models import EvidenceKind, EvidenceStatus, sha256_of
from evidence.services import ASSESSOR_KINDS, EvidenceLocked, StaleEdit
from evidence.services.assessment import LEARNER_CONFIRMATION
from evidence.services.witness import witness_statement
from evidence.views import posted

ITEMS_PER_PAGE = 25


def _locked(request: HttpRequest, item, error: ValidationError) -> HttpResponse:
    messages.info(request, error.message)
    return redirect("evidence:item-detail", item.pk)


def evidence_list(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = permissions.access_portfolio(request.user, portfolio_id)
    units = list(selectors.portfolio_units_queryset(portfolio))
    filters = {
        "kind": request.GET.get("kind") if request.GET.get("kind") in EvidenceKind.values else "",
        "status": request.GET.get("status")
        if request.GET.get("status") in EvidenceStatus.values
        else "",
        "unit": request.GET.get("unit", ""),
    }
    unit_ids = {str(unit.pk): unit.pk for unit in units}
    unit_id = unit_ids.get(filters["unit"])
    # From the tracking grid's "all N items" link: the items claiming one criterion.
    criterion = selectors.portfolio_criterion(portfolio, request.GET.get("criterion", ""))
    items = selectors.evidence_item_list(
        portfolio,
        kind=filters["kind"] or None,
        status=filters["status"] or None,
        unit_id=unit_id,
        criterion_id=criterion.pk if criterion else None,
    )
    page = Paginator(items, ITEMS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "evidence/evidence_list.html",
        {
            "portfolio": portfolio,
            "page": page,
            "filters": filters,
            "filtered": any(filters.values()) or criterion is not None,
            "criterion": criterion,
            "units": units,
            "kinds": EvidenceKind.choices,
            "statuses": EvidenceStatus.choices,
            "can_add": permissions.can_add_evidence(request.user, portfolio),
            "can_write_records": permissions.can_write_records(request.user, portfolio),
            "tab": "evidence",
        },
    )


def tracking_grid(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = permissions.access_portfolio(request.user, portfolio_id)
    units = selectors.portfolio_criteria_tree(portfolio)
    chosen = request.GET.get("unit", "")
    unit_id = next((unit.pk for unit in units if str(unit.pk) == chosen), None)
    shown = [unit for unit in units if unit_id in (None, unit.pk)]
    return render(
        request,
        "evidence/tracking_grid.html",
        {
            "portfolio": portfolio,
            "grid": selectors.tracking_grid(portfolio, tree=shown),
            "units": units,
            "chosen_unit": unit_id,
            "tab": "grid",
        },
    )


def _kinds_for(user, portfolio):
    """A learner adds any kind of evidence; their assessor writes records about them."""
    return ASSESSOR_KINDS if user.pk != portfolio.learner_id else None


def item_create(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = permissions.access_portfolio_to_add(request.user, portfolio_id)
    kinds = _kinds_for(request.user, portfolio)
    if request.method == "POST":
        form = EvidenceItemForm(request.POST, kinds=kinds)
        if form.is_valid():
            try:
                item, created = services.evidence_item_create(
                    portfolio=portfolio,
                    author=request.user,
                    creation_token=form.cleaned_data["creation_token"] or uuid.uuid4(),
                    **form.item_fields(),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if created:
                    messages.success(
                        request, "Draft saved. Next, add its files and map it to criteria."
                    )
                else:
                    messages.info(request, "This item was already saved: the form was sent twice.")
                return redirect("evidence:item-detail", item.pk)
    else:
        form = EvidenceItemForm(
            initial={"creation_token": uuid.uuid4(), "activity_date": timezone.localdate()},
            kinds=kinds,
        )
    return render(
        request,
        "evidence/item_form.html",
        {
            "form": form,
            "portfolio": portfolio,
            "item": None,
            "writing_record": kinds is not None,
            "tab": "evidence",
        },
    )


def item_detail(request: HttpRequest, item_id: int) -> HttpResponse:
    item = permissions.access_item(request.user, item_id)
    item = selectors.evidence_item_detail(item.pk)
    user = request.user
    portfolio = item.portfolio
    submissions = list(item.submissions.all())
    witness_signature = next(iter(item.witness_signatures.all()), None)
    witness_current = bool(
        witness_signature
        and witness_signature.statement_sha256 == sha256_of(witness_statement(item))
    )
    return render(
        request,
        "evidence/item_detail.html",
        {
            "item": item,
            "portfolio": portfolio,
            "submissions": submissions,
            "latest_review": getattr(submissions[0], "review", None) if submissions else None,
            "can_change": permissions.can_change_item(user, item),
            "can_review": permissions.can_review(user, item),
            "is_record": item.kind in ASSESSOR_KINDS and item.created_by_id != portfolio.learner_id,
            "is_learner": user.pk == portfolio.learner_id,
            "is_assessor": user.pk == portfolio.assessor_id,
            "witness_signature": witness_signature,
            "witness_signature_current": witness_current,
            "can_request_witness": (
                item.is_witness_testimony
                and permissions.can_request_witness(user, item)
                and not witness_current
            ),
            "confirm_statement": LEARNER_CONFIRMATION,
            "witness_request": next(
                (r for r in item.witness_requests.all() if not r.superseded_at), None
            ),
            # The latest link, if a change to the statement cancelled it: it must go again.
            "witness_request_cancelled": next(
                (r for r in item.witness_requests.all()[:1] if r.cancelled_at), None
            ),
            "witness_email_check": selectors.witness_email_check(item),
            "accept": ACCEPT_ATTRIBUTE,
            "accepted_summary": ACCEPTED_SUMMARY,
            "max_file_bytes": settings.EVIDENCE_MAX_FILE_BYTES,
            "tab": "evidence",
        },
    )


def item_edit(request: HttpRequest, item_id: int) -> HttpResponse:
    item = permissions.access_item_to_change(request.user, item_id)
    if not item.is_editable:
        return _locked(
            request, item, EvidenceLocked("Submitted evidence can no longer be changed.")
        )
    if request.method == "POST":
        form = EvidenceItemForm(
            request.POST, instance=item, kinds=_kinds_for(request.user, item.portfolio)
        )
        if form.is_valid():
            try:
                changed = services.evidence_item_update(
                    item=item,
                    editor=request.user,
                    expected_version=form.cleaned_data["version"] or 0,
                    **form.item_fields(),
                )
            except EvidenceLocked as error:
                return _locked(request, item, error)
            except StaleEdit as error:
                # Keep what they typed; let the next save apply over the latest version.
                data = request.POST.copy()
                item.refresh_from_db()
                data["version"] = item.version
                form = EvidenceItemForm(
                    data, instance=item, kinds=_kinds_for(request.user, item.portfolio)
                )
                form.is_valid()
                form.add_error(None, error)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, "Changes saved.")
                if changed.witness_links_cancelled:
                    messages.warning(
                        request,
                        "You changed the statement after the witness link was sent, so that "
                        "link no longer works. Send the witness a new link to confirm the "
                        "statement as it is now.",
                    )
                return redirect("evidence:item-detail", item.pk)
    else:
        form = EvidenceItemForm(
            instance=item,
            initial={"version": item.version},
            kinds=_kinds_for(request.user, item.portfolio),
        )
    return render(
        request,
        "evidence/item_form.html",
        {"form": form, "portfolio": item.portfolio, "item": item, "tab": "evidence"},
    )


def item_mappings(request: HttpRequest, item_id: int) -> HttpResponse:
    item = permissions.access_item_to_change(request.user, item_id)
    if not item.is_editable:
        return _locked(
            request, item, EvidenceLocked("Submitted evidence can no longer be changed.")
        )
    errors: dict = {}
    error_message = ""
    if request.method == "POST":
        references: dict[int, str] = {}
        try:
            references, version = parse_mapping_post(request.POST)
            added, changed, removed = services.evidence_mappings_set(
                item=item, user=request.user, references=references, expected_version=version or 0
            )
        except EvidenceLocked as error:
            return _locked(request, item, error)
        except StaleEdit as error:
            item.refresh_from_db()
            error_message = error.message
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                errors = {key: " ".join(messages_) for key, messages_ in error.message_dict.items()}
                error_message = "Some criteria need a reference: see the highlighted ones below."
            else:
                error_message = " ".join(error.messages)
        else:
            if added or changed or removed:
                messages.success(
                    request,
                    f"Criteria saved: {added} added, {changed} changed, {removed} removed.",
                )
            else:
                messages.info(request, "Nothing had changed.")
            return redirect("evidence:item-detail", item.pk)
        selected = references
    else:
        selected = {mapping.criterion_id: mapping.reference for mapping in item.mappings.all()}
    return render(
        request,
        "evidence/item_mappings.html",
        {
            "item": item,
            "portfolio": item.portfolio,
            "units": selectors.portfolio_criteria_tree(item.portfolio),
            "selected": {str(key): value for key, value in selected.items()},
            "errors": errors,
            "error_message": error_message,
            "tab": "evidence",
        },
    )


def item_submit(request: HttpRequest, item_id: int) -> HttpResponse:
    item = permissions.access_item_to_change(request.user, item_id)
    if not item.is_editable:
        return _locked(request, item, EvidenceLocked("This item has already been submitted."))
    form = SubmitForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.evidence_item_submit(
                item=item,
                learner=request.user,
                declared=form.cleaned_data["declared"],
                ai_use=form.cleaned_data["ai_use"],
            )
        except EvidenceLocked as error:
            return _locked(request, item, error)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Submitted. Your assessor will review it.")
            return redirect("evidence:item-detail", item.pk)
    return render(
        request,
        "evidence/item_submit.html",
        {
            "form": form,
            "item": selectors.evidence_item_detail(item.pk),
            "portfolio": item.portfolio,
            "tab": "evidence",
        },
    )


def item_delete(request: HttpRequest, item_id: int) -> HttpResponse:
    item = permissions.access_item_to_change(request.user, item_id)
    if not item.is_editable:
        return _locked(request, item, EvidenceLocked("Submitted evidence cannot be deleted."))
    if request.method == "POST":
        try:
            services.evidence_item_delete(item=item, user=request.user)
        except EvidenceLocked as error:
            return _locked(request, item, error)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("evidence:item-detail", item.pk)
        messages.success(request, f"“{item.title}” was deleted.")
        return redirect("evidence:evidence-list", item.portfolio_id)
    return render(
        request,
        "evidence/item_confirm_delete.html",
        {"item": item, "portfolio": item.portfolio, "tab": "evidence"},
    )
