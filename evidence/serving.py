"""Sending evidence files to the people allowed to see them.

Only after a permission check (evidence.permissions.access_file), never from a public URL.
Images, PDFs, audio and video open in the browser; everything else downloads, saved under a
name ending in its type's extension (file_types.download_name). Every response
forbids content sniffing and carries a Content-Security-Policy that stops anything in the file
from running as a page.

Single byte ranges are answered (206), as nginx does with x-accel: Safari on an iPhone or iPad
plays video and audio only through range requests, and every browser needs them to seek.
"""

import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from evidence import photos
from evidence.file_types import download_name
from evidence.models import EvidenceFile
from evidence.services import fixity

logger = logging.getLogger(__name__)

INLINE_CATEGORIES = {"image", "audio", "video", "pdf"}
# No scripts, no plugins, no network: the file may show itself and nothing else, in a sandbox
# (a unique origin: nothing in it reaches this site's cookies or pages). PDFs too: Chromium's
# viewer shows a PDF served with `sandbox` (tests/browser/test_pdf_preview.py), and PDFs with
# JavaScript are refused at upload (file_types). The <iframe> that previews one has no sandbox
# attribute: Chromium shows an error page instead of a PDF in a frame sandboxed that way.
_CSP = (
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'"
)


def evidence_file_response(
    request: HttpRequest, evidence_file: EvidenceFile, *, download: bool = False
) -> HttpResponse:
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
            fixity.file_verify(evidence_file=evidence_file, during="a download")
            raise Http404("The file is missing from storage.") from None
        size = os.fstat(stream.fileno()).st_size
        if size != evidence_file.size:
            # Not the bytes that were uploaded (a shorter file would leave a client waiting for
            # the recorded length): the fixity check marks it damaged, and the length sent is
            # what is actually there.
            fixity.file_verify(evidence_file=evidence_file, during="a download")
    else:
        size = evidence_file.size
    return protected_file_response(
        request,
        stream,
        storage_name=evidence_file.file.name,
        content_type=evidence_file.content_type,
        size=size,
        filename=download_name(evidence_file.original_name, evidence_file.content_type),
        inline=inline,
    )


def evidence_display_response(request: HttpRequest, evidence_file: EvidenceFile) -> HttpResponse:
    """The JPEG display copy of a photo browsers cannot draw (HEIC; see evidence.photos), shown
    in the page in its place. The original is still what ``evidence_file_response`` sends."""
    if not photos.needs_display_copy(evidence_file.content_type):
        raise Http404("This file is shown as it is.")
    try:
        path = photos.display_copy(
            file_id=evidence_file.pk,
            sha256=evidence_file.sha256,
            original=Path(evidence_file.file.path),
        )
    except photos.NoDisplayCopy:
        raise Http404("This photo cannot be shown here; download the original.") from None
    stream = path.open("rb") if settings.EVIDENCE_FILE_SERVING != "x-accel" else None
    return protected_file_response(
        request,
        stream,
        storage_name=photos.display_copy_name(evidence_file.pk, evidence_file.sha256),
        content_type="image/jpeg",
        size=path.stat().st_size,
        filename=f"{Path(evidence_file.original_name).stem or 'photo'}.jpg",
        inline=True,
    )


def protected_file_response(
    request: HttpRequest,
    stream: BinaryIO | None,
    *,
    storage_name: str,
    content_type: str,
    size: int,
    filename: str,
    inline: bool,
) -> HttpResponse:
    """A file under MEDIA_ROOT, for someone the caller has checked may have it: streamed from
    ``stream`` (the whole file, or the one byte range ``request`` asks for) or, with
    EVIDENCE_FILE_SERVING=x-accel, by nginx (``stream`` is then closed unused and may be None).
    Used for evidence files and for exported PDFs."""
    if settings.EVIDENCE_FILE_SERVING == "x-accel":
        if stream is not None:
            stream.close()
        # nginx streams the file (with range requests) from an `internal` location.
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.EVIDENCE_X_ACCEL_PREFIX + storage_name
    else:
        response = _streamed(request, stream, content_type=content_type, size=size)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=not inline, filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = f"{_CSP}; sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-cache"
    # In-page previews (the assessor's review page) embed files from this site only.
    response["X-Frame-Options"] = "SAMEORIGIN"
    return response


# --- Byte ranges (RFC 9110, section 14) -----------------------------------------------------

_SINGLE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_CHUNK = 64 * 1024


class RangeNotSatisfiable(Exception):
    """The range starts at or past the end of the file."""


def requested_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The one byte range asked for, as (first, last) with ``last`` included; or None for the
    whole file: no header, one that does not parse, or several ranges (a server may answer any
    of these with the whole file). Raises RangeNotSatisfiable for a range past the end."""
    match = _SINGLE_RANGE.fullmatch((header or "").strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # "bytes=-N": the last N bytes
        if int(last) == 0:
            raise RangeNotSatisfiable
        return max(0, size - int(last)), size - 1
    if last and int(last) < int(first):
        return None
    if int(first) >= size:
        raise RangeNotSatisfiable
    return int(first), min(int(last), size - 1) if last else size - 1


class _FileSlice:
    """Bytes ``first`` to ``first + length - 1`` of ``stream``, read in chunks; closing it
    closes the file, even if it was never read (a HEAD request)."""

    def __init__(self, stream: BinaryIO, first: int, length: int):
        self.stream, self.first, self.length = stream, first, length

    def __iter__(self) -> Iterator[bytes]:
        self.stream.seek(self.first)
        remaining = self.length
        while remaining > 0:
            chunk = self.stream.read(min(_CHUNK, remaining))
            if not chunk:
                return
            remaining -= len(chunk)
            yield chunk

    def close(self) -> None:
        self.stream.close()


def _streamed(
    request: HttpRequest, stream: BinaryIO, *, content_type: str, size: int
) -> HttpResponse:
    # A file's bytes never change under its name (new bytes get a new file), so any If-Range
    # would match; but we send no validator to compare it with, and RFC 9110 says to send
    # the whole file then.
    header = None if "If-Range" in request.headers else request.headers.get("Range")
    try:
        byte_range = requested_range(header, size)
    except RangeNotSatisfiable:
        stream.close()
        response = HttpResponse(status=416, content_type="text/plain; charset=utf-8")
        response["Content-Range"] = f"bytes */{size}"
    else:
        if byte_range is None:
            response = FileResponse(stream, content_type=content_type)
            response["Content-Length"] = size
        else:
            first, last = byte_range
            length = last - first + 1
            response = StreamingHttpResponse(
                _FileSlice(stream, first, length), status=206, content_type=content_type
            )
            response["Content-Range"] = f"bytes {first}-{last}/{size}"
            response["Content-Length"] = length
    response["Accept-Ranges"] = "bytes"
    return response
