"""A real Celery worker process takes a task from the broker and runs it.

On the embedded default the broker is kombu's filesystem transport (no Redis); in CI's second
run CELERY_BROKER_URL points at Redis and the same test runs against it.
"""

import subprocess
import sys

import pytest
from django.conf import settings

from tests import subprocesses
from tests.subprocesses import celery_worker, project_environment

pytestmark = pytest.mark.worker


def test_worker_process_sends_queued_email(tmp_path):
    env = project_environment(
        tmp_path, tmp_path / "media", settings_module="portfolio_site.settings"
    )
    log_path = tmp_path / "worker.log"
    mail_folder = tmp_path / "mail"
    with celery_worker(env, log_path) as worker:
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
        subprocesses.wait_for(
            lambda: any(mail_folder.glob("*.log")),
            process=worker,
            log_path=log_path,
            what="the email",
            seconds=60,
        )

    messages = [path.read_text() for path in mail_folder.glob("*.log")]
    assert len(messages) == 1
    assert "Subject: Worker check" in messages[0]
    assert "To: learner@example.org" in messages[0]
    assert "Sent by the worker." in messages[0]
    worker_log = log_path.read_text()
    assert "send_email" in worker_log and "succeeded" in worker_log
