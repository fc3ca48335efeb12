"""Evidence files: upload (one or more per request), download, delete."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_POST

from evidence import permissions, selectors, services
from evidence.file_types import RejectedFile, check_file_name
from evidence.services import EvidenceLocked
from evidence.serving import evidence_display_response, evidence_file_response


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


@require_POST
def file_upload(request: HttpRequest, item_id: int) -> HttpResponse:
    item = permissions.access_item_to_change(request.user, item_id)
    # Reading FILES parses the body; the upload handler and parser note problems as they go.
    uploads = request.FILES.getlist("file")
    results: list[tuple[bool, str]] = []
    limit = filesizeformat(settings.EVIDENCE_MAX_FILE_BYTES)
    for name in getattr(request, "uploads_too_large", []):
        results.append(
            (False, f"“{name}” is larger than {limit}, the limit per file. It was not stored.")
        )
    altered = getattr(request, "altered_upload_names", {})
    if None in altered:  # a name Django's parser dropped the file for ("..", "a/")
        try:
            check_file_name(altered[None])
        except RejectedFile as error:
            results.append((False, str(error)))
    for uploaded in uploads:
        try:
            evidence_file = services.evidence_file_add(
                item=item,
                uploaded=uploaded,
                uploader=request.user,
                name_as_sent=altered.get(uploaded.name),
            )
        except (RejectedFile, EvidenceLocked) as error:
            results.append(
                (False, str(error) if isinstance(error, RejectedFile) else error.message)
            )
        except ValidationError as error:
            results.append((False, " ".join(error.messages)))
        else:
            results.append((True, f"“{evidence_file.original_name}” added."))
    if not results:
        results.append((False, "No file arrived. Choose a file and try again."))

    ok = all(success for success, _ in results)
    if _wants_json(request):
        item = selectors.evidence_item_detail(item.pk)
        files_html = render_to_string(
            "evidence/_file_list.html",
            {"item": item, "can_change": permissions.can_change_item(request.user, item)},
            request=request,
        )
        return JsonResponse(
            {"ok": ok, "messages": [message for _, message in results], "files_html": files_html},
            status=201 if ok else 400,
        )
    for success, message in results:
        (messages.success if success else messages.error)(request, message)
    return redirect("evidence:item-detail", item.pk)


@require_GET
def file_download(request: HttpRequest, file_id: int) -> HttpResponse:
    evidence_file = permissions.access_file(request.user, file_id)
    if "display" in request.GET:
        return evidence_display_response(request, evidence_file)
    return evidence_file_response(request, evidence_file, download="download" in request.GET)


@require_POST
def file_delete(request: HttpRequest, file_id: int) -> HttpResponse:
    evidence_file = permissions.access_file(request.user, file_id)
    item = evidence_file.item
    if item.created_by_id != request.user.pk:
        raise PermissionDenied("Only the item's author removes its files.")
    try:
        services.evidence_file_delete(evidence_file=evidence_file, user=request.user)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(request, f"“{evidence_file.original_name}” was removed.")
    return redirect("evidence:item-detail", item.pk)
