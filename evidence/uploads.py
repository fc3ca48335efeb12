"""How upload bodies are received: size-checked before reading, streamed to disk, hashed.

Django's multipart parser quietly strips folder separators and unprintable characters from
upload names. We would rather refuse such a file with a clear message, so the middleware below
swaps in a parser that records the names as they were sent.
"""

import hashlib
import html
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import TemporaryUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.files.utils import validate_file_name
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParser
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string

# Room for the multipart framing and the form's other fields around one file.
_FORM_OVERHEAD_BYTES = 256 * 1024


def incoming_folder() -> Path:
    folder = Path(settings.MEDIA_ROOT) / ".incoming"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


class IncomingFile(TemporaryUploadedFile):
    """A temporary upload under MEDIA_ROOT/.incoming, named without any user input."""

    def __init__(self, name, content_type, size, charset, content_type_extra=None):
        file = tempfile.NamedTemporaryFile(suffix=".upload", dir=incoming_folder())  # noqa: SIM115
        UploadedFile.__init__(self, file, name, content_type, size, charset, content_type_extra)

    def _set_name(self, name: str | None) -> None:
        # Django cuts names to 255 characters; keep the whole name, so that a long one is
        # refused by its real length. It only ever names the file on screen, never on disk.
        self._name = None if name is None else validate_file_name(os.path.basename(name))

    name = property(UploadedFile._get_name, _set_name)


class HashingFileUploadHandler(FileUploadHandler):
    """Streams each file to disk, computing its SHA-256 on the way, and drops a file as soon as
    it passes EVIDENCE_MAX_FILE_BYTES (noting it on the request for the view to report)."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.file = IncomingFile(
            self.file_name, self.content_type, 0, self.charset, self.content_type_extra
        )
        self.sha256 = hashlib.sha256()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        if self.received > settings.EVIDENCE_MAX_FILE_BYTES:
            self.file.close()  # deletes the partial temporary file
            too_large = getattr(self.request, "uploads_too_large", [])
            self.request.uploads_too_large = [*too_large, self.file_name]
            raise SkipFile()
        self.sha256.update(raw_data)
        self.file.write(raw_data)

    def file_complete(self, file_size: int) -> UploadedFile:
        self.file.seek(0)
        self.file.size = file_size
        self.file.sha256 = self.sha256.hexdigest()
        return self.file


class NameRecordingMultiPartParser(MultiPartParser):
    """Records, on the request, every upload name that Django's sanitising changed."""

    def __init__(self, *args, request: HttpRequest, **kwargs):
        super().__init__(*args, **kwargs)
        self._request = request

    def sanitize_file_name(self, file_name: str) -> str | None:
        cleaned = super().sanitize_file_name(file_name)
        as_sent = html.unescape(file_name)
        if cleaned != as_sent:
            self._request.altered_upload_names[cleaned] = as_sent
        return cleaned


def largest_request_bytes() -> int:
    return settings.EVIDENCE_MAX_FILE_BYTES + _FORM_OVERHEAD_BYTES


class UploadGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > largest_request_bytes():
            return self._too_large(request, length)

        request.altered_upload_names = {}

        def parse_file_upload(meta, data):
            parser = NameRecordingMultiPartParser(
                meta, data, request.upload_handlers, request.encoding, request=request
            )
            return parser.parse()

        # Only this request's parser changes; see the module docstring for why.
        request.parse_file_upload = parse_file_upload
        return self.get_response(request)

    def _too_large(self, request: HttpRequest, length: int) -> HttpResponse:
        # The body is never read: the client learns why before sending the rest of it.
        limit = filesizeformat(settings.EVIDENCE_MAX_FILE_BYTES)
        message = (
            f"That upload is {filesizeformat(length)}; the limit is {limit} per file. "
            "Nothing was stored. Make the file smaller (for a video, a lower resolution or a "
            "shorter clip) and try again."
        )
        if request.headers.get("Accept", "").startswith("application/json"):
            response = JsonResponse({"ok": False, "message": message}, status=413)
        else:
            response = HttpResponse(render_to_string("413.html", {"message": message}), status=413)
        # The unread body would otherwise be taken for the next request on this connection.
        # wsgiref, which Django's development server (`make run`) is built on, refuses any
        # hop-by-hop header from the application with an AssertionError, so the learner would
        # get a 500 instead; that server reads and discards an unread body itself.
        if not _server_is_wsgiref(request):
            response["Connection"] = "close"
        return response


def _server_is_wsgiref(request: HttpRequest) -> bool:
    # wsgiref.simple_server.ServerHandler names itself "WSGIServer/0.2 CPython/3.x".
    return request.META.get("SERVER_SOFTWARE", "").startswith("WSGIServer/")
