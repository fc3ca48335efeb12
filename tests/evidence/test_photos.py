"""HEIC photos (iPhones') are kept as they are and shown through a JPEG copy: Chrome, Edge and
Firefox cannot draw HEIC, so without it an assessor would see a broken image."""

import io
from pathlib import Path

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from evidence import services
from evidence.models import EvidenceFile
from portfolio_site.accounts.models import Role
from portfolio_site.exports.fetcher import print_sized_image
from tests.evidence import samples
from tests.evidence.helpers import DESIGN, criterion
from tests.evidence.test_files import upload
from tests.factories import EvidenceFileFactory


@pytest.fixture
def photo(learner_client, draft):
    response = upload(learner_client, draft, "IMG_4032.HEIC", samples.heic_photo())
    assert response.status_code == 302
    return EvidenceFile.objects.get(item=draft)


def display_url(evidence_file) -> str:
    return reverse("evidence:file-download", args=[evidence_file.pk]) + "?display=1"


def copies(media_root: Path) -> list[Path]:
    folder = media_root / "display"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_the_assessors_review_page_shows_the_photo_through_its_copy(photo, people, client_for):
    item = photo.item
    services.evidence_mappings_set(
        item=item,
        user=people[Role.LEARNER],
        references={criterion(DESIGN, "1.2").pk: "The whiteboard photo"},
        expected_version=item.version,
    )
    services.evidence_item_submit(item=item, learner=people[Role.LEARNER], declared=True)

    page = client_for(people[Role.ASSESSOR]).get(reverse("evidence:item-review", args=[item.pk]))
    html = page.content.decode()
    assert photo.content_type == "image/heic" and photo.shown_as_copy
    assert f'<img src="{display_url(photo)}"' in html
    assert "shown here as a JPEG copy" in html


def test_the_copy_is_an_upright_jpeg_without_the_photos_metadata(learner_client, photo, media_root):
    response = learner_client.get(display_url(photo))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Content-Disposition"].startswith('inline; filename="IMG_4032.jpg"')
    assert response["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
        assert image.format == "JPEG"
        assert image.size == (48, 64)  # turned as the camera was held
        assert not image.getexif()  # no location, no camera details

    # Made once, kept, and never the evidence: the original is unchanged.
    (copy,) = copies(media_root)
    made = copy.stat().st_mtime_ns
    assert learner_client.get(display_url(photo)).status_code == 200
    assert copy.stat().st_mtime_ns == made
    original = learner_client.get(reverse("evidence:file-download", args=[photo.pk]))
    assert b"".join(original.streaming_content) == samples.heic_photo()


def test_a_large_photo_is_shown_at_most_2048_pixels_wide(learner_client, draft):
    upload(learner_client, draft, "wide.heic", samples.heic_photo((3000, 1000), orientation=1))
    photo = EvidenceFile.objects.get(item=draft)
    response = learner_client.get(display_url(photo))
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as image:
        assert image.size == (2048, 683)


def test_a_damaged_photo_has_no_copy_but_its_original_still_downloads(
    learner_client, draft, media_root
):
    damaged = EvidenceFileFactory(
        item=draft, content=samples.heic(), original_name="cut-off.heic", content_type="image/heic"
    )
    assert learner_client.get(display_url(damaged)).status_code == 404
    assert (
        not list((media_root / "display").glob("*")) if (media_root / "display").exists() else True
    )
    assert (
        learner_client.get(reverse("evidence:file-download", args=[damaged.pk])).status_code == 200
    )


def test_only_photos_browsers_cannot_draw_have_a_copy(learner_client, draft):
    text = EvidenceFileFactory(item=draft)
    assert learner_client.get(display_url(text)).status_code == 404


def test_the_copy_is_refused_to_whoever_may_not_see_the_original(
    client_for, other_centre_people, photo, media_root
):
    outsider = client_for(other_centre_people[Role.ASSESSOR])
    assert outsider.get(display_url(photo)).status_code == 404
    assert copies(media_root) == []  # nothing was made for them


def test_the_pdf_export_prints_the_photo(
    portfolio, people, learner_client, django_capture_on_commit_callbacks
):
    from portfolio_site.exports import services as export_services
    from tests.factories import EvidenceItemFactory

    item = EvidenceItemFactory(portfolio=portfolio, title="Whiteboard after the workshop")
    upload(learner_client, item, "IMG_4032.HEIC", samples.heic_photo())
    printed, content_type = print_sized_image(samples.heic_photo(), "image/heic")
    assert content_type == "image/jpeg" and printed[:2] == b"\xff\xd8"

    with django_capture_on_commit_callbacks(execute=True):
        job, _ = export_services.export_request(
            portfolio=portfolio, requested_by=people[Role.CENTRE_ADMIN]
        )
    job.refresh_from_db()
    assert job.status == "ready", job.error
    reader = PdfReader(Path(job.file.path))
    drawn = [
        image
        for page in reader.pages
        if "Whiteboard after the workshop" in page.extract_text()
        for image in page.images
    ]
    assert drawn, "the photo is not drawn on its item's page"


def test_deleting_a_draft_photo_deletes_its_copy_too(
    learner_client, photo, media_root, django_capture_on_commit_callbacks
):
    assert learner_client.get(display_url(photo)).status_code == 200
    assert len(copies(media_root)) == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = learner_client.post(reverse("evidence:file-delete", args=[photo.pk]))
    assert response.status_code == 302
    assert not EvidenceFile.all_objects.filter(pk=photo.pk).exists()
    assert copies(media_root) == []
