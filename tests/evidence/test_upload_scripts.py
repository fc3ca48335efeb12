"""Web-page code and PDF scripts inside uploads are refused wherever the formats hide them.

The upload check scanned a file's raw bytes for a list of tags. Three files got past it: a PNG
with <script> in a compressed text chunk (zTXt), a PNG with <img onerror> in a text chunk (not
on the list), and a PDF whose /OpenAction runs JavaScript (a PDF name, not a tag). Each is
built here from its parts and uploaded through the real upload view.
"""

import io
import struct
import zlib

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from evidence import file_types
from evidence.models import EvidenceFile

JSON = {"HTTP_ACCEPT": "application/json"}
MARKUP_REFUSED = "contains web page code (HTML or script) as well as a PNG image"
SCRIPT = b"<script>alert(document.cookie)</script>"
ON_ERROR = b'<img src=x onerror="alert(document.cookie)">'


def upload(client, item, name: str, content: bytes):
    return client.post(
        reverse("evidence:file-upload", args=[item.pk]),
        {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")},
        **JSON,
    )


def refusal(response) -> str:
    assert response.status_code == 400, response.content
    return " ".join(response.json()["messages"]).replace("\xa0", " ")


# --- PNG text chunks --------------------------------------------------------------------------


def chunk(chunk_type: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def png_with(*extra_chunks: bytes) -> bytes:
    """A real 8x8 PNG with ``extra_chunks`` inserted just before its IEND chunk."""
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    image = buffer.getvalue()
    iend = image.rindex(b"IEND") - 4
    return image[:iend] + b"".join(extra_chunks) + image[iend:]


def ztxt(keyword: bytes, text: bytes) -> bytes:
    return chunk(b"zTXt", keyword + b"\x00\x00" + zlib.compress(text))


def itxt(keyword: bytes, text: bytes, *, compressed: bool, translated: bytes = b"") -> bytes:
    body = zlib.compress(text) if compressed else text
    flag = b"\x01" if compressed else b"\x00"
    return chunk(b"iTXt", keyword + b"\x00" + flag + b"\x00en-GB\x00" + translated + b"\x00" + body)


def test_a_plain_png_with_ordinary_text_chunks_is_accepted(learner_client, draft):
    image = png_with(
        chunk(b"tEXt", b"Software\x00Screenshot tool 2.1"),
        ztxt(b"Comment", b"Complaints log, week 12 " * 50),
        itxt(b"Description", "Réunion notes: 3 < 5 and on time".encode(), compressed=True),
    )
    response = upload(learner_client, draft, "screenshot.png", image)
    assert response.status_code == 201, response.content
    assert EvidenceFile.objects.count() == 1


@pytest.mark.parametrize(
    "text_chunk",
    [
        ztxt(b"Comment", SCRIPT),
        chunk(b"tEXt", b"Comment\x00" + ON_ERROR),
        itxt(b"Comment", ON_ERROR, compressed=False),
        itxt(b"Comment", ON_ERROR, compressed=True),
        itxt(b"Comment", SCRIPT, compressed=True, translated=b"Kommentar " * 300),
        # The markup far into the text, past the first piece decompressed.
        ztxt(b"Comment", b"x" * 200_000 + b"<svg/onload=alert(1)>"),
    ],
    ids=[
        "zTXt-script",
        "tEXt-img-onerror",
        "iTXt-img-onerror",
        "compressed-iTXt-img-onerror",
        "compressed-iTXt-long-translated-keyword",
        "zTXt-deep",
    ],
)
def test_a_png_with_markup_in_a_text_chunk_is_refused(learner_client, draft, text_chunk):
    response = upload(learner_client, draft, "photo.png", png_with(text_chunk))

    assert f"“photo.png” {MARKUP_REFUSED}" in refusal(response)
    assert not EvidenceFile.objects.exists()


def test_a_zlib_bomb_in_a_text_chunk_is_refused_without_inflating_it(
    learner_client, draft, monkeypatch
):
    # 64 MB of zeros compresses to about 64 KB; inflating it whole would hold 64 MB. The
    # limit is lowered so that the test also proves decompression stops at it.
    monkeypatch.setattr(file_types, "MAX_PNG_TEXT_BYTES", 1024 * 1024)
    bomb = ztxt(b"Comment", bytes(64 * 1024 * 1024))
    assert len(bomb) < 100_000
    inflated = []
    real = zlib.decompressobj

    class Counting:
        def __init__(self):
            self.inner = real()

        def decompress(self, data, max_length=0):
            out = self.inner.decompress(data, max_length)
            inflated.append(len(out))
            return out

        def __getattr__(self, name):
            return getattr(self.inner, name)

    monkeypatch.setattr(file_types.zlib, "decompressobj", Counting)

    response = upload(learner_client, draft, "bomb.png", png_with(bomb))

    assert "more than 1 MB of compressed text inside the image" in refusal(response)
    assert max(inflated) <= 64 * 1024  # never more than one piece at a time
    assert sum(inflated) <= 1024 * 1024 + 64 * 1024
    assert not EvidenceFile.objects.exists()


def test_event_handlers_in_a_text_file_are_refused(learner_client, draft):
    response = upload(learner_client, draft, "notes.txt", b"My notes\n" + ON_ERROR + b"\n")
    assert "“notes.txt” contains web page code" in refusal(response)


def test_angle_brackets_and_on_words_in_ordinary_text_are_accepted(learner_client, draft):
    text = b"Calls answered <5 minutes on average; <b>on time</b> for 3 <4 weeks online=yes\n"
    response = upload(learner_client, draft, "notes.txt", text)
    assert response.status_code == 201, response.content


# --- PDF scripts ------------------------------------------------------------------------------


def pdf_bytes(change=None) -> bytes:
    """A one-page PDF made with pikepdf, changed by ``change(pdf)`` before saving; object
    streams on, so that nothing is visible in the raw bytes."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 100))
    if change:
        change(pdf)
    buffer = io.BytesIO()
    pdf.save(buffer, object_stream_mode=pikepdf.ObjectStreamMode.generate, compress_streams=True)
    return buffer.getvalue()


def javascript(code: str) -> pikepdf.Dictionary:
    return pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(code))


def open_action(pdf):
    pdf.Root.OpenAction = pdf.make_indirect(javascript("app.alert('opened')"))


def document_script(pdf):
    names = pikepdf.Array([pikepdf.String("init"), pdf.make_indirect(javascript("app.alert(1)"))])
    pdf.Root.Names = pikepdf.Dictionary(JavaScript=pikepdf.Dictionary(Names=names))


def page_open_action(pdf):
    pdf.pages[0].obj.AA = pikepdf.Dictionary(O=javascript("app.alert('page')"))


def launch(pdf):
    pdf.Root.OpenAction = pikepdf.Dictionary(
        S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe"), Win=pikepdf.Dictionary()
    )


def link_annotation(pdf):
    action = pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(" JavaScript:alert(1)"))
    annotation = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 50, 50], A=action
    )
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([annotation]))


@pytest.mark.parametrize(
    ("change", "described"),
    [
        (open_action, "JavaScript"),
        (document_script, "JavaScript"),
        (page_open_action, "JavaScript"),
        (launch, "an action that starts another program (/Launch)"),
        (link_annotation, "a javascript: link"),
    ],
    ids=["OpenAction", "JavaScript-name-tree", "page-AA", "Launch", "javascript-link"],
)
def test_a_pdf_that_runs_code_is_refused(learner_client, draft, change, described):
    content = pdf_bytes(change)
    assert b"JavaScript" not in content and b"Launch" not in content  # compressed away

    response = upload(learner_client, draft, "report.pdf", content)

    message = refusal(response)
    assert f"“report.pdf” is a PDF that contains {described}" in message
    assert "Print it to a new PDF" in message
    assert not EvidenceFile.objects.exists()


def test_a_plain_pdf_is_accepted(learner_client, draft):
    response = upload(learner_client, draft, "report.pdf", pdf_bytes())
    assert response.status_code == 201, response.content


def test_a_pdf_that_qpdf_cannot_repair_is_checked_by_its_raw_names(learner_client, draft):
    broken = b"%PDF-1.4\n1 0 obj <</S /J#53 /JS (app.alert(1))>> endobj\n"
    response = upload(learner_client, draft, "broken.pdf", broken)
    assert "is a PDF that contains JavaScript" in refusal(response)


def test_a_password_protected_pdf_is_refused_as_uncheckable(learner_client, draft):
    pdf = pikepdf.new()
    pdf.add_blank_page()
    buffer = io.BytesIO()
    pdf.save(buffer, encryption=pikepdf.Encryption(user="secret", owner="secret"))

    response = upload(learner_client, draft, "locked.pdf", buffer.getvalue())

    assert "“locked.pdf” is protected by a password" in refusal(response)
