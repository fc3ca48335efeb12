"""Small files, made as bytes by the tests, for checking which uploads a portfolio accepts.

Everything here is built in code when a test runs: nothing is downloaded and no binary fixture
is committed, so the hostile samples (programs, web pages, polyglots) exist only inside a test's
temporary folder. Each file is just complete enough for its format to be recognised from its
bytes, the way ``evidence/file_types.py`` (through the ``filetype`` library) recognises it.
"""

import gzip
import io
import struct
import wave
import zipfile
import zlib

from PIL import Image

# --- Documents ---------------------------------------------------------------------------------


def _pdf(content: bytes) -> bytes:
    """A one-page PDF showing ``content`` (a content stream), with a correct cross-reference."""
    objects = [
        b"<</Type /Catalog /Pages 2 0 R>>",
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R"
        b" /Resources <</Font <</F1 5 0 R>>>>>>",
        b"<</Length %d>>\nstream\n%s\nendstream" % (len(content), content),
        b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<</Size %d /Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def pdf() -> bytes:
    return _pdf(b"BT /F1 12 Tf 10 50 Td (Unit 5 reflective account) Tj ET")


def _zip(entries: list[tuple[str, bytes]], *, stored_first: bool = False) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, (entry_name, data) in enumerate(entries):
            stored = stored_first and index == 0
            compression = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            archive.writestr(zipfile.ZipInfo(entry_name, (2026, 1, 1, 0, 0, 0)), data, compression)
    return buffer.getvalue()


def _office_open_xml(main_part: str, main_type: str, main_xml: bytes) -> bytes:
    """An Office Open XML package: content types, the package relationship, the main part."""
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/>'
        "</Types>"
    ).encode()
    relationships = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/officeDocument" Target="{main_part}"/>'
        "</Relationships>"
    ).encode()
    return _zip(
        [
            ("[Content_Types].xml", content_types),
            ("_rels/.rels", relationships),
            (main_part, main_xml),
        ]
    )


def docx() -> bytes:
    return _office_open_xml(
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b"<w:body><w:p><w:r><w:t>Unit 5 reflective account</w:t></w:r></w:p></w:body>"
        b"</w:document>",
    )


def xlsx() -> bytes:
    return _office_open_xml(
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        b'<sheets><sheet name="Hours" sheetId="1"/></sheets></workbook>',
    )


def pptx() -> bytes:
    return _office_open_xml(
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        b'<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>',
    )


def _open_document(mime: str) -> bytes:
    """An OpenDocument package: first entry ``mimetype``, stored uncompressed, as ODF requires."""
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
        f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mime}"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    ).encode()
    content = (
        b'<?xml version="1.0" encoding="UTF-8"?>'
        b'<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        b' office:version="1.3"/>'
    )
    return _zip(
        [
            ("mimetype", mime.encode("ascii")),
            ("content.xml", content),
            ("META-INF/manifest.xml", manifest),
        ],
        stored_first=True,
    )


def odt() -> bytes:
    return _open_document("application/vnd.oasis.opendocument.text")


def ods() -> bytes:
    return _open_document("application/vnd.oasis.opendocument.spreadsheet")


def odp() -> bytes:
    return _open_document("application/vnd.oasis.opendocument.presentation")


_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SECTOR = 512


def _ole2(first_sector: bytes) -> bytes:
    """A compound-file (OLE2) header and a first sector starting with ``first_sector``.

    Enough for the legacy Office matchers, which look at the header's magic number and at the
    start of the first stream (offset 512); not a document Office could open.
    """
    header = _OLE2_MAGIC + bytes(16)  # magic, CLSID
    header += struct.pack("<HHHHH", 0x003E, 0x0003, 0xFFFE, 9, 6) + bytes(6)  # version, sizes
    # directory sectors, FAT sectors, first directory sector, transaction signature, mini-stream
    # cut-off, first mini-FAT sector, mini-FAT sectors, first DIFAT sector, DIFAT sectors
    header += struct.pack("<9I", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    header += struct.pack("<I", 2) + b"\xff\xff\xff\xff" * 108  # the FAT lives in sector 2
    assert len(header) == _SECTOR
    directory = bytes(_SECTOR)
    fat = struct.pack("<4I", 0xFFFFFFFE, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF).ljust(_SECTOR, b"\xff")
    return header + first_sector.ljust(_SECTOR, b"\x00") + directory + fat


def doc() -> bytes:
    # A Word 97-2003 WordDocument stream starts with its FIB: wIdent 0xA5EC, nFib 0x00C1.
    return _ole2(b"\xec\xa5\xc1\x00")


def xls() -> bytes:
    # An Excel 97-2003 workbook stream starts with a BIFF8 BOF record.
    return _ole2(b"\x09\x08\x10\x00\x00\x06\x05\x00")


def ppt() -> bytes:
    # A PowerPoint 97-2003 stream starts with a record header (here a DocumentContainer).
    return _ole2(b"\x0f\x00\xe8\x03")


def utf8_text() -> bytes:
    return (
        "Unit 5 \N{EN DASH} reflective account\r\n"
        "\tI made a café au lait for a naïve new starter; we talked through the policy.\n"
        "Next steps: shadow the senior carer (Zoë) on the evening round. ✓\n"
    ).encode()


# --- Images ------------------------------------------------------------------------------------


def _image(image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 60, 30)).save(buffer, format=image_format, **options)
    return buffer.getvalue()


def png() -> bytes:
    return _image("PNG")


def animated_png() -> bytes:
    """Two frames: filetype calls this image/apng; browsers show it as a PNG."""
    frames = [Image.new("RGB", (8, 8), colour) for colour in ("teal", "orange")]
    buffer = io.BytesIO()
    frames[0].save(buffer, "PNG", save_all=True, append_images=frames[1:], duration=200)
    return buffer.getvalue()


def jpeg() -> bytes:
    return _image("JPEG", quality=90)


def webp() -> bytes:
    return _image("WEBP", quality=80)


def _box(box_type: bytes, payload: bytes) -> bytes:
    """An ISO base media file format box: 32-bit size, four-character type, payload."""
    return struct.pack(">I", 8 + len(payload)) + box_type + payload


def _ftyp(major_brand: bytes, minor_version: int, *compatible_brands: bytes) -> bytes:
    return _box(
        b"ftyp", major_brand + struct.pack(">I", minor_version) + b"".join(compatible_brands)
    )


def heic() -> bytes:
    return _ftyp(b"heic", 0, b"mif1", b"heic") + _box(b"meta", bytes(4))


def heic_photo(size: tuple[int, int] = (64, 48), *, orientation: int = 6) -> bytes:
    """A real HEIC photo, as an iPhone takes them: ``size`` as stored, with the EXIF
    orientation that says the camera was turned (6: show it turned a quarter clockwise)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(
        buffer, format="HEIF", exif=exif.tobytes(), quality=80
    )
    return buffer.getvalue()


# --- Audio and video ---------------------------------------------------------------------------


def mp3() -> bytes:
    """An ID3v2.3 tag with a title, then one silent MPEG-1 Layer III frame (128 kbit/s)."""
    title = b"\x00" + b"Handover notes"
    frame = b"TIT2" + struct.pack(">I", len(title)) + b"\x00\x00" + title
    tag_size = len(frame)  # below 128, so its sync-safe encoding is the plain number
    tag = b"ID3\x03\x00\x00" + struct.pack(">I", tag_size) + frame
    audio_frame = b"\xff\xfb\x90\x64" + bytes(413)  # 144 * 128000 / 44100 = 417 bytes
    return tag + audio_frame


def wav() -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as audio:
        audio.setnchannels(1)
        audio.setsampwidth(2)
        audio.setframerate(8000)
        audio.writeframes(bytes(160))  # 10 ms of silence
    return buffer.getvalue()


def m4a() -> bytes:
    return _ftyp(b"M4A ", 0, b"M4A ", b"mp42", b"isom") + _box(b"mdat", b"")


def mp4() -> bytes:
    return _ftyp(b"isom", 0x200, b"isom", b"iso2", b"avc1", b"mp41") + _box(b"mdat", b"")


def mov() -> bytes:
    return _ftyp(b"qt  ", 0x20050300, b"qt  ") + _box(b"wide", b"") + _box(b"mdat", b"")


def webm() -> bytes:
    """An EBML header whose DocType is "webm", then an empty Segment."""
    header_fields = (
        b"\x42\x86\x81\x01"  # EBMLVersion 1
        b"\x42\xf7\x81\x01"  # EBMLReadVersion 1
        b"\x42\xf2\x81\x04"  # EBMLMaxIDLength 4
        b"\x42\xf3\x81\x08"  # EBMLMaxSizeLength 8
        b"\x42\x82\x84webm"  # DocType "webm"
        b"\x42\x87\x81\x04"  # DocTypeVersion 4
        b"\x42\x85\x81\x02"  # DocTypeReadVersion 2
    )
    ebml = b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(header_fields)]) + header_fields
    return ebml + b"\x18\x53\x80\x67\x80"  # Segment of size 0


# --- Hostile and unacceptable files ------------------------------------------------------------


def elf_executable() -> bytes:
    """The 64-byte header of an x86-64 Linux executable (ELF)."""
    identity = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)  # 64-bit, little-endian, version 1
    fields = struct.pack("<HHIQQQIHHHHHH", 2, 0x3E, 1, 0x401000, 64, 0, 0, 64, 56, 0, 64, 0, 0)
    return identity + fields


def windows_executable() -> bytes:
    """A DOS header ("MZ") pointing at a PE header, as every Windows .exe starts."""
    dos_header = bytearray(64)
    dos_header[0:2] = b"MZ"
    dos_header[0x3C:0x40] = struct.pack("<I", 128)
    stub = b"This program cannot be run in DOS mode.\r\r\n$".ljust(64, b"\x00")
    coff_header = struct.pack("<HHIIIHH", 0x8664, 0, 0, 0, 0, 0, 0x0022)
    return bytes(dos_header) + stub + b"PE\x00\x00" + coff_header


def html_page() -> bytes:
    return (
        b"<!DOCTYPE html>\n<html><head><title>Evidence</title></head>\n"
        b"<body><p>Nothing to see.</p></body></html>\n"
    )


def svg_with_script() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">'
        b"<script>document.title = 'ran';</script></svg>\n"
    )


_PNG_IEND_CHUNK = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def png_with_html_appended() -> bytes:
    return png() + html_page()


def zip_archive() -> bytes:
    return _zip([("notes.txt", b"Some notes.\n"), ("more/notes.txt", b"More notes.\n")])


def png_with_zip_appended() -> bytes:
    return png() + zip_archive()


def png_with_zip_then_iend() -> bytes:
    """A PNG, a ZIP archive, then a second copy of the IEND chunk so the file ends as a PNG does.

    ZIP readers find an archive from its end, so the ZIP still opens.
    """
    return png() + zip_archive() + _PNG_IEND_CHUNK


def _png_chunk(chunk_type: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(chunk_type + data)
    return struct.pack(">I", len(data)) + chunk_type + data + struct.pack(">I", crc)


def png_with_comment(text: bytes, *, at: int | None = None) -> bytes:
    """A valid PNG with a ``tEXt`` comment chunk holding ``text``, starting at byte ``at``.

    The chunk sits before IEND, so the file ends cleanly; only a scan of the whole file finds
    what the comment holds. Padding before ``text`` moves it to ``at`` when that is given.
    """
    image = png()
    assert image.endswith(_PNG_IEND_CHUNK)
    before_iend = image[: -len(_PNG_IEND_CHUNK)]
    keyword = b"Comment\x00"
    text_start = len(before_iend) + 8 + len(keyword)  # chunk length and type come first
    padding = b"." * (0 if at is None else at - text_start)
    chunk = _png_chunk(b"tEXt", keyword + padding + text + b"\n" + b"." * 200)
    data = before_iend + chunk + _PNG_IEND_CHUNK
    at = text_start if at is None else at
    assert data[at : at + len(text)] == text
    return data


def png_with_script_in_comment() -> bytes:
    return png_with_comment(b"<script>document.title = 'ran';</script>")


def pdf_with_script_appended() -> bytes:
    return pdf() + b"<script>document.title = 'ran';</script>\n"


def text_with_nul() -> bytes:
    return b"Unit 5 notes\n\x00hidden\n"


def latin1_text() -> bytes:
    return "Réflexion: café - naïve\n".encode("latin-1")


def gzip_file() -> bytes:
    return gzip.compress(b"Some notes.\n", mtime=0)
