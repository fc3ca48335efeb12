"""Photos browsers cannot show (HEIC, what iPhones take) get a JPEG display copy.

Chrome, Edge and Firefox do not draw HEIC, so an assessor on a Windows laptop would see a
broken image where a learner's photo should be. The original stays the evidence (its bytes and
SHA-256 are what was submitted and what the export attaches); the page and the PDF show a copy:
rotated as the camera held it, at most DISPLAY_MAX_PIXELS on its long side, without the
original's metadata (a phone photo's EXIF can hold where it was taken).

The copy is made the first time someone asks for it and kept beside the evidence, under a name
derived from the original's id and hash, so it is made once and never mistaken for another's.
"""

import io
import logging
import os
import uuid
from pathlib import Path

import pillow_heif
from django.conf import settings
from PIL import ImageOps

from evidence.images import open_image

logger = logging.getLogger(__name__)

pillow_heif.register_heif_opener()

NEEDS_DISPLAY_COPY = frozenset({"image/heic"})
DISPLAY_MAX_PIXELS = 2048
DISPLAY_JPEG_QUALITY = 85
DISPLAY_FOLDER = "display"


class NoDisplayCopy(Exception):
    """The photo could not be decoded (damaged, or over MAX_IMAGE_PIXELS)."""


def needs_display_copy(content_type: str) -> bool:
    return content_type in NEEDS_DISPLAY_COPY


def display_copy_name(file_id: int, sha256: str) -> str:
    """The copy's name in storage, relative to MEDIA_ROOT."""
    return f"{DISPLAY_FOLDER}/{file_id}-{sha256[:16]}.jpg"


def display_copy(*, file_id: int, sha256: str, original: Path) -> Path:
    """The JPEG copy of the photo at ``original``, made now if it does not exist yet. Written
    under a temporary name and renamed into place, so a reader never sees half a file and two
    requests at once both end with the same whole copy."""
    target = Path(settings.MEDIA_ROOT) / display_copy_name(file_id, sha256)
    if target.is_file():
        return target
    try:
        data = jpeg_for_display(original.read_bytes())
    except Exception as error:
        logger.warning("No display copy of evidence file %s: %s", file_id, error)
        raise NoDisplayCopy(str(error)) from error
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.part")
    temporary.write_bytes(data)
    os.replace(temporary, target)
    return target


def jpeg_for_display(data: bytes, *, max_pixels: int = DISPLAY_MAX_PIXELS) -> bytes:
    # open_image refuses a photo over MAX_IMAGE_PIXELS before decoding it (ImageTooLarge,
    # which display_copy turns into NoDisplayCopy like any photo it cannot decode).
    with open_image(data) as image:
        upright = ImageOps.exif_transpose(image)
        upright.thumbnail((max_pixels, max_pixels))
        buffer = io.BytesIO()
        upright.convert("RGB").save(buffer, format="JPEG", quality=DISPLAY_JPEG_QUALITY)
    return buffer.getvalue()
