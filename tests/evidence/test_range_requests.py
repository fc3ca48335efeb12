"""Byte ranges on evidence files and exported PDFs: Safari on an iPhone or iPad plays a video
only through range requests, and every browser needs them to seek in one."""

import hashlib

import pytest
from django.urls import reverse

from evidence.serving import RangeNotSatisfiable, requested_range
from portfolio_site.accounts.models import Role
from tests.factories import EvidenceFileFactory

# Not a real MP4, but bytes whose every offset is recognisable: byte i is i % 251.
VIDEO = bytes(i % 251 for i in range(300_000))


@pytest.fixture
def video(draft):
    return EvidenceFileFactory(
        item=draft,
        content=VIDEO,
        original_name="Observation of a complaint call.mp4",
        content_type="video/mp4",
    )


def get(client, evidence_file, range_header=None, **headers):
    if range_header is not None:
        headers["Range"] = range_header
    url = reverse("evidence:file-download", args=[evidence_file.pk])
    return client.get(url, headers=headers)


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-1", 0, 1),  # Safari's first probe
        ("bytes=0-", 0, len(VIDEO) - 1),  # Chrome starting a video
        ("bytes=200000-", 200_000, len(VIDEO) - 1),  # seeking
        ("bytes=1000-1999", 1000, 1999),
        ("bytes=-500", len(VIDEO) - 500, len(VIDEO) - 1),  # the last 500 bytes
        ("bytes=299990-400000", 299_990, len(VIDEO) - 1),  # an end past the end is cut
    ],
)
def test_one_range_is_answered_with_exactly_those_bytes(learner_client, video, header, first, last):
    response = get(learner_client, video, header)

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(VIDEO)}"
    assert int(response["Content-Length"]) == last - first + 1
    assert body(response) == VIDEO[first : last + 1]
    # The same protections as a whole file.
    assert response["Content-Type"] == "video/mp4"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["Content-Disposition"].startswith("inline")


def test_without_a_range_the_whole_file_comes_and_says_ranges_are_accepted(learner_client, video):
    response = get(learner_client, video)
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert hashlib.sha256(body(response)).hexdigest() == video.sha256


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-1,5-6",  # several ranges: the whole file is allowed, and simpler
        "bytes=5-3",  # backwards
        "bytes=-",
        "items=0-1",
        "bytes=abc-",
        "bytes=0-1 junk",
    ],
)
def test_ranges_we_do_not_serve_get_the_whole_file(learner_client, video, header):
    response = get(learner_client, video, header)
    assert response.status_code == 200
    assert body(response) == VIDEO


def test_a_range_past_the_end_is_refused_with_the_size(learner_client, video):
    for header in (f"bytes={len(VIDEO)}-", "bytes=999999999-", "bytes=-0"):
        response = get(learner_client, video, header)
        assert response.status_code == 416, header
        assert response["Content-Range"] == f"bytes */{len(VIDEO)}"


def test_if_range_gets_the_whole_file(learner_client, video):
    response = get(learner_client, video, "bytes=0-1", **{"If-Range": '"some-etag"'})
    assert response.status_code == 200
    assert body(response) == VIDEO


def test_a_range_does_not_get_round_the_permission_check(client_for, other_centre_people, video):
    outsider = client_for(other_centre_people[Role.ASSESSOR])
    assert get(outsider, video, "bytes=0-1").status_code == 404


def test_the_parser_on_its_own():
    assert requested_range(None, 10) is None
    assert requested_range("bytes=2-4", 10) == (2, 4)
    assert requested_range("bytes=-20", 10) == (0, 9)  # more than the file: all of it
    with pytest.raises(RangeNotSatisfiable):
        requested_range("bytes=10-", 10)


def test_an_exported_pdf_download_can_be_resumed(
    client_for, people, portfolio, settings, django_capture_on_commit_callbacks
):
    from portfolio_site.exports import services

    settings.EXPORT_RENDERER = "tests.exports.renderers.quick_render"
    admin = people[Role.CENTRE_ADMIN]
    with django_capture_on_commit_callbacks(execute=True):
        job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    job.refresh_from_db()
    url = reverse("exports:job-download", args=[job.pk])
    client = client_for(admin)
    whole = body(client.get(url))
    assert len(whole) == job.size

    rest = client.get(url, headers={"Range": "bytes=100-"})
    assert rest.status_code == 206
    assert whole[:100] + body(rest) == whole
