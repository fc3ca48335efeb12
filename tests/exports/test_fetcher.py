"""What WeasyPrint may read while rendering a portfolio: the project's static files and this
portfolio's evidence, nothing else. Tested on the fetcher itself, on HTML that bypasses the
narrative sanitiser, and on the whole export with a hostile narrative stored directly."""

import os
from pathlib import Path

import pytest
import weasyprint
from django.core.files.base import ContentFile
from pypdf import PdfReader
from weasyprint.urls import URLFetchingError, fetch

from evidence.models import EvidenceItem
from portfolio_site.exports.document import PDF_VARIANT, prepare_document, render_portfolio_pdf
from portfolio_site.exports.fetcher import PortfolioURLFetcher, RefusedURL, static_roots
from tests.factories import EvidenceFileFactory, EvidenceItemFactory, PortfolioFactory

pytestmark = pytest.mark.django_db

PASSWD = Path("/etc/passwd")
SECRET = "OTHER-PORTFOLIO-SECRET"
SVG_WITH_SECRET = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40">'
    f'<text x="5" y="20">{SECRET}</text></svg>'
).encode()


def first_line_of_passwd() -> str:
    return PASSWD.read_text().splitlines()[0]


def svg_file(item, content: bytes, name: str):
    return EvidenceFileFactory(
        item=item,
        content=content,
        file=ContentFile(content, name="upload.svg"),
        original_name=name,
        content_type="image/svg+xml",
    )


@pytest.fixture
def own_map(portfolio):
    item = EvidenceItemFactory(portfolio=portfolio, title="Process map")
    return svg_file(
        item,
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="20">'
        b'<text x="1" y="15">OWN-MAP</text></svg>',
        "own-map.svg",
    )


@pytest.fixture
def other_portfolios_file(db):
    """An SVG in another portfolio's media folder: its text would show if it were drawn."""
    other = EvidenceItemFactory(portfolio=PortfolioFactory())
    return svg_file(other, SVG_WITH_SECRET, "secret.svg")


@pytest.fixture
def fetcher(own_map):
    return PortfolioURLFetcher(
        static_folders=static_roots(),
        evidence_files={Path(own_map.file.path): own_map.content_type},
    )


def refuses(fetcher, url: str) -> bool:
    """WeasyPrint's own wrapper turns the fetcher's refusal into a warning and no resource."""
    with pytest.raises(URLFetchingError), fetch(fetcher, url):
        pass
    return url in fetcher.refused


# --- The fetcher on its own ---------------------------------------------------------------------


def test_fetcher_serves_static_files_own_evidence_and_data_urls(fetcher, own_map):
    stylesheet = Path(static_roots()[0], "css", "print-portfolio.css")
    with fetch(fetcher, stylesheet.as_uri()) as response:
        assert b"@font-face" in response.read()
    with fetch(fetcher, Path(own_map.file.path).as_uri()) as response:
        assert b"OWN-MAP" in response.read() and response.content_type == "image/svg+xml"
    with fetch(fetcher, "data:text/plain;base64,aGVsbG8=") as response:
        assert response.read() == b"hello"
    assert fetcher.refused == []


def test_fetcher_refuses_other_files_and_the_network(fetcher, own_map, other_portfolios_file):
    media = Path(own_map.file.path).parent
    static = static_roots()[0]
    other = Path(other_portfolios_file.file.path)
    hostile = [
        PASSWD.as_uri(),
        "file://localhost/etc/passwd",
        "file://example.org/etc/passwd",
        "http://example.org/x.png",
        "https://example.org/x.css",
        "ftp://example.org/x.png",
        "//example.org/x.png",
        "/etc/passwd",
        f"file://{static}/../../../../../../etc/passwd",
        f"file://{static}/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        other.as_uri(),
        f"file://{media}/../{other.parent.name}/{other.name}",
        # The folder of an allowed file is not itself allowed: only the exact files are.
        f"file://{media}/",
        # MEDIA_ROOT is not static, even through the static folder's parent.
        f"file://{static}/../var/media/",
    ]
    for url in hostile:
        assert refuses(fetcher, url), url
    assert fetcher.served == []


def test_a_symlink_out_of_an_allowed_folder_is_refused(tmp_path):
    static = tmp_path / "static"
    static.mkdir()
    (static / "print.css").write_text("body { color: black }")
    os.symlink(PASSWD, static / "innocent.css")
    fetcher = PortfolioURLFetcher(static_folders=[static], evidence_files={})

    assert refuses(fetcher, (static / "innocent.css").as_uri())
    with fetch(fetcher, (static / "print.css").as_uri()) as response:
        assert response.read() == b"body { color: black }"


def test_an_svg_with_a_dtd_is_refused(portfolio):
    item = EvidenceItemFactory(portfolio=portfolio)
    entity = svg_file(
        item,
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg"><text>&x;</text></svg>',
        "entity.svg",
    )
    fetcher = PortfolioURLFetcher(
        static_folders=[], evidence_files={Path(entity.file.path): entity.content_type}
    )
    assert refuses(fetcher, Path(entity.file.path).as_uri())
    with pytest.raises(RefusedURL, match="SVG refused"):
        fetcher.fetch(Path(entity.file.path).as_uri())


# --- Rendering hostile HTML -------------------------------------------------------------------


def hostile_markup(media: Path, other: Path) -> tuple[str, list[str]]:
    """Markup a narrative could hold if it escaped the sanitiser, and the URLs it names."""
    urls = {
        "img_file": PASSWD.as_uri(),
        "img_http": "http://example.org/x.png",
        "link_css": PASSWD.as_uri() + "?as=css",
        "css_url": "file:///etc/passwd#background",
        "import": "http://example.org/evil.css",
        "attachment": "file:///etc/passwd#attach",
        "traversal": f"file://{media}/../{other.parent.name}/{other.name}",
        "object": "file:///etc/hostname",
    }
    markup = f"""
      <img src="{urls["img_file"]}"><img src="{urls["img_http"]}">
      <link rel="stylesheet" href="{urls["link_css"]}">
      <style>@import url("{urls["import"]}");
        .narrative {{ background: url("{urls["css_url"]}") }}</style>
      <a rel="attachment" href="{urls["attachment"]}">attached</a>
      <img src="{urls["traversal"]}">
      <object data="{urls["object"]}" type="image/svg+xml"></object>
    """
    return markup, list(urls.values())


def test_hostile_html_past_the_sanitiser_fetches_nothing_it_should_not(
    portfolio, own_map, other_portfolios_file, tmp_path
):
    prepared = prepare_document(portfolio, export_reference="EXP-H", attach_originals=True)
    markup, urls = hostile_markup(
        Path(own_map.file.path).parent, Path(other_portfolios_file.file.path)
    )
    html = prepared.html.replace("</body>", f"{markup}</body>")
    target = tmp_path / "hostile.pdf"

    weasyprint.HTML(
        string=html, base_url=prepared.base_url, url_fetcher=prepared.fetcher
    ).write_pdf(
        target,
        pdf_variant=PDF_VARIANT,
        attachments=prepared.attachments(),
        uncompressed_pdf=True,
    )

    for url in urls:
        assert url in prepared.fetcher.refused, url
    allowed = {Path(own_map.file.path).resolve().as_uri()}
    for url in prepared.fetcher.served:
        assert url in allowed or url.startswith(static_roots()[0].as_uri()), url
    reader = PdfReader(target)
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "OWN-MAP" in text  # the portfolio's own SVG is drawn
    assert SECRET not in text
    assert first_line_of_passwd() not in text
    assert list(reader.attachments) == ["own-map.svg"]
    # Uncompressed, so the file's own bytes would show anything that slipped in.
    assert first_line_of_passwd().encode() not in target.read_bytes()


def test_hostile_narrative_stored_directly_is_rendered_harmless(
    portfolio, own_map, other_portfolios_file, tmp_path
):
    markup, urls = hostile_markup(
        Path(own_map.file.path).parent, Path(other_portfolios_file.file.path)
    )
    EvidenceItem.objects.filter(pk=own_map.item_id).update(
        narrative=f"<p>My process map.</p>{markup}"
    )

    prepared = prepare_document(portfolio, export_reference="EXP-N", attach_originals=False)
    result = render_portfolio_pdf(
        portfolio, tmp_path / "n.pdf", export_reference="EXP-N", attach_originals=True
    )

    for url in urls:
        assert url not in prepared.html, url  # sanitised again before it reaches the layout
    reader = PdfReader(tmp_path / "n.pdf")
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "My process map." in text and "OWN-MAP" in text
    assert SECRET not in text and first_line_of_passwd() not in text
    assert list(reader.attachments) == ["own-map.svg"] and result.attached_files == 1


def test_an_svg_evidence_file_cannot_pull_in_other_files(
    portfolio, other_portfolios_file, tmp_path
):
    item = EvidenceItemFactory(portfolio=portfolio, title="Process map with references")
    other = Path(other_portfolios_file.file.path)
    svg_file(
        item,
        (
            '<svg xmlns="http://www.w3.org/2000/svg" '
            'xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="60">'
            '<text x="1" y="15">MAP-WITH-REFERENCES</text>'
            '<image href="file:///etc/passwd" width="10" height="10"/>'
            '<image xlink:href="http://example.org/x.png" width="10" height="10"/>'
            f'<image href="{other.as_uri()}" width="100" height="20"/>'
            "</svg>"
        ).encode(),
        "map.svg",
    )
    prepared = prepare_document(portfolio, export_reference="EXP-S", attach_originals=False)
    target = tmp_path / "svg.pdf"

    weasyprint.HTML(
        string=prepared.html, base_url=prepared.base_url, url_fetcher=prepared.fetcher
    ).write_pdf(target, pdf_variant=PDF_VARIANT)

    assert {PASSWD.as_uri(), "http://example.org/x.png", other.as_uri()} <= set(
        prepared.fetcher.refused
    )
    text = "\n".join(page.extract_text() for page in PdfReader(target).pages)
    assert "MAP-WITH-REFERENCES" in text and SECRET not in text
