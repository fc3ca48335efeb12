"""Image decompression bombs: a small file that declares a huge image is refused at upload,
never decoded anywhere (HEIC display copies, export scaling), and a render that runs away with
memory anyway is stopped during the task by the worker's memory cap, leaving a failed job with
a message."""

import struct
import warnings
import zlib

import pytest
from django.conf import settings
from PIL import Image

from evidence import images, photos
from evidence.models import EvidenceFile
from portfolio_site.accounts.models import Role
from portfolio_site.exports.fetcher import print_sized_image
from portfolio_site.exports.limits import address_space_limit
from portfolio_site.exports.models import ExportJob, ExportStatus
from tests import subprocesses
from tests.evidence.test_files import JSON, png, upload
from tests.exports.test_worker import request_export_in_another_process
from tests.subprocesses import celery_worker, project_environment


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width: int = 12000, height: int = 12000) -> bytes:
    """A valid PNG header and a few bytes of data declaring ``width`` x ``height`` RGB pixels:
    tiny on disk, hundreds of megabytes once decoded."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _chunk(b"IEND", b"")
    )


@pytest.mark.django_db
def test_upload_refuses_an_image_over_the_pixel_limit(learner_client, draft):
    content = bomb_png()
    assert len(content) < 1024

    response = upload(learner_client, draft, "floor-plan.png", content, **JSON)

    assert response.status_code == 400
    [message] = response.json()["messages"]
    assert "“floor-plan.png” is 144 megapixels" in message
    assert "the limit is 50 megapixels" in message
    assert not EvidenceFile.objects.exists()


@pytest.mark.django_db
def test_the_pixel_limit_is_a_setting(learner_client, draft, settings):
    settings.MAX_IMAGE_PIXELS = 8 * 8
    assert upload(learner_client, draft, "small.png", png(), **JSON).status_code == 201

    settings.MAX_IMAGE_PIXELS = 8 * 8 - 1
    response = upload(learner_client, draft, "again.png", bomb_png(9, 8), **JSON)
    assert response.status_code == 400
    assert "“again.png” is 9 x 8 pixels, " in response.json()["messages"][0]


def test_pillow_itself_treats_a_bomb_warning_as_an_error():
    """Everywhere in the process (WeasyPrint opens images through Pillow too)."""
    assert Image.MAX_IMAGE_PIXELS == settings.MAX_IMAGE_PIXELS
    # Between Pillow's limit and twice it, Pillow only warns; here that warning is an error.
    with warnings.catch_warnings():
        images.configure_pillow()
        with pytest.raises(Image.DecompressionBombWarning):
            Image.open(images.io.BytesIO(bomb_png(8000, 8000)))


def test_the_heic_display_copy_refuses_a_bomb_without_decoding_it(tmp_path):
    original = tmp_path / "photo.heic"
    original.write_bytes(bomb_png())

    with pytest.raises(images.ImageTooLarge):
        photos.jpeg_for_display(original.read_bytes())
    with pytest.raises(photos.NoDisplayCopy):
        photos.display_copy(file_id=1, sha256="0" * 64, original=original)


def test_export_scaling_refuses_a_bomb_without_decoding_it():
    with pytest.raises(images.ImageTooLarge):
        print_sized_image(bomb_png(), "image/png")
    # A stored file over the limit only by our (lower) setting is refused too.
    with pytest.raises(images.ImageTooLarge):
        print_sized_image(bomb_png(8000, 8000), "image/png")


def test_the_memory_cap_stops_an_allocation_during_the_block_and_is_lifted_after():
    with address_space_limit(1024**3), pytest.raises(MemoryError):
        bytearray(2 * 1024**3)
    assert len(bytearray(64 * 1024**2)) == 64 * 1024**2


# --- A runaway render, under a real worker ---------------------------------------------------


def hungry_render(portfolio, target, **kwargs):
    """A render that needs 8 GB at once (as decoding a bomb would)."""
    block = bytearray(8 * 1024**3)
    block[::4096] = b"\x01" * len(block[::4096])  # touch every page, so it is really used
    target.write_bytes(b"%PDF-1.7\n")
    raise AssertionError("the render was not stopped")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_runaway_render_fails_during_the_task_with_a_message(
    tmp_path, media_root, portfolio, people
):
    env = project_environment(
        tmp_path,
        media_root,
        settings_module="tests.exports.memory_worker_settings",
        EXPORT_MEMORY_LIMIT_BYTES=str(1536 * 1024**2),
    )
    log_path = tmp_path / "worker.log"
    with celery_worker(env, log_path) as worker:
        job_id = request_export_in_another_process(
            env, portfolio_id=portfolio.pk, user_id=people[Role.CENTRE_ADMIN].pk
        )
        subprocesses.wait_for(
            lambda: ExportJob.objects.filter(pk=job_id, status=ExportStatus.FAILED).exists(),
            process=worker,
            log_path=log_path,
            what="the failed export",
        )

    job = ExportJob.objects.get(pk=job_id)
    assert job.attempts == 1  # failed in the task, not by a killed and redelivered worker
    assert "ran out of memory (the limit is 1.5 GB)" in job.error, job.error
