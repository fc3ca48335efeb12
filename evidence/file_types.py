"""Which files a portfolio accepts, judged from their bytes.

The name a learner gives a file and the type their browser claims are both ignored: the type
comes from the file's own signature (the ``filetype`` library, pure Python, no libmagic), plain
text is recognised by decoding it, and a file that carries web-page code anywhere in it (HTML
appended to a PNG, a script inside a "text" file) is refused, because a browser could be
talked into running it.
"""

import codecs
import re
import struct
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype


class RejectedFile(Exception):
    """The file cannot be stored. ``str(error)`` is a message for the person uploading it."""


@dataclass(frozen=True)
class AcceptedType:
    content_type: str
    extension: str
    label: str


_OFFICE = "application/vnd.openxmlformats-officedocument"
ACCEPTED_TYPES = {
    accepted.content_type: accepted
    for accepted in [
        AcceptedType("application/pdf", "pdf", "PDF"),
        AcceptedType("application/msword", "doc", "Word document"),
        AcceptedType(f"{_OFFICE}.wordprocessingml.document", "docx", "Word document"),
        AcceptedType("application/vnd.ms-excel", "xls", "Excel workbook"),
        AcceptedType(f"{_OFFICE}.spreadsheetml.sheet", "xlsx", "Excel workbook"),
        AcceptedType("application/vnd.ms-powerpoint", "ppt", "PowerPoint presentation"),
        AcceptedType(f"{_OFFICE}.presentationml.presentation", "pptx", "PowerPoint presentation"),
        AcceptedType("application/vnd.oasis.opendocument.text", "odt", "OpenDocument text"),
        AcceptedType(
            "application/vnd.oasis.opendocument.spreadsheet", "ods", "OpenDocument spreadsheet"
        ),
        AcceptedType(
            "application/vnd.oasis.opendocument.presentation", "odp", "OpenDocument presentation"
        ),
        AcceptedType("text/plain", "txt", "plain text"),
        AcceptedType("image/jpeg", "jpg", "JPEG image"),
        AcceptedType("image/png", "png", "PNG image"),
        AcceptedType("image/apng", "png", "PNG image"),  # an animated PNG
        AcceptedType("image/heic", "heic", "HEIC photo"),
        AcceptedType("image/webp", "webp", "WebP image"),
        AcceptedType("audio/mpeg", "mp3", "MP3 audio"),
        AcceptedType("audio/mp4", "m4a", "M4A audio"),
        AcceptedType("audio/x-wav", "wav", "WAV audio"),
        AcceptedType("video/mp4", "mp4", "MP4 video"),
        AcceptedType("video/quicktime", "mov", "MOV video"),
        AcceptedType("video/webm", "webm", "WebM video"),
    ]
}

ACCEPTED_SUMMARY = (
    "PDF, Word, Excel, PowerPoint, OpenDocument, plain text, JPEG, PNG, HEIC, WebP, "
    "MP3, M4A, WAV, MP4, MOV or WebM"
)
# What the file picker offers; the server decides from the bytes regardless.
ACCEPT_ATTRIBUTE = (
    ".pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods,.odp,.txt,.jpg,.jpeg,.png,.heic,.webp,"
    ".mp3,.m4a,.wav,.mp4,.mov,.webm"
)

# The first bytes of anything a browser would render as a page or run as a script, and the
# places inside a file where such code hides. Searched case-insensitively through the file:
# in each chunk with its ASCII letters lowered (bytes.lower(), what re.IGNORECASE means for
# bytes), a tag pattern that starts with "<" and a plain find for "javascript:". One
# case-insensitive pattern of both ran at about 70 MB/s and was most of a large upload's time;
# these two run at about 900 MB/s (docs/benchmarks.md).
# A tag name ends at whitespace, ">" or "/" ("<svg/onload=...>"). Whitespace runs are bounded
# so that no match is longer than _SCAN_OVERLAP.
_MARKUP_TAG = re.compile(
    rb"<\s{0,8}(?:!doctype\s{1,8}html|(?:html|script|svg|iframe|object|embed|body|head|meta)"
    rb"[\s>/])"
)
_SCRIPT_URL = b"javascript:"
_SCAN_CHUNK = 1024 * 1024
_SCAN_OVERLAP = 64  # longer than any markup match, so none is split between two reads
# filetype recognises these from two or three bytes ("BM", "MZ", "ID3"), which ordinary text
# can start with ("BMI readings ..."). A file that reads cleanly as text is text.
_WEAK_SIGNATURES = {"image/bmp", "application/x-msdownload", "audio/mpeg"}
_HEAD_BYTES = 8192
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Unicode categories a file name may not contain: control characters (C0 and C1), format
# characters (bidirectional overrides that make "invoice\u202efdp.exe" show as
# "invoiceexe.pdf", zero-width characters, U+061C), line and paragraph separators, surrogates.
_HIDDEN_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Cs"}
MAX_NAME_LENGTH = 200


def check_file_name(name: str) -> str:
    """The name as given, if it is fit to show; otherwise RejectedFile saying why."""
    if not name or not name.strip():
        raise RejectedFile("The file has no name. Rename it and upload it again.")
    if not name.strip(". "):
        # "." and ".." mean folders; Django's parser drops such a file without a word.
        raise RejectedFile(
            f"The file name “{name.strip()}” is only dots, which is not a file name. "
            "Rename the file and upload it again."
        )
    if "/" in name or "\\" in name:
        raise RejectedFile(
            f"The file name “{_printable(name)}” contains a folder separator (/ or \\). "
            "Rename the file and upload it again."
        )
    if any(_is_control(character) for character in name):
        raise RejectedFile(
            f"The file name “{_printable(name)}” contains hidden control characters. "
            "Rename the file and upload it again."
        )
    if len(name) > MAX_NAME_LENGTH:
        raise RejectedFile(
            f"The file name is {len(name)} characters long; the limit is {MAX_NAME_LENGTH}. "
            "Shorten it and upload the file again."
        )
    return name.strip()


# Other extensions a type's files go by. A download whose name ends otherwise gets the type's own
# extension added. Text is kept to names that open in a text editor: "hours.csv" would open in
# a spreadsheet, which runs formulas.
_EXTENSION_ALIASES = {
    "jpg": {"jpeg", "jpe", "jfif"},
    "heic": {"heif"},
    "mov": {"qt"},
    "mp4": {"m4v"},
    "m4a": {"mp4"},
    "wav": {"wave"},
    "txt": {"text", "log", "md"},
}


def download_name(name: str, content_type: str) -> str:
    """The name to save a stored upload under: ``name``, ending in an extension of the type its
    bytes were found to be. Text called "timesheet.bat" saves as "timesheet.bat.txt", so that
    a double-click opens it in an editor instead of running it; "report.pdf.exe" holding a PDF
    saves as "report.pdf.exe.pdf". Types we do not accept from uploads (files the system made
    itself) keep their name."""
    accepted = ACCEPTED_TYPES.get(content_type)
    if accepted is None:
        return name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension == accepted.extension or extension in _EXTENSION_ALIASES.get(
        accepted.extension, ()
    ):
        return name
    return f"{name}.{accepted.extension}"


def check_file_content(path: Path, *, name: str) -> AcceptedType:
    """The accepted type of the file at ``path``, or RejectedFile saying why not."""
    size = path.stat().st_size
    if size == 0:
        raise RejectedFile(f"“{name}” is empty (0 bytes). Check the file and upload it again.")

    with path.open("rb") as stream:
        head = stream.read(_HEAD_BYTES)
    kind = filetype.guess(head)
    if kind is None or (kind.mime in _WEAK_SIGNATURES and _reads_as_text(path)):
        accepted = _plain_text(path, name=name)
    else:
        accepted = ACCEPTED_TYPES.get(kind.mime)
        if accepted is None:
            raise RejectedFile(
                f"“{name}” is {_describe(kind)}, which a portfolio cannot accept. "
                f"Upload {ACCEPTED_SUMMARY} files."
            )
    if _contains_markup(path):
        raise RejectedFile(
            f"“{name}” contains web page code (HTML or script) as well as "
            f"{_article(accepted.label)}, so it cannot be stored safely. Save or export it "
            "again from the program that made it, and upload that copy."
        )
    if accepted.extension == "png" and not _png_ends_cleanly(path):
        raise RejectedFile(
            f"“{name}” has extra data hidden after the end of the image. Save the image "
            "again (for example as a new PNG or JPEG) and upload that copy."
        )
    return accepted


def _plain_text(path: Path, *, name: str) -> AcceptedType:
    problem = _text_problem(path)
    if problem == "encoding":
        raise RejectedFile(
            f"“{name}” is not a type of file we recognise, or is text in an encoding other "
            f"than UTF-8. Upload {ACCEPTED_SUMMARY} files."
        )
    if problem:
        raise RejectedFile(
            f"“{name}” is not a type of file we recognise. Upload {ACCEPTED_SUMMARY} files."
        )
    return ACCEPTED_TYPES["text/plain"]


def _reads_as_text(path: Path) -> bool:
    return _text_problem(path) is None


def _text_problem(path: Path) -> str | None:
    """None if the file is clean UTF-8 text; else "binary" or "encoding". Reads in chunks, so
    a large file is never held in memory whole."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as stream:
        while True:
            chunk = stream.read(_SCAN_CHUNK)
            if b"\x00" in chunk:
                return "binary"
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                return "encoding"
            if _CONTROL_CHARACTERS.search(text):
                return "binary"
            if not chunk:
                return None


def _contains_markup(path: Path) -> bool:
    previous_tail = b""
    with path.open("rb") as stream:
        while chunk := stream.read(_SCAN_CHUNK):
            lowered = (previous_tail + chunk).lower()
            if _SCRIPT_URL in lowered or _MARKUP_TAG.search(lowered):
                return True
            previous_tail = chunk[-_SCAN_OVERLAP:]
    return False


def _png_ends_cleanly(path: Path) -> bool:
    """Walks the PNG's chunks: the file must end exactly where its first IEND chunk does.
    Anything after it (a ZIP, a page, even a second IEND) is a polyglot's payload."""
    size = path.stat().st_size
    with path.open("rb") as stream:
        stream.seek(8)  # the signature
        while True:
            header = stream.read(8)
            if len(header) < 8:
                return False  # truncated: no IEND
            length, chunk_type = struct.unpack(">I4s", header)
            end_of_chunk = stream.tell() + length + 4  # data, then CRC
            if end_of_chunk > size:
                return False
            if chunk_type == b"IEND":
                return end_of_chunk == size
            stream.seek(end_of_chunk)


def _is_control(character: str) -> bool:
    return unicodedata.category(character) in _HIDDEN_CATEGORIES


def _printable(name: str) -> str:
    shown = "".join("?" if _is_control(character) else character for character in name)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _describe(kind) -> str:
    if kind.mime in ("application/x-msdownload", "application/x-executable"):
        return "a program (executable)"
    return f"a .{kind.extension} file ({kind.mime})"


def _article(label: str) -> str:
    return f"an {label}" if label[0].lower() in "aeiou" else f"a {label}"
