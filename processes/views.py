"""Process design pages: the maps of a portfolio, a version's editor and preview, approval,
before/after comparison, BPMN in and out, and adding a version to the portfolio."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from evidence.views import posted
from portfolio_site.accounts.client import client_ip
from processes import bpmn, figures, permissions, selectors, services
from processes.diagram import map_data_for
from processes.forms import (
    ApprovalForm,
    ApprovalRequestForm,
    BpmnImportForm,
    NewVersionForm,
    ProcessMapForm,
    StakeholderDecisionForm,
    VersionEditor,
    add_row,
)
from processes.models import Technique
from processes.render import technique_svg
from processes.services import StaleVersion, VersionLocked

# Techniques whose drawing comes from the lanes, steps and flows.
FLOW_TECHNIQUES = {Technique.SWIMLANE, Technique.VALUE_STREAM}


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def map_list(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = permissions.access_portfolio(request.user, portfolio_id)
    return render(
        request,
        "processes/map_list.html",
        {
            "portfolio": portfolio,
            "maps": selectors.process_maps_for(portfolio),
            "can_change": permissions.can_change_maps(request.user, portfolio),
            "tab": "processes",
        },
    )


def map_create(request: HttpRequest, portfolio_id: int) -> HttpResponse:
    portfolio = permissions.access_portfolio_to_map(request.user, portfolio_id)
    form = ProcessMapForm(posted(request), initial={"creation_token": uuid.uuid4()})
    if request.method == "POST" and form.is_valid():
        try:
            process_map, created = services.process_map_create(
                portfolio=portfolio,
                author=request.user,
                title=form.cleaned_data["title"],
                business_need=form.cleaned_data["business_need"],
                techniques=form.cleaned_data["techniques"],
                creation_token=form.cleaned_data["creation_token"] or uuid.uuid4(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if created:
                messages.success(request, "Map created. Add its lanes and steps below.")
            version = process_map.versions.order_by("number").first()
            return redirect("processes:version", version.pk)
    return render(
        request,
        "processes/map_form.html",
        {"form": form, "portfolio": portfolio, "process_map": None, "tab": "processes"},
    )


def map_edit(request: HttpRequest, map_id: int) -> HttpResponse:
    process_map = permissions.access_map_to_change(request.user, map_id)
    form = ProcessMapForm(posted(request), instance=process_map)
    if request.method == "POST" and form.is_valid():
        try:
            services.process_map_update(
                process_map=process_map,
                editor=request.user,
                title=form.cleaned_data["title"],
                business_need=form.cleaned_data["business_need"],
                techniques=form.cleaned_data["techniques"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Map details saved.")
            return redirect("processes:map", process_map.pk)
    return render(
        request,
        "processes/map_form.html",
        {
            "form": form,
            "portfolio": process_map.portfolio,
            "process_map": process_map,
            "tab": "processes",
        },
    )


def map_detail(request: HttpRequest, map_id: int) -> HttpResponse:
    process_map = permissions.access_map(request.user, map_id)
    versions = selectors.versions_of(process_map)
    before, after = selectors.default_comparison(versions)
    return render(
        request,
        "processes/map_detail.html",
        {
            "process_map": process_map,
            "portfolio": process_map.portfolio,
            "versions": versions,
            "can_change": permissions.can_change_maps(request.user, process_map.portfolio),
            "compare_before": before,
            "compare_after": after,
            "tab": "processes",
        },
    )


# A version: view, edit, preview --------------------------------------------------------


def _preview_technique(request: HttpRequest, version) -> str:
    chosen = request.POST.get("preview") or request.GET.get("preview")
    techniques = version.process_map.techniques
    return chosen if chosen in techniques else (techniques[0] if techniques else "swimlane")


def _editor(version, data=None, **kwargs) -> VersionEditor:
    return VersionEditor(
        data,
        techniques=version.process_map.techniques,
        saved=map_data_for(version) if data is not None else None,
        **kwargs,
    )


def _details_initial(version) -> dict:
    return {
        "revision": version.revision,
        "state": version.state,
        "change_note": version.change_note,
        "effect": version.effect,
    }


def _version_page(request, version, *, editor=None, import_form=None, status=200):
    # A bound editor has just read the saved version; read it once.
    data = editor.saved if editor is not None and editor.is_bound else map_data_for(version)
    can_change = permissions.can_change_maps(request.user, version.process_map.portfolio)
    editable = can_change and version.is_editable
    if editable and editor is None:
        editor = _editor(version, initial=data, details_initial=_details_initial(version))
    preview_data = data
    if editor is not None and editor.is_bound and editor.is_valid():
        preview_data = editor.map_data(title=version.process_map.title)
    technique = _preview_technique(request, version)
    return render(
        request,
        "processes/version.html",
        {
            "version": version,
            "process_map": version.process_map,
            "portfolio": version.process_map.portfolio,
            "data": data,
            "editor": editor if editable else None,
            "can_change": can_change,
            "techniques": version.process_map.techniques,
            "flow_techniques": bool(FLOW_TECHNIQUES & set(version.process_map.techniques)),
            "preview": _preview_context(preview_data, technique, version.process_map.techniques),
            "import_form": import_form or BpmnImportForm(initial={"revision": version.revision}),
            "new_version_form": NewVersionForm(),
            "approvals": list(version.approvals.select_related("recorded_by", "request")),
            "can_record_approval": permissions.can_record_approval(
                request.user, version.process_map.portfolio
            ),
            "evidence_links": list(version.evidence_links.select_related("item")),
            "problems": services.version_problems_blocking_submission(version, data)
            if editable
            else [],
            "tab": "processes",
        },
        status=status,
    )


# The preview's tabs name each technique briefly.
TAB_LABELS = {
    Technique.SWIMLANE: "Swimlane",
    Technique.SIPOC: "SIPOC",
    Technique.VALUE_STREAM: "Value stream",
    Technique.FISHBONE: "Fishbone",
}


def _preview_context(data, technique: str, techniques) -> dict:
    return {
        "tabs": [(value, TAB_LABELS[value]) for value in techniques],
        "svg": technique_svg(data, technique),
        "technique": technique,
        "technique_label": Technique(technique).label,
        "figures": figures.compute_figures(data),
        "kpis": data.kpis,
    }


def version_detail(request: HttpRequest, version_id: int) -> HttpResponse:
    version = permissions.access_version(request.user, version_id)
    if request.method != "POST":
        return _version_page(request, version)

    version = permissions.access_version_to_change(request.user, version_id)
    action = request.POST.get("action", "save")
    if action.startswith("add-"):
        # "Add a row": the page comes back with the typed rows and one more, nothing saved.
        try:
            data = add_row(request.POST, action.removeprefix("add-"))
        except ValidationError:
            raise Http404("Unknown section.") from None
        editor = _editor(version, data)
        if request.htmx:
            return render(
                request,
                "processes/_editor.html",
                {
                    "editor": editor,
                    "version": version,
                    "techniques": version.process_map.techniques,
                    "flow_techniques": bool(FLOW_TECHNIQUES & set(version.process_map.techniques)),
                },
            )
        return _version_page(request, version, editor=editor)

    editor = _editor(version, request.POST)
    if not editor.is_valid():
        messages.error(request, "Nothing was saved: correct the rows marked below.")
        return _version_page(request, version, editor=editor, status=422)
    details = editor.details.cleaned_data
    try:
        services.version_replace_content(
            version=version,
            editor=request.user,
            data=editor.map_data(title=version.process_map.title),
            expected_revision=details["revision"],
            change_note=details["change_note"],
            state=details["state"],
        )
    except StaleVersion as error:
        # Keep what they typed, and let the next save apply over the latest version.
        data = request.POST.copy()
        version.refresh_from_db()
        data["version-revision"] = version.revision
        messages.error(request, _error_text(error))
        return _version_page(request, version, editor=_editor(version, data), status=409)
    except VersionLocked as error:
        messages.error(request, _error_text(error))
        return redirect("processes:version", version.pk)
    except ValidationError as error:
        messages.error(request, f"Nothing was saved: {_error_text(error)}")
        return _version_page(request, version, editor=editor, status=422)
    dropped = editor.dropped_flows()
    if dropped:
        messages.info(
            request,
            f"{dropped} flow{'s' if dropped != 1 else ''} to or from deleted steps "
            f"{'were' if dropped != 1 else 'was'} removed with them.",
        )
    messages.success(request, f"Version {version.number} saved.")
    return redirect("processes:version", version.pk)


@require_POST
def version_preview(request: HttpRequest, version_id: int) -> HttpResponse:
    """The live preview: the posted (unsaved) editor drawn by the same renderer as the PDF."""
    version = permissions.access_version_to_change(request.user, version_id)
    editor = _editor(version, request.POST)
    technique = _preview_technique(request, version)
    if editor.is_valid():
        context = {
            "preview": _preview_context(
                editor.map_data(version.process_map.title),
                technique,
                version.process_map.techniques,
            )
        }
    else:
        context = {
            "preview": _preview_context(editor.saved, technique, version.process_map.techniques),
            "preview_errors": editor.errors_summary()
            or ["Some rows could not be read: save to see which."],
        }
    context["version"] = version
    return render(request, "processes/_preview.html", context)


def version_svg(request: HttpRequest, version_id: int, technique: str) -> HttpResponse:
    version = permissions.access_version(request.user, version_id)
    if technique not in Technique.values:
        raise Http404("No such technique.")
    response = HttpResponse(
        technique_svg(map_data_for(version), technique), content_type="image/svg+xml"
    )
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def version_bpmn(request: HttpRequest, version_id: int) -> HttpResponse:
    version = permissions.access_version(request.user, version_id)
    response = HttpResponse(bpmn.export_bpmn(map_data_for(version)), content_type="application/xml")
    name = f"{version.process_map.title[:80]} v{version.number}.bpmn"
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def version_import(request: HttpRequest, version_id: int) -> HttpResponse:
    version = permissions.access_version_to_change(request.user, version_id)
    form = BpmnImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a BPMN file to import.")
        return _version_page(request, version, import_form=form, status=422)
    upload = form.cleaned_data["file"]
    if upload.size > bpmn.MAX_BPMN_BYTES:
        messages.error(
            request,
            f"This file is {upload.size // 1_000_000} MB; a BPMN file to import may be at most "
            f"{bpmn.MAX_BPMN_BYTES // 1_000_000} MB. Nothing was changed.",
        )
        return _version_page(request, version, import_form=form, status=422)
    try:
        _, report = services.version_import_bpmn(
            version=version,
            editor=request.user,
            raw=upload.read(),
            expected_revision=form.cleaned_data["revision"],
        )
    except bpmn.BpmnImportError as error:
        messages.error(request, f"The file could not be imported: {error} Nothing was changed.")
        return _version_page(request, version, import_form=form, status=422)
    except ValidationError as error:
        messages.error(request, f"{_error_text(error)} Nothing was changed.")
        return redirect("processes:version", version.pk)
    messages.success(request, "The BPMN diagram was imported: lanes, steps and flows replaced.")
    for line in report:
        messages.warning(request, line)
    return redirect("processes:version", version.pk)


# Approval, versions, portfolio ------------------------------------------------------------


@require_POST
def version_submit(request: HttpRequest, version_id: int) -> HttpResponse:
    version = permissions.access_version_to_change(request.user, version_id)
    try:
        services.version_submit(
            version=version,
            user=request.user,
            expected_revision=_int(request.POST.get("revision")),
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request,
            f"Version {version.number} is waiting for approval: record each stakeholder's "
            "decision below when you have it.",
        )
    return redirect("processes:version", version.pk)


@require_POST
def version_withdraw(request: HttpRequest, version_id: int) -> HttpResponse:
    version = permissions.access_version_to_change(request.user, version_id)
    try:
        services.version_withdraw(version=version, user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, f"Version {version.number} is a draft again.")
    return redirect("processes:version", version.pk)


def version_approval(request: HttpRequest, version_id: int) -> HttpResponse:
    """The assessor records a decision the stakeholder gave them in person."""
    version = permissions.access_version_to_record_approval(request.user, version_id)
    form = ApprovalForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            approval = services.version_record_approval(
                version=version, user=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_error(None, error)
            else:
                messages.error(request, _error_text(error))
                return redirect("processes:version", version.pk)
        else:
            messages.success(
                request,
                f"{approval.name}'s decision recorded: {approval.get_decision_display().lower()}.",
            )
            return redirect("processes:version", version.pk)
    return render(
        request,
        "processes/approval_form.html",
        {
            "form": form,
            "version": version,
            "process_map": version.process_map,
            "portfolio": version.process_map.portfolio,
            "tab": "processes",
        },
    )


def version_approval_request(request: HttpRequest, version_id: int) -> HttpResponse:
    """The learner or assessor emails a stakeholder a link to decide on the version."""
    version = permissions.access_version_to_request_approval(request.user, version_id)
    form = ApprovalRequestForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            sent, _ = services.approval_request_send(
                version=version, sender=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_error(None, error)
            else:
                messages.error(request, _error_text(error))
                return redirect("processes:version", version.pk)
        else:
            messages.success(
                request,
                f"A link went to {sent.stakeholder_name} ({sent.sent_to}); it works once and "
                f"expires in {(sent.expires_at - sent.sent_at).days} days. Their decision "
                "appears here when they make it.",
            )
            return redirect("processes:version", version.pk)
    return render(
        request,
        "processes/approval_request_form.html",
        {
            "form": form,
            "version": version,
            "process_map": version.process_map,
            "portfolio": version.process_map.portfolio,
            "tab": "processes",
        },
    )


def _stakeholder_page(request, approval_request, form, *, changed: str = "", status=200):
    version = approval_request.version
    data = map_data_for(version)
    form.initial["content_sha256"] = data.content_sha256()
    return render(
        request,
        "processes/stakeholder_approval.html",
        {
            "form": form,
            "approval_request": approval_request,
            "version": version,
            "process_map": version.process_map,
            "portfolio": version.process_map.portfolio,
            "diagrams": [
                (Technique(technique).label, technique_svg(data, technique))
                for technique in version.process_map.techniques
            ],
            "figures": figures.compute_figures(data),
            "kpis": data.kpis,
            "content_changed": changed,
        },
        status=status,
    )


@login_not_required
@never_cache
def stakeholder_approval(request: HttpRequest, token: str) -> HttpResponse:
    """The stakeholder's page (no account): the version's diagrams and figures, and their
    decision with their typed name; the time and their internet address are recorded."""
    try:
        approval_request = services.approval_request_from_token(token)
    except services.ApprovalLinkInvalid:
        raise Http404("No such link.") from None
    except services.ApprovalLinkClosed as closed:
        return render(
            request, "processes/stakeholder_closed.html", {"message": str(closed)}, status=410
        )
    form = StakeholderDecisionForm(
        posted(request), initial={"typed_name": approval_request.stakeholder_name}
    )
    if request.method == "POST" and form.is_valid():
        try:
            approval = services.approval_decide_by_link(
                request=approval_request,
                typed_name=form.cleaned_data["typed_name"],
                decision=form.cleaned_data["decision"],
                comment=form.cleaned_data["comment"],
                shown_content_sha256=form.cleaned_data["content_sha256"],
                ip_address=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
            )
        except services.ApprovalLinkClosed as closed:
            return render(
                request, "processes/stakeholder_closed.html", {"message": str(closed)}, status=410
            )
        except services.ApprovedContentChanged as error:
            fresh = StakeholderDecisionForm(
                initial={
                    "typed_name": form.cleaned_data["typed_name"],
                    "comment": form.cleaned_data["comment"],
                }
            )
            approval_request.version.refresh_from_db()
            return _stakeholder_page(
                request, approval_request, fresh, changed=error.message, status=409
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return render(
                request,
                "processes/stakeholder_thanks.html",
                {"approval": approval, "version": approval_request.version},
            )
    return _stakeholder_page(request, approval_request, form)


@require_POST
def version_new(request: HttpRequest, version_id: int) -> HttpResponse:
    version = permissions.access_version_to_change(request.user, version_id)
    form = NewVersionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether the new version shows the current or future state.")
        return redirect("processes:version", version.pk)
    try:
        new = services.version_create_from(
            version=version, author=request.user, **form.cleaned_data
        )
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("processes:version", version.pk)
    messages.success(
        request, f"Version {new.number} started as a copy of version {version.number}."
    )
    return redirect("processes:version", new.pk)


@require_POST
def version_add_to_portfolio(request: HttpRequest, version_id: int) -> HttpResponse:
    version = permissions.access_version_to_change(request.user, version_id)
    try:
        item, created = services.version_add_to_portfolio(version=version, user=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return redirect("processes:version", version.pk)
    if created:
        messages.success(
            request,
            "Added to your portfolio as a draft evidence item. Map it to the criteria it "
            "meets, then submit it.",
        )
    else:
        messages.info(request, "This version, as it stands, is already in your portfolio.")
    return redirect("evidence:item-detail", item.pk)


def compare(request: HttpRequest, map_id: int) -> HttpResponse:
    process_map = permissions.access_map(request.user, map_id)
    versions = selectors.versions_of(process_map)
    by_number = {str(v.number): v for v in versions}
    before, after = selectors.default_comparison(versions)
    before = by_number.get(request.GET.get("before", ""), before)
    after = by_number.get(request.GET.get("after", ""), after)
    context = {
        "process_map": process_map,
        "portfolio": process_map.portfolio,
        "versions": versions,
        "before": before,
        "after": after,
        "tab": "processes",
    }
    if before is not None and after is not None:
        before_data, after_data = map_data_for(before), map_data_for(after)
        technique = (
            Technique.SWIMLANE
            if Technique.SWIMLANE in process_map.techniques or not process_map.techniques
            else process_map.techniques[0]
        )
        context.update(
            comparison=figures.compare(before_data, after_data),
            before_svg=technique_svg(before_data, technique),
            after_svg=technique_svg(after_data, technique),
        )
    return render(request, "processes/compare.html", context)


def _int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
