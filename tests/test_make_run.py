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


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (honcho starts each child in a session of its own)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        children = {child for child, parent in parents.items() if parent in frontier}
        frontier = children - found
        found |= children
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie has exited; it only waits for its parent to read its status.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


def test_web_server_and_worker_start_together_and_stop_on_ctrl_c(tmp_path: Path):
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        # A private SQLite database: this test is about processes, not the database.
        if not key.startswith(("DJANGO_", "CELERY_TASK_DEFAULT_QUEUE", "DATABASE_URL"))
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
    processes: set[int] = set()
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
        processes = descendants(honcho.pid)
        assert len(processes) >= 2  # the web server and the worker, and their children

        os.killpg(honcho.pid, signal.SIGINT)  # Ctrl-C reaches the terminal's foreground group
        honcho.wait(timeout=60)
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in processes) and time.monotonic() < deadline:
            time.sleep(0.2)
        survivors = [pid for pid in processes if alive(pid)]
        assert not survivors, f"{survivors} outlived Ctrl-C:\n" + log_path.read_text()
    finally:
        for pid in [*(processes | descendants(honcho.pid)), honcho.pid]:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
