"""Opening images safely: none larger than MAX_IMAGE_PIXELS is ever decoded.

A PNG of a few hundred kilobytes can declare 12000 x 12000 pixels and decode to over half a
gigabyte (a "decompression bomb"). Pillow only warns (DecompressionBombWarning) between its
limit and twice it, and its limit is a module global; here the warning is an error, the limit
is our setting, and the size is checked from the header before any pixel is decoded. Every
place that opens evidence images goes through ``open_image``: the upload check, HEIC display
copies (evidence.photos) and export scaling (exports.fetcher).
"""

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from django.conf import settings
from PIL import Image

# What Pillow can open among the types a portfolio accepts (HEIC once pillow_heif registers it,
# which evidence.photos does).
IMAGE_CONTENT_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/apng", "image/webp", "image/heic"}
)


class ImageTooLarge(Exception):
    """The image has more pixels than MAX_IMAGE_PIXELS. ``str(error)`` says how many."""

    def __init__(self, pixels: int, limit: int, size: tuple[int, int] | None = None):
        self.pixels, self.limit, self.size = pixels, limit, size
        dimensions = f"{size[0]} x {size[1]} pixels, " if size else ""
        super().__init__(
            f"{dimensions}{megapixels(pixels)} megapixels; "
            f"the limit is {megapixels(limit)} megapixels"
        )


def megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.3g}"


def configure_pillow() -> None:
    """Pillow's own bomb check at our limit, its warning an error (once, for the process:
    WeasyPrint opens images through Pillow too)."""
    Image.MAX_IMAGE_PIXELS = settings.MAX_IMAGE_PIXELS
    warnings.simplefilter("error", Image.DecompressionBombWarning)


@contextmanager
def open_image(source: bytes | Path | BinaryIO) -> Iterator[Image.Image]:
    """``Image.open`` of ``source``, refused with ImageTooLarge when it declares more than
    MAX_IMAGE_PIXELS (read from the header, before anything is decoded); Pillow's
    DecompressionBombWarning and DecompressionBombError inside the block become ImageTooLarge
    too."""
    limit = settings.MAX_IMAGE_PIXELS
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    # No warnings.catch_warnings() here: it is not thread-safe, and configure_pillow() (at
    # start-up) has already made the warning an error for the whole process.
    try:
        with Image.open(source) as image:
            width, height = image.size
            if width * height > limit:
                raise ImageTooLarge(width * height, limit, (width, height))
            yield image
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as error:
        raise ImageTooLarge(_declared_pixels(error), limit) from error


def _declared_pixels(error: Exception) -> int:
    # Pillow's message: "Image size (144000000 pixels) exceeds limit of ...".
    digits = str(error).split("(", 1)[-1].split(" ", 1)[0]
    return int(digits) if digits.isdigit() else 0


def check_image_pixels(path: Path, *, content_type: str) -> None:
    """ImageTooLarge if the image at ``path`` (of a type Pillow reads) is over the limit. Reads
    the header only. A file Pillow cannot open at all is left to the other checks."""
    if content_type not in IMAGE_CONTENT_TYPES:
        return
    try:
        with open_image(path):
            pass
    except ImageTooLarge:
        raise
    except Exception:  # not an image Pillow reads: not this check's business
        return
