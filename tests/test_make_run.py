"""`make run` serves the web app and a Celery worker together; Ctrl-C stops both.

Runs the same Procfile the Makefile runs, in its own process group, and sends SIGINT to the
group as a terminal does on Ctrl-C.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.worker


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def test_web_server_and_worker_start_together_and_stop_on_ctrl_c(tmp_path: Path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_TASK_DEFAULT_QUEUE"))
        and key != "PYTEST_CURRENT_TEST"
    }
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}",
        DJANGO_SETTINGS_MODULE="portfolio_site.settings",
        DJANGO_VAR_DIR=str(tmp_path / "var"),
        CELERY_TASK_DEFAULT_QUEUE=f"make-run-test-{port}",
        HOST="127.0.0.1",
        PORT=str(port),
        PYTHONUNBUFFERED="1",
    )
    log_path = tmp_path / "run.log"
    with log_path.open("w") as log:
        honcho = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "honcho",
                "--procfile",
                "portfolio_site/Procfile.dev",
                "--app-root",
                ".",
                "start",
            ],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, like a terminal's foreground job
        )
    pgid = honcho.pid
    try:
        deadline = time.monotonic() + 90
        served = worker_ready = False
        while time.monotonic() < deadline and not (served and worker_ready):
            assert honcho.poll() is None, log_path.read_text()
            worker_ready = " ready." in log_path.read_text()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    served = r.status == 200
            except OSError:
                pass
            time.sleep(0.5)
        assert served and worker_ready, log_path.read_text()

        os.killpg(pgid, signal.SIGINT)  # Ctrl-C
        honcho.wait(timeout=60)
        deadline = time.monotonic() + 30
        while group_alive(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not group_alive(pgid), "a process outlived Ctrl-C:\n" + log_path.read_text()
    finally:
        if group_alive(pgid):
            os.killpg(pgid, signal.SIGKILL)
