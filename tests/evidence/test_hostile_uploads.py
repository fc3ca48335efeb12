"""The hostile-uploads gate of issue 7: every file in tests/evidence/hostile_corpus.py, uploaded
as a browser sends it, is refused with a message a learner understands, or stored and served so
that it cannot run in a browser; and nothing is ever written outside MEDIA_ROOT.

MEDIA_ROOT is put at tmp_path/root/media, so that after each upload the whole of tmp_path can
be searched for anything written where it should not be, and Django's and Python's temporary
folders at folders that do not exist, so that even a passing use of them fails the upload.
The file types expected are read from the bytes (evidence/file_types.py); the corpus says why
each stored file is safe to store.
"""

import html
import re
import tempfile
import tracemalloc
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

import pytest
from django.urls import reverse

from evidence.file_types import ACCEPTED_TYPES
from evidence.models import EvidenceFile
from processes.diagram import map_data_for
from tests.evidence.helpers import multipart
from tests.evidence.hostile_corpus import CORPUS, HostileFile

pytestmark = pytest.mark.django_db

REFUSED = [pytest.param(entry, id=entry.name) for entry in CORPUS if entry.refused]
STORED = [pytest.param(entry, id=entry.name) for entry in CORPUS if not entry.refused]
FOR_BPMN = [pytest.param(entry, id=entry.name) for entry in CORPUS if entry.bpmn_refused_with]

# Types a browser may show in the page; anything else must download.
SAFE_INLINE_TYPES = {"application/pdf", "image/jpeg", "image/png"}
# Types a browser would run as a page or script.
RUNNABLE_TYPES = {"text/html", "image/svg+xml", "application/javascript", "text/javascript"}


@dataclass
class Folders:
    root: Path  # MEDIA_ROOT's parent: must hold nothing but MEDIA_ROOT
    media: Path


@pytest.fixture
def folders(settings, tmp_path, monkeypatch) -> Folders:
    """MEDIA_ROOT inside tmp_path; Django's and Python's temporary folders pointed at folders
    that do not exist, so that even a file written there and deleted at once fails the upload."""
    made = Folders(root=tmp_path / "root", media=tmp_path / "root" / "media")
    made.media.mkdir(parents=True)
    settings.MEDIA_ROOT = made.media
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "no-django-temp")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "no-python-temp"))
    return made


def files_under(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*") if path.is_file())


def assert_nothing_written_outside_media(folders: Folders, entry: HostileFile) -> None:
    tmp_path = folders.root.parent
    outside = [path for path in files_under(tmp_path) if not path.is_relative_to(folders.media)]
    assert outside == []
    assert [path.name for path in folders.root.iterdir()] == ["media"]
    # Uploads stream to MEDIA_ROOT/.incoming; the temporary folders were never made. ("media"
    # is the shared conftest's MEDIA_ROOT, unused here.)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["media", "root"]
    if entry.written_as:
        # Where a traversal would have landed: anywhere in tmp_path, the working directory,
        # or the absolute path named.
        assert not [path for path in tmp_path.rglob("*") if entry.written_as in path.name]
        assert not (Path.cwd() / entry.written_as).exists()
        if Path(entry.file_name).is_absolute():
            assert not Path(entry.file_name).exists()


def upload(client, url: str, entry: HostileFile, content: bytes, **fields: str):
    """POST ``content`` (and any other form ``fields``) as the page's upload script does, the
    file name exactly as given."""
    body, content_type = multipart(fields, [("file", entry.file_name, content)])
    extra = {"HTTP_ACCEPT": "application/json"}
    if entry.claimed_length is not None:
        extra["CONTENT_LENGTH"] = str(entry.claimed_length)
    return client.generic("POST", url, body, content_type=content_type, **extra)


def upload_measured(client, url: str, entry: HostileFile, content: bytes):
    """The upload, and the peak of Python memory allocated while the server handled it."""
    tracemalloc.start()
    try:
        response = upload(client, url, entry, content)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return response, peak


def messages_of(response) -> str:
    answer = response.json()
    text = " ".join(answer.get("messages", [])) or answer.get("message", "")
    return text.replace("\xa0", " ")  # filesizeformat's non-breaking spaces


def saved_name(content_disposition: str) -> str:
    """The file name a browser saves under (filename*= decoded as RFC 6266 says)."""
    header = EmailMessage()
    header["Content-Disposition"] = content_disposition
    return header.get_filename()


def test_the_corpus_is_large_enough_and_each_entry_is_distinct():
    names = [entry.name for entry in CORPUS]
    assert len(CORPUS) >= 25
    assert len(set(names)) == len(names)
    assert all(entry.refused != bool(entry.stored_as) for entry in CORPUS)


@pytest.mark.parametrize("entry", REFUSED)
def test_a_hostile_file_is_refused_with_a_clear_message_and_nothing_is_kept(
    learner_client,
    draft,
    folders,
    settings,
    entry,
):
    # Given a hostile file, and the limit the entry asks for
    if entry.max_file_bytes is not None:
        settings.EVIDENCE_MAX_FILE_BYTES = entry.max_file_bytes
    content = entry.make()

    # When the learner uploads it to a draft item
    url = reverse("evidence:file-upload", args=[draft.pk])
    response, peak = upload_measured(learner_client, url, entry, content)

    # Then it is refused (a client error, never a server error) with a message naming the reason
    assert response.status_code == entry.status
    assert response.json()["ok"] is False
    message = messages_of(response)
    for words in entry.refused_with:
        assert words in message
    # And no row, no file (not even a temporary one), and nothing outside MEDIA_ROOT
    assert not EvidenceFile.all_objects.exists()
    assert files_under(folders.media) == []
    assert_nothing_written_outside_media(folders, entry)
    if entry.expands_to:
        assert peak < entry.expands_to / 100  # the XML was never expanded


@pytest.mark.parametrize("entry", STORED)
def test_a_stored_hostile_file_is_kept_as_sent_and_served_so_it_cannot_run(
    learner_client,
    draft,
    folders,
    entry,
):
    # Given a file that is hostile in some way, but whose bytes are an accepted type
    content = entry.make()

    # When the learner uploads it
    url = reverse("evidence:file-upload", args=[draft.pk])
    response, peak = upload_measured(learner_client, url, entry, content)

    # Then exactly one row and one file are stored: the bytes sent, under a generated name
    assert response.status_code == 201, messages_of(response)
    evidence_file = EvidenceFile.objects.get()
    assert evidence_file.content_type == entry.stored_as
    assert evidence_file.original_name == entry.file_name
    extension = ACCEPTED_TYPES[entry.stored_as].extension
    generated = rf"evidence/{draft.portfolio_id}/[0-9a-f]{{32}}\.{extension}"
    assert re.fullmatch(generated, evidence_file.file.name)
    assert files_under(folders.media) == [folders.media / evidence_file.file.name]
    assert (folders.media / evidence_file.file.name).read_bytes() == content
    assert_nothing_written_outside_media(folders, entry)
    if entry.expands_to:
        # The archive or XML was never opened: memory stayed far below its expanded size.
        assert peak < entry.expands_to / 8

    # And when it is opened, nothing in it can run as a page or script on this site
    response = learner_client.get(reverse("evidence:file-download", args=[evidence_file.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == entry.stored_as
    assert response["Content-Type"] not in RUNNABLE_TYPES
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy
    disposition = response["Content-Disposition"]
    if entry.stored_as in SAFE_INLINE_TYPES:
        assert disposition.startswith("inline;")
    else:
        assert disposition.startswith("attachment;")
    # Every response is sandboxed, PDFs' too (Chromium's viewer shows a PDF served so).
    assert policy.endswith("; sandbox")
    # Saved to disk, its name ends in its real type's extension
    assert saved_name(disposition) == entry.download_name
    assert entry.download_name.lower().endswith(f".{extension}")
    assert_nothing_written_outside_media(folders, entry)


@pytest.mark.parametrize("entry", FOR_BPMN)
def test_hostile_xml_fed_to_the_bpmn_import_is_refused_and_changes_nothing(
    learner_client,
    version,
    folders,
    entry,
):
    # Given a draft process map with content
    before, revision = map_data_for(version), version.revision

    # When a hostile file from the corpus is imported into it
    url = reverse("processes:version-import", args=[version.pk])
    response = upload(learner_client, url, entry, entry.make(), revision=str(revision))

    # Then the page says why and that nothing changed; the version is as it was
    assert response.status_code == 422
    page = html.unescape(response.content.decode())
    assert "The file could not be imported" in page and "Nothing was changed." in page
    for words in entry.bpmn_refused_with:
        assert words in page
    version.refresh_from_db()
    assert version.revision == revision
    assert map_data_for(version) == before
    # And the upload left nothing behind, in MEDIA_ROOT or anywhere else
    assert files_under(folders.media) == []
    assert_nothing_written_outside_media(folders, entry)
