"""Exports through a real Celery worker process, killed half-way through a render.

The worker runs the prefork pool with one child, so there is a child process to kill, on the
filesystem broker by default and on Redis when CELERY_BROKER_URL points there (CI's second
run). It uses this test's own database and MEDIA_ROOT, a private queue, and
tests/exports/worker_settings.py, whose renderer makes a real PDF with WeasyPrint but pauses
between stages so that the kill lands mid-render.
"""

import hashlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from pypdf import PdfReader

from portfolio_site.accounts.models import Role
from portfolio_site.exports.models import ExportJob, ExportStatus
from tests import subprocesses
from tests.subprocesses import celery_worker, project_environment

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def worker_environment(tmp_path: Path, media_root: Path, **extra: str) -> dict[str, str]:
    return project_environment(
        tmp_path, media_root, settings_module="tests.exports.worker_settings", **extra
    )


def run_project_command(env: dict[str, str], command: list[str]) -> str:
    """Run ``command`` from the project folder with ``env``; returns its standard output (logs
    go to standard error)."""
    finished = subprocess.run(
        command,
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    return finished.stdout


def run_in_another_process(env: dict[str, str], script: str) -> str:
    """Run ``script`` in a project process, as the web process would: services there send
    their tasks to the broker (not eagerly, as in-process tests do)."""
    return run_project_command(
        env, [sys.executable, "manage.py", "shell", "--verbosity=0", "-c", script]
    )


def request_export_in_another_process(env: dict[str, str], *, portfolio_id, user_id) -> int:
    """Ask for an export as the web process does: the service commits the row and sends the
    task to the broker."""
    printed = run_in_another_process(
        env,
        "from evidence.models import Portfolio;"
        "from portfolio_site.accounts.models import User;"
        "from portfolio_site.exports.services import export_request;"
        f"job, _ = export_request(portfolio=Portfolio.objects.get(pk={portfolio_id}),"
        f" requested_by=User.objects.get(pk={user_id}));"
        "print(job.pk)",
    )
    return int(printed.strip().splitlines()[-1])


def wait_for(condition: Callable[[], bool], *, worker, log_path: Path, what: str) -> None:
    subprocesses.wait_for(condition, process=worker, log_path=log_path, what=what)


def export_files(media_root: Path) -> list[Path]:
    folder = media_root / "exports"
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def test_a_worker_killed_mid_render_is_redelivered_and_makes_one_file(
    tmp_path, media_root, portfolio, people, client_for
):
    admin = people[Role.CENTRE_ADMIN]
    # Each run holds its half-written file for 6 s: time to look at it, and to kill it.
    env = worker_environment(
        tmp_path, media_root, EXPORT_TEST_STAGE_SECONDS="1", EXPORT_TEST_HALF_WRITTEN_SECONDS="6"
    )
    log_path = tmp_path / "worker.log"
    with celery_worker(env, log_path) as worker:
        job_id = request_export_in_another_process(env, portfolio_id=portfolio.pk, user_id=admin.pk)
        job = ExportJob.objects.get(pk=job_id)
        folder = media_root / "exports" / str(portfolio.pk)

        # Wait until the render is writing its temporary file (the first half is on disk).
        wait_for(
            lambda: any(folder.glob(f".{job.reference}.*.part")),
            worker=worker,
            log_path=log_path,
            what="half-written export",
        )
        job.refresh_from_db()
        assert job.status == ExportStatus.RUNNING and job.attempts == 1

        # While it runs, nothing is downloadable and no file has its final name.
        download = client_for(admin).get(reverse("exports:job-download", args=[job.pk]))
        assert download.status_code == 404
        assert not (folder / f"{job.reference}.pdf").exists()
        job.refresh_from_db()
        assert job.status == ExportStatus.RUNNING, "the render finished before it was killed"

        killed_pid = int(job.run_by.rsplit(":", 1)[1])
        assert killed_pid != worker.pid  # the pool's child, not the worker itself
        os.kill(killed_pid, signal.SIGKILL)

        def finished() -> bool:
            job.refresh_from_db()
            return job.status not in (ExportStatus.QUEUED, ExportStatus.RUNNING)

        wait_for(finished, worker=worker, log_path=log_path, what="finished export")

    log = log_path.read_text()
    assert job.status == ExportStatus.READY, f"{job.status}: {job.error}\n{log}"
    assert job.attempts == 2  # the killed run and the redelivered one
    assert int(job.run_by.rsplit(":", 1)[1]) != killed_pid
    assert "signal 9" in log  # the worker saw its child killed

    files = export_files(media_root)
    assert files == [media_root / job.file.name]  # one file, no temporary ones left
    pdf = files[0].read_bytes()
    assert hashlib.sha256(pdf).hexdigest() == job.sha256 and len(pdf) == job.size
    assert len(PdfReader(files[0]).pages) == job.page_count == 3

    download = client_for(admin).get(reverse("exports:job-download", args=[job.pk]))
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == job.sha256


def test_a_render_past_the_soft_time_limit_fails_with_a_message(
    tmp_path, media_root, portfolio, people
):
    admin = people[Role.CENTRE_ADMIN]
    env = worker_environment(
        tmp_path,
        media_root,
        EXPORT_TEST_STAGE_SECONDS="5",
        EXPORT_SOFT_TIME_LIMIT="2",
        EXPORT_TIME_LIMIT="20",
    )
    log_path = tmp_path / "worker.log"
    with celery_worker(env, log_path) as worker:
        job_id = request_export_in_another_process(env, portfolio_id=portfolio.pk, user_id=admin.pk)
        job = ExportJob.objects.get(pk=job_id)

        def finished() -> bool:
            job.refresh_from_db()
            return job.status == ExportStatus.FAILED

        wait_for(finished, worker=worker, log_path=log_path, what="failed export")

    assert job.error.startswith("The export took longer than 2 seconds and was stopped.")
    assert job.attempts == 1
    assert export_files(media_root) == []


def test_an_export_whose_message_the_broker_lost_is_shown_as_lost_and_retry_makes_it(
    tmp_path, media_root, portfolio, people, client_for
):
    """Redis keeps its queue in memory (CI runs it with --save ""): restarted, it forgets every
    queued export. The job must not wait as "Queued" for ever, blocking new requests."""
    admin = people[Role.CENTRE_ADMIN]
    env = worker_environment(tmp_path, media_root, EXPORT_TEST_STAGE_SECONDS="0")
    # Asked for with no worker running; then the broker loses the message.
    job_id = request_export_in_another_process(env, portfolio_id=portfolio.pk, user_id=admin.pk)
    queue = env["CELERY_TASK_DEFAULT_QUEUE"]
    purged = run_project_command(
        env,
        [sys.executable, "-m", "celery", "-A", "portfolio_site", "purge", "-f", "-Q", queue],
    )
    assert "Purged 1 message" in purged, purged

    page_url = reverse("exports:portfolio-exports", args=[portfolio.pk])
    page = client_for(admin).get(page_url).content.decode()
    assert "Waiting for a worker to start it." in page  # within the patience: still queued

    # An hour and a bit later, the page says what happened and offers Retry.
    job = ExportJob.objects.get(pk=job_id)
    ExportJob.objects.filter(pk=job_id).update(
        queued_at=job.queued_at - timedelta(seconds=settings.EXPORT_QUEUE_PATIENCE + 60)
    )
    page = client_for(admin).get(page_url).content.decode().replace("\xa0", " ")
    assert "No worker started this export in 1 hour" in page
    assert reverse("exports:job-retry", args=[job_id]) in page

    # Retry, as the web process does it, sends a new message that a worker takes.
    log_path = tmp_path / "worker.log"
    with celery_worker(env, log_path) as worker:
        run_in_another_process(
            env,
            "from portfolio_site.accounts.models import User;"
            "from portfolio_site.exports.models import ExportJob;"
            "from portfolio_site.exports.services import export_retry;"
            f"export_retry(job=ExportJob.objects.get(pk={job_id}),"
            f" user=User.objects.get(pk={admin.pk}))",
        )

        def finished() -> bool:
            job.refresh_from_db()
            return job.status in (ExportStatus.READY, ExportStatus.FAILED)

        wait_for(finished, worker=worker, log_path=log_path, what="retried export")

    assert job.status == ExportStatus.READY, job.error
    assert (job.retries, job.attempts) == (1, 1)
    assert export_files(media_root) == [media_root / job.file.name]
