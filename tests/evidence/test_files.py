"""Evidence files through their views: upload, download (who may, and how it is served), delete."""

import hashlib
import io
import json

import pytest
from django.urls import reverse
from PIL import Image

from evidence.models import EvidenceFile, EvidenceStatus
from portfolio_site.accounts.models import Role
from tests.evidence.helpers import multipart
from tests.factories import EvidenceFileFactory, member

pytestmark = pytest.mark.django_db

JSON = {"HTTP_ACCEPT": "application/json"}
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return buffer.getvalue()


def upload(client, item, name, content, **extra):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        reverse("evidence:file-upload", args=[item.pk]),
        {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")},
        **extra,
    )


def stored_files(settings) -> list:
    root = settings.MEDIA_ROOT / "evidence"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_upload_stores_the_file_under_a_generated_name(learner_client, draft, settings):
    response = upload(learner_client, draft, "Swimlane – v2.pdf", PDF, **JSON)

    assert response.status_code == 201
    answer = response.json()
    assert answer["ok"] and answer["messages"] == ["“Swimlane – v2.pdf” added."]
    assert "Swimlane – v2.pdf" in answer["files_html"]
    evidence_file = EvidenceFile.objects.get()
    assert evidence_file.original_name == "Swimlane – v2.pdf"
    assert evidence_file.content_type == "application/pdf"
    assert evidence_file.size == len(PDF)
    assert evidence_file.sha256 == hashlib.sha256(PDF).hexdigest()
    assert evidence_file.file.name.startswith(f"evidence/{draft.portfolio_id}/")
    assert evidence_file.file.name.endswith(".pdf") and "Swimlane" not in evidence_file.file.name
    assert (settings.MEDIA_ROOT / evidence_file.file.name).read_bytes() == PDF
    # The temporary upload was moved, not copied: nothing is left behind.
    assert not list((settings.MEDIA_ROOT / ".incoming").iterdir())


def test_type_comes_from_the_bytes_not_the_name(learner_client, draft):
    upload(learner_client, draft, "photo.pdf", png())
    evidence_file = EvidenceFile.objects.get()
    assert evidence_file.content_type == "image/png"
    assert evidence_file.file.name.endswith(".png")


def test_plain_form_upload_without_javascript(learner_client, draft):
    response = upload(learner_client, draft, "minutes.txt", b"Team meeting notes\n")
    assert response.url == reverse("evidence:item-detail", args=[draft.pk])
    page = learner_client.get(response.url).content.decode()
    assert "“minutes.txt” added." in page
    assert EvidenceFile.objects.get().content_type == "text/plain"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 60, "a program (executable)"),
        ("page.txt", b"<!DOCTYPE html><html><body>hi</body></html>", "web page code"),
        ("chart.png", None, "web page code"),  # PNG with HTML appended, built below
        ("empty.pdf", b"", "is empty (0 bytes)"),
        ("archive.docx", b"PK\x03\x04" + b"\x00" * 60, "cannot accept"),
    ],
    ids=["executable renamed", "html", "png with html", "zero bytes", "zip renamed docx"],
)
def test_bad_files_get_a_message_and_store_nothing(
    learner_client, draft, settings, name, content, message
):
    if content is None:
        content = png() + b"<html><script>alert(1)</script></html>"

    response = upload(learner_client, draft, name, content, **JSON)

    assert response.status_code == 400
    assert message in response.json()["messages"][0]
    assert not EvidenceFile.objects.exists()
    assert stored_files(settings) == []
    assert not list((settings.MEDIA_ROOT / ".incoming").iterdir())


@pytest.mark.parametrize(
    ("raw_name", "message"),
    [
        ("../../etc/passwd.pdf", "folder separator"),
        ("C:\\\\Users\\\\me\\\\report.pdf", "folder separator"),
        ("report\u202efdp.exe", "hidden control characters"),
        ("tab\tname.pdf", "hidden control characters"),
        ("x" * 300 + ".pdf", "characters long"),
    ],
    ids=[
        "slash traversal",
        "backslash",
        "right-to-left override",
        "control character",
        "300 chars",
    ],
)
def test_bad_names_are_refused_as_sent(learner_client, draft, settings, raw_name, message):
    body, content_type = multipart(
        {"csrfmiddlewaretoken": "unused-in-tests"}, [("file", raw_name, PDF)]
    )
    response = learner_client.generic(
        "POST",
        reverse("evidence:file-upload", args=[draft.pk]),
        body,
        content_type=content_type,
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert message in " ".join(response.json()["messages"])
    assert not EvidenceFile.objects.exists()
    assert stored_files(settings) == []


def test_oversized_request_is_refused_before_the_body_is_read(learner_client, draft, settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 1000
    big = b"%PDF-1.4\n" + b"0" * (400 * 1024)

    response = upload(learner_client, draft, "big.pdf", big, **JSON)

    assert response.status_code == 413
    assert "the limit is 1000 bytes per file" in response.json()["message"].replace("\xa0", " ")
    assert response["Connection"] == "close"
    assert not EvidenceFile.objects.exists()


def test_file_that_grows_past_the_limit_while_streaming_is_dropped(learner_client, draft, settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 1000
    response = upload(learner_client, draft, "slightly-big.pdf", PDF + b"0" * 5000, **JSON)
    assert response.status_code == 400
    assert "larger than 1000 bytes" in response.json()["messages"][0].replace("\xa0", " ")
    assert not EvidenceFile.objects.exists()
    assert not list((settings.MEDIA_ROOT / ".incoming").iterdir())


def test_413_page_for_a_plain_form(learner_client, draft, settings):
    settings.EVIDENCE_MAX_FILE_BYTES = 1000
    response = upload(learner_client, draft, "big.pdf", b"0" * (400 * 1024))
    assert response.status_code == 413
    assert "That file is too large" in response.content.decode()


def test_same_file_twice_is_stored_once(learner_client, draft):
    upload(learner_client, draft, "a.pdf", PDF)
    response = upload(learner_client, draft, "copy of a.pdf", PDF, **JSON)
    assert response.status_code == 400
    assert "already attached to this item (as “a.pdf”)" in response.json()["messages"][0]
    assert EvidenceFile.objects.count() == 1


def test_no_upload_to_a_submitted_item(learner_client, draft):
    draft.status = EvidenceStatus.SUBMITTED
    draft.submitted_at = draft.created_at
    draft.save()
    response = upload(learner_client, draft, "late.pdf", PDF, **JSON)
    assert response.status_code == 400
    assert "can no longer be changed" in response.json()["messages"][0]
    assert not EvidenceFile.objects.exists()


def test_only_the_learner_uploads(client_for, people, draft, other_centre_people):
    assert upload(client_for(people[Role.ASSESSOR]), draft, "a.pdf", PDF).status_code == 403
    assert (
        upload(client_for(other_centre_people[Role.LEARNER]), draft, "a.pdf", PDF).status_code
        == 404
    )
    assert not EvidenceFile.objects.exists()


# --- Downloads ----------------------------------------------------------------------------------


def test_who_may_download(client_for, people, draft, other_centre_people):
    evidence_file = EvidenceFileFactory(item=draft)
    url = reverse("evidence:file-download", args=[evidence_file.pk])
    classmate = member(Role.LEARNER, draft.portfolio.centre)
    for role in (Role.LEARNER, Role.ASSESSOR, Role.IQA, Role.CENTRE_ADMIN):
        response = client_for(people[role]).get(url)
        assert response.status_code == 200, role
        assert b"".join(response.streaming_content).startswith(b"Minutes of meeting")
    for outsider in [classmate, *other_centre_people.values()]:
        assert client_for(outsider).get(url).status_code == 404


def test_anonymous_download_goes_to_login(client, draft):
    evidence_file = EvidenceFileFactory(item=draft)
    response = client.get(reverse("evidence:file-download", args=[evidence_file.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_documents_download_as_attachments_with_safe_headers(learner_client, draft):
    evidence_file = EvidenceFileFactory(item=draft, original_name="notes “final”.txt")
    response = learner_client.get(reverse("evidence:file-download", args=[evidence_file.pk]))
    assert response["Content-Type"] == "text/plain"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''notes%20%E2%80%9Cfinal%E2%80%9D.txt" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Cache-Control"] == "private, no-cache"


def test_images_open_inline_but_sandboxed(learner_client, draft):
    upload(learner_client, draft, "map.png", png())
    evidence_file = EvidenceFile.objects.get()
    response = learner_client.get(reverse("evidence:file-download", args=[evidence_file.pk]))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"].endswith("; sandbox")
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    forced = learner_client.get(
        reverse("evidence:file-download", args=[evidence_file.pk]), {"download": "1"}
    )
    assert forced["Content-Disposition"].startswith("attachment;")


def test_pdf_opens_inline_but_sandboxed(learner_client, draft):
    upload(learner_client, draft, "plan.pdf", PDF)
    response = learner_client.get(
        reverse("evidence:file-download", args=[EvidenceFile.objects.get().pk])
    )
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Security-Policy"].endswith("; sandbox")


def test_x_accel_redirect_mode_hands_the_file_to_nginx(learner_client, draft, settings):
    settings.EVIDENCE_FILE_SERVING = "x-accel"
    evidence_file = EvidenceFileFactory(item=draft)
    response = learner_client.get(reverse("evidence:file-download", args=[evidence_file.pk]))
    assert response["X-Accel-Redirect"] == f"/protected-media/{evidence_file.file.name}"
    assert response.content == b""
    assert response["X-Content-Type-Options"] == "nosniff"


def test_missing_stored_file_is_a_clear_404(learner_client, draft, settings, caplog):
    evidence_file = EvidenceFileFactory(item=draft)
    (settings.MEDIA_ROOT / evidence_file.file.name).unlink()
    response = learner_client.get(reverse("evidence:file-download", args=[evidence_file.pk]))
    assert response.status_code == 404
    assert "is missing from storage" in caplog.text


# --- Deleting -----------------------------------------------------------------------------------


def test_learner_removes_a_file_from_a_draft(
    learner_client, draft, settings, django_capture_on_commit_callbacks
):
    evidence_file = EvidenceFileFactory(item=draft)
    stored = settings.MEDIA_ROOT / evidence_file.file.name
    with django_capture_on_commit_callbacks(execute=True):
        response = learner_client.post(reverse("evidence:file-delete", args=[evidence_file.pk]))
    assert response.url == reverse("evidence:item-detail", args=[draft.pk])
    assert not EvidenceFile.objects.exists() and not stored.exists()


def test_others_cannot_remove_files(client_for, people, draft):
    evidence_file = EvidenceFileFactory(item=draft)
    url = reverse("evidence:file-delete", args=[evidence_file.pk])
    assert client_for(people[Role.ASSESSOR]).post(url).status_code == 403
    assert client_for(member(Role.LEARNER, draft.portfolio.centre)).post(url).status_code == 404
    assert EvidenceFile.objects.exists()


def test_json_answer_shape_for_the_upload_script(learner_client, draft):
    response = upload(learner_client, draft, "a.pdf", PDF, **JSON)
    assert set(json.loads(response.content)) == {"ok", "messages", "files_html"}
