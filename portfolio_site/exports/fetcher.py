"""What WeasyPrint may read while it lays out a portfolio: the project's static files (print
stylesheet, fonts), this portfolio's evidence files, and data: URLs. Nothing else: no network,
no other file on disk.

WeasyPrint asks its URL fetcher for every resource a document names (images, stylesheets,
fonts, SVG references, ``<a rel="attachment">`` links). It catches any exception the fetcher
raises, logs a warning and leaves the resource out, so refusing is raising: the refused
resource's bytes never reach the document. Every refusal is also kept on the fetcher
(``refused``) so callers and tests can see what a document asked for.
"""

from __future__ import annotations

import io
import logging
import mimetypes
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request

from django.conf import settings
from weasyprint.urls import URLFetcher, URLFetcherResponse

from evidence.images import open_image
from evidence.photos import NEEDS_DISPLAY_COPY

logger = logging.getLogger(__name__)

# Photos are drawn at most about 16 cm wide; 1600 pixels is ~250 dpi there, sharp on paper
# and a fraction of a phone photo's size.
PRINT_IMAGE_MAX_PIXELS = 1600
PRINT_JPEG_QUALITY = 82
# Raster files above this many bytes are re-encoded even when small enough in pixels.
PRINT_IMAGE_MAX_BYTES = 400 * 1024
# The project's stylesheets and fonts are small; a refusal beats reading a huge file.
STATIC_FILE_MAX_BYTES = 20 * 1024 * 1024

SVG_CONTENT_TYPE = "image/svg+xml"
SVG_ROOT_TAG = re.compile(rb"<svg(?=[\s>/])")
# The family static/css/print-portfolio.css declares with @font-face (DejaVu Sans).
DOCUMENT_FONT = b"Portfolio Sans"
# PDF has no WebP, GIF or HEIC images, so these are re-encoded here whatever their size
# (WeasyPrint cannot read HEIC at all; importing evidence.photos lets Pillow open it).
ALWAYS_REENCODED = {"image/webp", "image/gif"} | NEEDS_DISPLAY_COPY
RASTER_CONTENT_TYPES = {"image/jpeg", "image/png"} | ALWAYS_REENCODED


class RefusedURL(ValueError):
    """The document asked for something outside what this export may read."""


def static_roots() -> list[Path]:
    """The folders the project's static files come from (never MEDIA_ROOT)."""
    roots = [Path(folder) for folder in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    return [root.resolve() for root in roots]


def _is_inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class PortfolioURLFetcher(URLFetcher):
    """Serves ``file://`` URLs of files inside ``static_folders`` or named in
    ``evidence_files`` (exact paths, each with the content type detected at upload), and
    ``data:`` URLs; refuses everything else.

    Paths are resolved (symlinks followed, ``..`` collapsed) before they are checked, so a link
    out of an allowed folder, or a path that climbs into another portfolio's media, is refused.
    Raster evidence images are served at print size (see ``print_sized_image``); SVG evidence
    is served as it is (so it stays vector) once it parses without a DTD.
    """

    def __init__(self, *, static_folders: Iterable[Path], evidence_files: Mapping[Path, str]):
        # fetch() below is the only gate: WeasyPrint's own fetching (and its protocol,
        # timeout and redirect options) is never used.
        super().__init__()
        self.static_folders = [Path(folder).resolve() for folder in static_folders]
        self.evidence_files = {
            Path(path).resolve(): content_type for path, content_type in evidence_files.items()
        }
        self.refused: list[str] = []
        self.served: list[str] = []

    def fetch(self, url: str, headers=None) -> URLFetcherResponse:
        try:
            response = self._fetch_allowed(url)
        except Exception as error:
            self.refused.append(url)
            logger.warning("PDF export refused to fetch %.200s: %s", url, error)
            raise
        self.served.append(url)
        return response

    def _fetch_allowed(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            # Inline bytes: nothing is read from disk or network.
            with DataHandler().data_open(Request(url)) as response:  # noqa: S310 (data: only)
                return URLFetcherResponse(url, response.read(), dict(response.headers))
        if scheme != "file":
            raise RefusedURL(f"only file: and data: URLs are fetched, not {scheme or 'none'}:")
        if parts.netloc not in ("", "localhost"):
            raise RefusedURL("file URLs on another host are not fetched")
        path = Path(unquote(parts.path)).resolve()
        if path in self.evidence_files:
            return self._evidence_response(url, path, self.evidence_files[path])
        if any(_is_inside(path, folder) for folder in self.static_folders):
            if not path.is_file() or path.stat().st_size > STATIC_FILE_MAX_BYTES:
                raise RefusedURL("not a static file of the project")
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})
        raise RefusedURL("outside the project's static files and this portfolio's evidence")

    def _evidence_response(self, url: str, path: Path, content_type: str) -> URLFetcherResponse:
        data = path.read_bytes()
        if content_type == SVG_CONTENT_TYPE:
            data = printable_svg(data)
        elif content_type in RASTER_CONTENT_TYPES:
            scaled, content_type = print_sized_image(data, content_type)
            if scaled is not data:
                # Not a file: URL, or WeasyPrint would read the original from disk again
                # instead of these bytes (it reads local image files lazily by their path).
                return URLFetcherResponse(
                    f"print-size:{path.name}", scaled, {"Content-Type": content_type}
                )
        return URLFetcherResponse(url, data, {"Content-Type": content_type})


def printable_svg(data: bytes) -> bytes:
    """The SVG, refused if it has a DTD (entity expansion, external entities) or does not
    parse, with the project's font as its default so its text does not fall back to whatever
    fonts the machine has. References inside it (images, stylesheets) still come through the
    fetcher."""
    from defusedxml import ElementTree as SafeElementTree

    try:
        root = SafeElementTree.fromstring(data, forbid_dtd=True)
    except Exception as error:
        raise RefusedURL(f"SVG refused: {error}") from error
    if root.tag != "{http://www.w3.org/2000/svg}svg" or "font-family" in root.attrib:
        return data
    return SVG_ROOT_TAG.sub(rb'<svg font-family="%s"' % DOCUMENT_FONT, data, count=1)


def print_sized_image(data: bytes, content_type: str) -> tuple[bytes, str]:
    """The image at a size for print: rotated as the camera held it, at most
    PRINT_IMAGE_MAX_PIXELS on its long side; photos as JPEG, images with transparency as PNG.
    A small image comes back as it is."""
    from PIL import ImageOps

    # Over MAX_IMAGE_PIXELS: ImageTooLarge before any pixel is decoded; WeasyPrint leaves the
    # picture out (fetcher errors are refusals) and the file stays listed in the manifest.
    with open_image(data) as image:
        oriented = image.getexif().get(0x0112, 1) != 1
        too_big = max(image.size) > PRINT_IMAGE_MAX_PIXELS or len(data) > PRINT_IMAGE_MAX_BYTES
        if not (too_big or oriented or content_type in ALWAYS_REENCODED):
            return data, content_type
        image = ImageOps.exif_transpose(image)
        image.thumbnail((PRINT_IMAGE_MAX_PIXELS, PRINT_IMAGE_MAX_PIXELS))
        buffer = io.BytesIO()
        has_alpha = image.mode in ("RGBA", "LA") or (
            image.mode == "P" and "transparency" in image.info
        )
        if has_alpha:
            image.save(buffer, format="PNG", optimize=True)
            return buffer.getvalue(), "image/png"
        image.convert("RGB").save(buffer, format="JPEG", quality=PRINT_JPEG_QUALITY, optimize=True)
        return buffer.getvalue(), "image/jpeg"
