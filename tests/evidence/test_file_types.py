"""Which files a portfolio accepts (evidence/file_types.py), judged from bytes the tests make.

The samples come from tests/evidence/samples.py; nothing here needs the database.
"""

import io
import zipfile

import pytest

from evidence import file_types
from evidence.file_types import (
    ACCEPTED_TYPES,
    MAX_NAME_LENGTH,
    RejectedFile,
    check_file_content,
    check_file_name,
)
from tests.evidence import samples

_OFFICE = "application/vnd.openxmlformats-officedocument"
_ODF = "application/vnd.oasis.opendocument"

ACCEPTED_SAMPLES = [
    pytest.param(samples.pdf, "application/pdf", "pdf", id="pdf"),
    pytest.param(samples.doc, "application/msword", "doc", id="doc"),
    pytest.param(samples.docx, f"{_OFFICE}.wordprocessingml.document", "docx", id="docx"),
    pytest.param(samples.xls, "application/vnd.ms-excel", "xls", id="xls"),
    pytest.param(samples.xlsx, f"{_OFFICE}.spreadsheetml.sheet", "xlsx", id="xlsx"),
    pytest.param(samples.ppt, "application/vnd.ms-powerpoint", "ppt", id="ppt"),
    pytest.param(samples.pptx, f"{_OFFICE}.presentationml.presentation", "pptx", id="pptx"),
    pytest.param(samples.odt, f"{_ODF}.text", "odt", id="odt"),
    pytest.param(samples.ods, f"{_ODF}.spreadsheet", "ods", id="ods"),
    pytest.param(samples.odp, f"{_ODF}.presentation", "odp", id="odp"),
    pytest.param(samples.utf8_text, "text/plain", "txt", id="utf8-text"),
    pytest.param(samples.jpeg, "image/jpeg", "jpg", id="jpeg"),
    pytest.param(samples.png, "image/png", "png", id="png"),
    pytest.param(samples.animated_png, "image/apng", "png", id="animated png"),
    pytest.param(samples.heic, "image/heic", "heic", id="heic"),
    pytest.param(samples.webp, "image/webp", "webp", id="webp"),
    pytest.param(samples.mp3, "audio/mpeg", "mp3", id="mp3"),
    pytest.param(samples.m4a, "audio/mp4", "m4a", id="m4a"),
    pytest.param(samples.wav, "audio/x-wav", "wav", id="wav"),
    pytest.param(samples.mp4, "video/mp4", "mp4", id="mp4"),
    pytest.param(samples.mov, "video/quicktime", "mov", id="mov"),
    pytest.param(samples.webm, "video/webm", "webm", id="webm"),
]

# Each hostile or unacceptable sample, and words the learner's message must contain.
HOSTILE_SAMPLES = [
    pytest.param(samples.elf_executable, "a program (executable)", id="elf-executable"),
    pytest.param(samples.windows_executable, "a program (executable)", id="windows-exe"),
    pytest.param(samples.html_page, "web page code", id="html-page"),
    pytest.param(samples.svg_with_script, "web page code", id="svg-with-script"),
    pytest.param(samples.png_with_html_appended, "web page code", id="png+html"),
    pytest.param(samples.png_with_zip_appended, "extra data", id="png+zip"),
    pytest.param(samples.png_with_script_in_comment, "web page code", id="png-script-chunk"),
    pytest.param(samples.pdf_with_script_appended, "web page code", id="pdf+script"),
    pytest.param(samples.text_with_nul, "not a type of file we recognise", id="text-with-nul"),
    pytest.param(samples.latin1_text, "encoding other than UTF-8", id="latin-1-text"),
    pytest.param(samples.zip_archive, "a .zip file", id="zip-archive"),
    pytest.param(samples.gzip_file, "a .gz file", id="gzip"),
]

CHUNK = 1024 * 1024  # how much of a file the markup scanner reads at a time


def _upload(tmp_path, data: bytes):
    """``data`` saved where an upload would be, under a name that says nothing of its type."""
    path = tmp_path / "upload"
    path.write_bytes(data)
    return path


# --- Accepted files ----------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "content_type", "extension"), ACCEPTED_SAMPLES)
def test_a_genuine_file_is_accepted_as_its_own_type(tmp_path, make, content_type, extension):
    # Given a small but genuine file of an accepted format
    path = _upload(tmp_path, make())

    # When its content is checked
    accepted = check_file_content(path, name="Unit 5 evidence")

    # Then it is accepted as that format
    assert accepted.content_type == content_type
    assert accepted.extension == extension
    assert accepted is ACCEPTED_TYPES[content_type]


def test_every_accepted_type_has_a_sample():
    # Given the types the portfolio accepts
    accepted = set(ACCEPTED_TYPES)

    # When they are compared with the types the samples above are accepted as
    sampled = {param.values[1] for param in ACCEPTED_SAMPLES}

    # Then every accepted type is exercised
    assert sampled == accepted


def test_the_type_comes_from_the_bytes_not_the_name(tmp_path):
    # Given a PNG image uploaded under a name ending in .pdf
    path = _upload(tmp_path, samples.png())

    # When its content is checked
    accepted = check_file_content(path, name="report.pdf")

    # Then it is a PNG image
    assert accepted.content_type == "image/png"
    assert accepted.extension == "png"


def test_a_large_image_with_a_harmless_comment_is_accepted(tmp_path):
    # Given a PNG over 1 MiB whose comment chunk crosses the scanner's read boundary
    path = _upload(tmp_path, samples.png_with_comment(b"Taken on the evening round", at=CHUNK - 4))

    # When its content is checked
    accepted = check_file_content(path, name="round.png")

    # Then it is accepted: size and comments alone are no reason to refuse it
    assert accepted.content_type == "image/png"


# --- Refused files -----------------------------------------------------------------------------


@pytest.mark.parametrize(("make", "reason"), HOSTILE_SAMPLES)
def test_a_hostile_or_unknown_file_is_refused_with_a_clear_message(tmp_path, make, reason):
    # Given a file a portfolio must not store, under an innocent-looking name
    path = _upload(tmp_path, make())

    # When its content is checked
    with pytest.raises(RejectedFile) as refused:
        check_file_content(path, name="holiday photo.jpg")

    # Then it is refused, and the message names the file and says why
    message = str(refused.value)
    assert "“holiday photo.jpg”" in message
    assert reason in message


def test_a_program_is_refused_even_when_named_as_an_image(tmp_path):
    # Given a Windows program named as a photo
    path = _upload(tmp_path, samples.windows_executable())

    # When its content is checked
    with pytest.raises(RejectedFile) as refused:
        check_file_content(path, name="photo.jpg")

    # Then the message says it is a program and lists what can be uploaded instead
    message = str(refused.value)
    assert "“photo.jpg” is a program (executable)" in message
    assert "Upload PDF, Word, Excel" in message


def test_an_empty_file_is_refused(tmp_path):
    # Given a file of zero bytes
    path = _upload(tmp_path, b"")

    # When its content is checked
    with pytest.raises(RejectedFile) as refused:
        check_file_content(path, name="notes.txt")

    # Then it is refused as empty
    assert str(refused.value).startswith("“notes.txt” is empty (0 bytes).")


@pytest.mark.parametrize("bytes_before_boundary", [1, 4, 7])
def test_markup_split_across_the_scanners_read_boundary_is_found(tmp_path, bytes_before_boundary):
    # Given a PNG over 1 MiB whose comment holds "<script>" straddling the 1 MiB read boundary
    assert file_types._SCAN_CHUNK == CHUNK
    start = CHUNK - bytes_before_boundary
    data = samples.png_with_comment(b"<script>document.title = 'ran';</script>", at=start)
    assert len(data) > CHUNK
    assert data[start : start + len(b"<script>")] == b"<script>"
    assert b"<script>" not in data[:CHUNK]
    assert b"<script>" not in data[CHUNK:]
    path = _upload(tmp_path, data)

    # When its content is checked
    with pytest.raises(RejectedFile) as refused:
        check_file_content(path, name="round.png")

    # Then the script is found
    assert "“round.png” contains web page code" in str(refused.value)


# --- File names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        pytest.param("evidence/unit5.pdf", "folder separator", id="slash"),
        pytest.param("..\\..\\unit5.pdf", "folder separator", id="backslash"),
        pytest.param("unit5\x00.pdf", "hidden control characters", id="nul"),
        pytest.param("invoice\u202efdp.exe", "hidden control characters", id="rtl-override"),
        pytest.param("report\u2066.pdf", "hidden control characters", id="bidi-isolate"),
        pytest.param("\x1b[31mred.pdf", "hidden control characters", id="escape"),
        pytest.param("two\nlines.pdf", "hidden control characters", id="newline"),
        pytest.param("carriage\rreturn.pdf", "hidden control characters", id="carriage-return"),
        pytest.param("bell\x07.pdf", "hidden control characters", id="bell"),
        pytest.param("delete\x7f.pdf", "hidden control characters", id="delete"),
        pytest.param("a" * 296 + ".pdf", "300 characters long; the limit is 200", id="300-chars"),
        pytest.param("", "has no name", id="empty"),
        pytest.param("   ", "has no name", id="blank"),
    ],
)
def test_an_unfit_file_name_is_refused_with_a_clear_message(name, reason):
    # Given a file name that is unsafe or unfit to show

    # When it is checked
    with pytest.raises(RejectedFile) as refused:
        check_file_name(name)

    # Then it is refused, saying why, and the message itself carries no hidden characters
    message = str(refused.value)
    assert reason in message
    assert "Rename" in message or "Shorten" in message
    assert not any(ord(character) < 32 or ord(character) == 127 for character in message)
    assert "\u202e" not in message
    assert "\u2066" not in message


@pytest.mark.parametrize(
    "name",
    [
        "Réflexion \N{EN DASH} été.pdf",
        "Unit 5 observation (final v2).docx",
        "日本語のメモ.txt",
        "Zoë's café notes, 3 May.odt",
        "a" * (MAX_NAME_LENGTH - 4) + ".pdf",
    ],
)
def test_an_ordinary_file_name_is_kept(name):
    # Given an ordinary file name, possibly with accents or other scripts

    # When it is checked
    kept = check_file_name(name)

    # Then it is kept as it is
    assert kept == name


def test_spaces_around_a_file_name_are_trimmed():
    # Given a name with spaces around it
    # When it is checked
    kept = check_file_name("  Unit 5 reflection.pdf ")

    # Then the spaces are gone
    assert kept == "Unit 5 reflection.pdf"


# --- Gaps found and closed: hidden characters, disguised PNG endings, tags ending in '/' ------


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("report\x85.pdf", id="c1-next-line"),
        pytest.param("report\x9b31m.pdf", id="c1-control-sequence-introducer"),
        pytest.param("invoice\u061cfdp.pdf", id="arabic-letter-mark"),
    ],
)
def test_a_file_name_with_other_hidden_control_characters_is_refused(name):
    # Given a name with a C1 control character or the Arabic letter mark (a bidi control)

    # When it is checked, then it is refused
    with pytest.raises(RejectedFile, match="hidden control characters"):
        check_file_name(name)


def test_a_png_with_a_zip_hidden_before_a_second_iend_is_refused(tmp_path):
    # Given a PNG with a ZIP archive appended and then a copy of the IEND chunk
    data = samples.png_with_zip_then_iend()
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == ["notes.txt", "more/notes.txt"]
    path = _upload(tmp_path, data)

    # When its content is checked, then it is refused for the extra data
    with pytest.raises(RejectedFile, match="extra data"):
        check_file_content(path, name="photo.png")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(b"<svg/onload=alert(document.domain)>\n", id="svg-slash"),
        pytest.param(b'<script/src="https://example.com/x.js"></script>\n', id="script-slash"),
        pytest.param(b"<SCRIPT>alert(1)</SCRIPT>\n", id="upper-case"),
        pytest.param(b"<ScRiPt >alert(1)</sCrIpT>\n", id="mixed-case"),
        pytest.param(b"< \t IFRAME src=x>\n", id="spaces-before-upper-case"),
        pytest.param(b"<!DocType  HTML>\n<p>hello\n", id="doctype"),
        pytest.param(b'<a href="JavaScript:alert(1)">notes</a>\n', id="script-url"),
    ],
)
def test_markup_a_browser_would_run_is_found_however_it_is_written(tmp_path, text):
    # Given a "text" file holding a tag a browser would run: with a slash after the name, in
    # upper or mixed case (HTML ignores case), or a javascript: address
    path = _upload(tmp_path, b"Unit 5 notes\n" + text)

    # When its content is checked, then it is refused as web page code
    with pytest.raises(RejectedFile, match="web page code"):
        check_file_content(path, name="notes.txt")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(
            b"BMI readings for resident A, week 3\n",
            id="BM-read-as-bitmap",
        ),
        pytest.param(
            b"MZ Care Ltd: supervision notes\n",
            id="MZ-read-as-program",
        ),
        pytest.param(
            b"ID3 tag notes for the podcast task\n",
            id="ID3-read-as-mp3",
        ),
    ],
)
def test_plain_text_that_starts_like_a_signature_is_plain_text(tmp_path, text):
    # Given a UTF-8 text file whose first letters happen to match a binary signature
    path = _upload(tmp_path, text)

    # When its content is checked
    accepted = check_file_content(path, name="notes.txt")

    # Then it is plain text
    assert accepted.content_type == "text/plain"
