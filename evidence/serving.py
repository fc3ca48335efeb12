"""Sending evidence files to the people allowed to see them.

Only after a permission check (evidence.permissions.access_file), never from a public URL.
Images, PDFs, audio and video open in the browser; everything else downloads, saved under a
name ending in its type's extension (file_types.download_name). Every response
forbids content sniffing and carries a Content-Security-Policy that stops anything in the file
from running as a page.
"""

import logging
from typing import BinaryIO

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header

from evidence.file_types import download_name
from evidence.models import EvidenceFile

logger = logging.getLogger(__name__)

INLINE_CATEGORIES = {"image", "audio", "video", "pdf"}
# No scripts, no plugins, no network: the file may show itself and nothing else. Chrome's PDF
# viewer will not run in a sandboxed document, so PDFs go without `sandbox`; a PDF's own
# scripting stays inside the viewer.
_CSP = (
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'"
)


def evidence_file_response(evidence_file: EvidenceFile, *, download: bool = False) -> HttpResponse:
    inline = evidence_file.category in INLINE_CATEGORIES and not download
    stream = None
    if settings.EVIDENCE_FILE_SERVING != "x-accel":
        try:
            stream = evidence_file.file.open("rb")
        except FileNotFoundError:
            logger.error(
                "Evidence file %s (%s) is missing from storage",
                evidence_file.pk,
                evidence_file.file.name,
            )
            raise Http404("The file is missing from storage.") from None
    return protected_file_response(
        stream,
        storage_name=evidence_file.file.name,
        content_type=evidence_file.content_type,
        size=evidence_file.size,
        filename=download_name(evidence_file.original_name, evidence_file.content_type),
        inline=inline,
    )


def protected_file_response(
    stream: BinaryIO | None,
    *,
    storage_name: str,
    content_type: str,
    size: int,
    filename: str,
    inline: bool,
) -> HttpResponse:
    """A file under MEDIA_ROOT, for someone the caller has checked may have it: streamed from
    ``stream`` or, with EVIDENCE_FILE_SERVING=x-accel, by nginx (``stream`` is then closed
    unused and may be None). Used for evidence files and for exported PDFs."""
    if settings.EVIDENCE_FILE_SERVING == "x-accel":
        if stream is not None:
            stream.close()
        # nginx streams the file (with range requests) from an `internal` location.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.EVIDENCE_X_ACCEL_PREFIX + storage_name
    else:
        response = FileResponse(stream, content_type=content_type)
        response["Content-Length"] = size
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=not inline, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    # Chrome's PDF viewer will not open a sandboxed PDF shown in the page.
    shown_pdf = inline and content_type == "application/pdf"
    response["Content-Security-Policy"] = _CSP if shown_pdf else f"{_CSP}; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-cache"
    # In-page previews (the assessor's review page) embed files from this site only.
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response
