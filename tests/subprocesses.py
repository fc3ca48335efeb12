"""The project's own processes, started by tests the way production runs them: a Celery worker
and a web server, each a separate process on this test's database and media folder.

Tests that need work to cross a process boundary (a task sent to a broker and picked up by a
worker; a page that queues a job) use these instead of the in-process, eager defaults.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

WAIT_SECONDS = 90


def database_url() -> str:
    """The database this test runs in, as a URL for another process's settings."""
    database = connection.settings_dict
    if database["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{database['NAME']}"
    credentials = database["USER"] + (f":{database['PASSWORD']}" if database["PASSWORD"] else "")
    return (
        f"postgres://{credentials}@{database['HOST'] or 'localhost'}:{database['PORT'] or 5432}"
        f"/{database['NAME']}"
    )


def project_environment(
    tmp_path: Path, media_root: Path, *, settings_module: str, **extra: str
) -> dict[str, str]:
    """The environment for a project process: this test's database and media, a private
    filesystem broker folder and a private queue (so a shared Redis or a developer's running
    worker never takes the test's tasks)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "EXPORT_", "CELERY_TASK_"))
        and key not in ("PYTEST_CURRENT_TEST", "DATABASE_URL")
    }
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        DATABASE_URL=database_url(),
        DJANGO_MEDIA_ROOT=str(media_root),
        DJANGO_VAR_DIR=str(tmp_path / "var"),
        EMAIL_URL=f"filemail://{tmp_path / 'mail'}",
        CELERY_TASK_DEFAULT_QUEUE=f"test-{uuid.uuid4().hex}",
        PYTHONUNBUFFERED="1",
        **extra,
    )
    return env


@contextmanager
def _process(command: list[str], env: dict[str, str], log_path: Path) -> Iterator:
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            yield process
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def celery_worker(env: dict[str, str], log_path: Path):
    """A prefork worker with one child (so there is a child process to kill)."""
    return _process(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portfolio_site",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=INFO",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
        log_path,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def web_server(env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Django's development server in its own process; yields its base URL once it answers."""
    port = free_port()
    command = [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    with _process(command, env, log_path) as server:
        url = f"http://127.0.0.1:{port}"

        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                    return response.status == 200
            except OSError:
                return False

        wait_for(answers, process=server, log_path=log_path, what="web server")
        yield url


def wait_for(
    condition: Callable[[], bool],
    *,
    process: subprocess.Popen,
    log_path: Path,
    what: str,
    seconds: float = WAIT_SECONDS,
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        assert process.poll() is None, (
            f"the process exited while waiting for {what}:\n{log_path.read_text()}"
        )
        time.sleep(0.1)
    pytest.fail(f"no {what} within {seconds} s; log:\n{log_path.read_text()}")
