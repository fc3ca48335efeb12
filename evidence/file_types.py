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
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import filetype
import pikepdf


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
# An event-handler attribute in any tag ("<img src=x onerror=...>", "<img/onerror=...>",
# "<details open ontoggle=...>"): the way script runs without a <script> tag.
_EVENT_HANDLER = re.compile(
    rb"<[a-z][a-z0-9:-]{0,30}(?:[\s/][^<>]{0,256}?)?[\s/\"']on[a-z]{3,30}\s{0,8}="
)
_SCAN_CHUNK = 1024 * 1024
_SCAN_OVERLAP = 512  # longer than any markup match, so none is split between two reads
# PNG text chunks: tEXt is stored as it is (and found by the scan of the file's bytes); zTXt
# and iTXt may be zlib-compressed, so they are decompressed and scanned too, at most this much
# of each: a few kilobytes of "zlib bomb" would otherwise inflate to gigabytes in memory.
_PNG_TEXT_CHUNKS = {b"tEXt", b"zTXt", b"iTXt"}
MAX_PNG_TEXT_BYTES = 8 * 1024 * 1024
_INFLATE_PIECE = 64 * 1024
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
    markup_refused = RejectedFile(
        f"“{name}” contains web page code (HTML or script) as well as "
        f"{_article(accepted.label)}, so it cannot be stored safely. Save or export it "
        "again from the program that made it, and upload that copy."
    )
    if _contains_markup(path):
        raise markup_refused
    if accepted.extension == "png":
        if not _png_ends_cleanly(path):
            raise RejectedFile(
                f"“{name}” has extra data hidden after the end of the image. Save the image "
                "again (for example as a new PNG or JPEG) and upload that copy."
            )
        if _png_text_contains_markup(path, name=name):
            raise markup_refused
    if accepted.extension == "pdf":
        _check_pdf_actions(path, name=name)
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
    with path.open("rb") as stream:
        return _pieces_contain_markup(iter(lambda: stream.read(_SCAN_CHUNK), b""))


def _pieces_contain_markup(pieces: Iterable[bytes]) -> bool:
    """Whether the bytes, read in pieces, hold markup anywhere, across piece boundaries too."""
    previous_tail = b""
    for piece in pieces:
        lowered = (previous_tail + piece).lower()
        if _SCRIPT_URL in lowered or _MARKUP_TAG.search(lowered) or _EVENT_HANDLER.search(lowered):
            return True
        previous_tail = lowered[-_SCAN_OVERLAP:]
    return False


def _png_text_contains_markup(path: Path, *, name: str) -> bool:
    """Whether a tEXt, zTXt or iTXt chunk holds markup once decompressed. Precondition: the
    PNG's chunks end cleanly (_png_ends_cleanly)."""
    with path.open("rb") as stream:
        stream.seek(8)
        while True:
            length, chunk_type = struct.unpack(">I4s", stream.read(8))
            if chunk_type == b"IEND":
                return False
            end_of_chunk = stream.tell() + length + 4
            if chunk_type in _PNG_TEXT_CHUNKS and _pieces_contain_markup(
                _png_text(stream, chunk_type, length, name=name)
            ):
                return True
            stream.seek(end_of_chunk)


def _png_text(stream, chunk_type: bytes, length: int, *, name: str) -> Iterator[bytes]:
    """The text of one text chunk, in pieces, decompressed if it is compressed. The stream
    is at the chunk's data; ``length`` bytes of it are the chunk's."""
    remaining = length

    def read(size: int) -> bytes:
        nonlocal remaining
        piece = stream.read(min(remaining, size))
        remaining -= len(piece)
        return piece

    # The header: a keyword, and for iTXt flags, a language tag and a translated keyword
    # (UTF-8, of any length), so it is read until it parses or the chunk ends.
    head = read(1024)
    while (header := _png_text_header(chunk_type, head)) is None and remaining > 0:
        if len(head) > MAX_PNG_TEXT_BYTES:
            raise RejectedFile(_png_text_too_large(name))
        head += read(_INFLATE_PIECE)
    # A header that does not parse is scanned as it stands, as a viewer cannot show it.
    text_start, compressed = header or (0, False)
    yield head[:text_start]  # the keywords are text a viewer may show, too

    def raw_pieces() -> Iterator[bytes]:
        yield head[text_start:]
        while piece := read(_INFLATE_PIECE):
            yield piece

    if not compressed:
        yield from raw_pieces()
        return
    inflater = zlib.decompressobj()
    inflated = 0
    try:
        for piece in raw_pieces():
            data = piece
            # max_length bounds each step's output, so memory stays at one piece however
            # far the data would inflate.
            while data and not inflater.eof:
                out = inflater.decompress(data, _INFLATE_PIECE)
                inflated += len(out)
                if inflated > MAX_PNG_TEXT_BYTES:
                    raise RejectedFile(_png_text_too_large(name))
                yield out
                data = inflater.unconsumed_tail
            if inflater.eof:
                return
    except zlib.error:
        # Text that does not decompress is not shown by any viewer, so it runs nothing.
        return


def _png_text_header(chunk_type: bytes, head: bytes) -> tuple[int, bool] | None:
    """(where the text starts, whether it is compressed), or None if ``head`` does not yet
    hold the whole header."""
    keyword_end = head.find(b"\x00")
    if chunk_type == b"tEXt":
        return 0, False  # all of it is shown (keyword and text): scan it all
    if keyword_end < 0:
        return None
    if chunk_type == b"zTXt":
        return (keyword_end + 2, True) if len(head) >= keyword_end + 2 else None
    # iTXt: keyword NUL, compression flag, compression method, language NUL, translated NUL.
    language_end = head.find(b"\x00", keyword_end + 3)
    translated_end = head.find(b"\x00", language_end + 1) if language_end >= 0 else -1
    if translated_end < 0:
        return None
    return translated_end + 1, head[keyword_end + 1 : keyword_end + 2] == b"\x01"


def _png_text_too_large(name: str) -> str:
    limit = MAX_PNG_TEXT_BYTES // (1024 * 1024)
    return (
        f"“{name}” carries more than {limit} MB of compressed text inside the image, far more "
        "than any photo or screenshot needs, so it was refused. Save the image again (for "
        "example as a new PNG or JPEG) and upload that copy."
    )


# What makes a PDF viewer run code: JavaScript (a /JS entry, the /JavaScript name tree of
# document-level scripts, a /JavaScript action: on opening the file (/OpenAction), on a page,
# field or annotation event (/AA), or on a click (/A)), an action that starts another program
# (/Launch), and a link whose address is a javascript: URL.
_PDF_SCRIPT_KEYS = {"/JS": "JavaScript", "/JavaScript": "JavaScript"}
_PDF_SCRIPT_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "an action that starts another program (/Launch)",
}
# For a file qpdf cannot read at all: the same names found in its raw bytes, with any "#xx"
# escapes in a name ("/J#53" is "/JS") undone.
_PDF_RAW_NAME = re.compile(rb"/(?:J|#4[aA])(?:S|#53|avaScript)\b|/Launch\b")


def _check_pdf_actions(path: Path, *, name: str) -> None:
    """RejectedFile if the PDF carries JavaScript or a launch action anywhere in it."""
    try:
        with pikepdf.open(path) as pdf:
            found = _pdf_scripts(pdf)
    except pikepdf.PasswordError:
        raise RejectedFile(
            f"“{name}” is protected by a password, so we cannot check it for scripts before "
            "an assessor opens it. Save a copy without the password and upload that copy."
        ) from None
    except pikepdf.PdfError:
        # Damaged beyond qpdf's repair: the raw bytes are all there is to go on.
        found = _pdf_raw_scripts(path)
    if found:
        raise RejectedFile(
            f"“{name}” is a PDF that contains {' and '.join(sorted(found))}, which a PDF "
            "viewer could run when an assessor opens it, so it cannot be stored. Print it to a "
            "new PDF (“Save as PDF” or “Microsoft Print to PDF”) and upload that copy."
        )


def _pdf_scripts(pdf: pikepdf.Pdf) -> set[str]:
    """What runs code in ``pdf``, described; every object is looked at, reachable or not."""
    found: set[str] = set()
    for indirect in pdf.objects:
        pending = [indirect]
        while pending:
            current = pending.pop()
            if isinstance(current, pikepdf.Stream):
                current = current.stream_dict
            if isinstance(current, pikepdf.Array):
                children = list(current)
            elif isinstance(current, pikepdf.Dictionary):
                for key in current.keys():  # noqa: SIM118 - a pikepdf Dictionary
                    if key in _PDF_SCRIPT_KEYS:
                        found.add(_PDF_SCRIPT_KEYS[key])
                action = current.get("/S")
                if isinstance(action, pikepdf.Name) and str(action) in _PDF_SCRIPT_ACTIONS:
                    found.add(_PDF_SCRIPT_ACTIONS[str(action)])
                if _is_script_address(current.get("/URI")):
                    found.add("a javascript: link")
                children = list(current.values())
            else:
                continue
            # Indirect objects are each looked at once, from pdf.objects.
            pending.extend(
                child
                for child in children
                if isinstance(child, pikepdf.Array | pikepdf.Dictionary) and not child.is_indirect
            )
    return found


def _is_script_address(address) -> bool:
    if not isinstance(address, pikepdf.String):
        return False
    return bytes(address).strip().lower().startswith(_SCRIPT_URL)


def _pdf_raw_scripts(path: Path) -> set[str]:
    found = set()
    previous_tail = b""
    with path.open("rb") as stream:
        while chunk := stream.read(_SCAN_CHUNK):
            for match in _PDF_RAW_NAME.finditer(previous_tail + chunk):
                launch = match.group().startswith(b"/L")
                found.add(_PDF_SCRIPT_ACTIONS["/Launch"] if launch else "JavaScript")
            previous_tail = chunk[-_SCAN_OVERLAP:]
    return found


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
