"""A real Celery worker process takes a task from the broker and runs it.

On the embedded default the broker is kombu's filesystem transport (no Redis); in CI's second
run CELERY_BROKER_URL points at Redis and the same test runs against it.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.worker


def project_environment(tmp_path: Path, queue: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "PYTEST_CURRENT_TEST"
    }
    env.update(
        DJANGO_SETTINGS_MODULE="portfolio_site.settings",
        DJANGO_VAR_DIR=str(tmp_path / "var"),  # a private filesystem broker folder
        EMAIL_URL=f"filemail://{tmp_path / 'mail'}",
        CELERY_TASK_DEFAULT_QUEUE=queue,  # a private queue on a shared Redis
        PYTHONUNBUFFERED="1",
    )
    return env


def test_worker_process_sends_queued_email(tmp_path):
    env = project_environment(tmp_path, queue=f"test-{uuid.uuid4().hex}")
    log = (tmp_path / "worker.log").open("w+")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portfolio_site",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        enqueue = (
            "from portfolio_site.accounts.tasks import send_email;"
            "send_email.delay(subject='Worker check', body='Sent by the worker.',"
            " to=['learner@example.org'])"
        )
        subprocess.run(
            [sys.executable, "manage.py", "shell", "--verbosity=0", "-c", enqueue],
            cwd=settings.BASE_DIR,
            env=env,
            check=True,
            timeout=60,
        )

        mail_folder = tmp_path / "mail"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not list(mail_folder.glob("*.log")):
            assert worker.poll() is None, "the worker exited early"
            time.sleep(0.2)

        messages = [path.read_text() for path in mail_folder.glob("*.log")]
        log.seek(0)
        assert len(messages) == 1, f"no email within 60 s; worker log:\n{log.read()}"
        assert "Subject: Worker check" in messages[0]
        assert "To: learner@example.org" in messages[0]
        assert "Sent by the worker." in messages[0]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()

    worker_log = (tmp_path / "worker.log").read_text()
    assert "send_email" in worker_log and "succeeded" in worker_log
