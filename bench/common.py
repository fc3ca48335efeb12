"""What the benchmarks share: where their files go, the services they need, and the server
processes (gunicorn, a Celery worker) they start and always stop again.

Everything runs against PostgreSQL and Redis named by BENCH_DATABASE_URL and BENCH_REDIS_URL,
with media, static files and logs under var/bench-pg/, so a benchmark never touches the
developer's var/db.sqlite3 or media. bench/export_pdf.py keeps to var/bench/ on its own.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

BASE_DIR = Path(__file__).resolve().parent.parent
# As the benchmark was started: setup_django() changes this process's environment.
ORIGINAL_ENVIRONMENT = dict(os.environ)
BIN = Path(sys.executable).parent
BENCH_VAR = BASE_DIR / "var" / "bench-pg"
MEDIA_ROOT = BENCH_VAR / "media"
LOG_DIR = BENCH_VAR / "logs"

DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/nvq_bench")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
# A queue of our own, so that a worker of another checkout on the same Redis takes nothing.
CELERY_QUEUE = "nvq-bench"
# Above the 500 MB of the upload benchmark (the default limit is 200 MB).
MAX_UPLOAD_BYTES = 600 * 1024 * 1024

# Every seeded account has this password (they exist only in the benchmark database).
PASSWORD = "bench-portfolio-password"  # noqa: S105 (a throwaway database's test accounts)
SMALL_LEARNER = "bench-learner-small"  # exactly 10 evidence items
LARGE_LEARNER = "bench-learner-large"  # exactly 1,000 evidence items
CENTRE_CODE = "bench-large-centre"


def server_environment() -> dict[str, str]:
    """The environment of every process of the benchmark: in-process Django, gunicorn, Celery."""
    env = os.environ.copy()
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_DEBUG", "CACHE_URL"):
        env.pop(name, None)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_ENV": "production",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-for-the-loopback-benchmark-server-0000",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DJANGO_VAR_DIR": str(BENCH_VAR),
            "DJANGO_MEDIA_ROOT": str(MEDIA_ROOT),
            "DJANGO_STATIC_ROOT": str(BENCH_VAR / "static"),
            "DATABASE_URL": DATABASE_URL,
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_TASK_DEFAULT_QUEUE": CELERY_QUEUE,
            "EMAIL_URL": "dummymail://",
            "EVIDENCE_MAX_FILE_BYTES": str(MAX_UPLOAD_BYTES),
            "DJANGO_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(BASE_DIR),
        }
    )
    return env


def setup_django() -> None:
    """Configure this process like the server and set Django up."""
    os.environ.update(server_environment())
    if str(BASE_DIR) not in sys.path:
        sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def require_services() -> None:
    """Exit with a clear message unless PostgreSQL and Redis answer."""
    import psycopg2
    import redis

    database = urlparse(DATABASE_URL)
    try:
        psycopg2.connect(
            host=database.hostname,
            port=database.port or 5432,
            user=database.username or "postgres",
            password=database.password or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg2.OperationalError as error:
        sys.exit(
            f"make bench needs PostgreSQL at {database.hostname}:{database.port or 5432} "
            f"(BENCH_DATABASE_URL={DATABASE_URL}): {str(error).strip()}"
        )
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        sys.exit(f"make bench needs Redis (BENCH_REDIS_URL={REDIS_URL}): {error}")


def stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C does, so the finally blocks stop what was started."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def prepare() -> None:
    """What every benchmark does first: check PostgreSQL and Redis, make SIGTERM stop the
    processes it starts, set Django up, and seed the centre if it is not there yet."""
    require_services()
    stop_on_sigterm()
    setup_django()
    from bench.seed_large_centre import ensure_seeded  # it imports this module

    print(f"Benchmark database {DATABASE_URL}: {ensure_seeded()}", flush=True)


# --- Processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], *, log_name: str, env: dict | None = None) -> subprocess.Popen:
    """A child in its own process group (so that stop() ends it and all its children)."""
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log = (LOG_DIR / log_name).open("ab")
    return subprocess.Popen(  # noqa: S603 (our own programs, with our own arguments)
        command,
        cwd=BASE_DIR,
        env=env or server_environment(),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, *, grace: float = 15) -> None:
    """SIGTERM to the process group, then SIGKILL to what is left after ``grace`` seconds."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_for_http(url: str, *, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode}; see logs")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


@contextlib.contextmanager
def gunicorn(*, workers: int = 2, timeout: int = 300) -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn with sync workers on a free loopback port: yields (base URL, master process).

    The worker timeout is raised from 30 s because a sync worker handles a 500 MB upload
    itself (with nginx in front, nginx buffers the body and the worker never waits for it).
    """
    port = free_port()
    master = start(
        [
            str(BIN / "gunicorn"),
            "portfolio_site.wsgi:application",
            f"--workers={workers}",
            "--worker-class=sync",
            f"--bind=127.0.0.1:{port}",
            f"--timeout={timeout}",
            "--graceful-timeout=10",
        ],
        log_name="gunicorn.log",
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{base_url}/healthz", process=master)
        # Both workers up (the health check may have been answered by the first alone).
        deadline = time.monotonic() + 30
        while len(child_pids(master.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        yield base_url, master
    finally:
        stop(master)


@contextlib.contextmanager
def celery_worker(*, concurrency: int = 1) -> Iterator[subprocess.Popen]:
    worker = start(
        [
            str(BIN / "celery"),
            "-A",
            "portfolio_site",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            f"--queues={CELERY_QUEUE}",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            f"--hostname=bench-{os.getpid()}@%h",
        ],
        log_name="celery.log",
    )
    try:
        yield worker
    finally:
        # Warm shutdown lets a running export finish or go back to the queue.
        stop(worker, grace=60)


def child_pids(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's workers), from /proc."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in children.split()]


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, in KiB; empty if it is gone."""
    figures = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                figures[name] = int(value.split()[0])
    except OSError:
        return {}
    return figures


# --- Figures -----------------------------------------------------------------------------------


def median(values) -> float:
    return statistics.median(values)


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def print_table(headers: list[str], rows: list[list], *, file=None) -> None:
    """A Markdown table, right-aligned but for the first column."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]
    out = file or sys.stdout

    def line(row):
        first, *rest = row
        parts = [f"{first:<{widths[0]}}"] + [
            f"{cell:>{width}}" for cell, width in zip(rest, widths[1:], strict=True)
        ]
        return "| " + " | ".join(parts) + " |"

    print(line(headers), file=out)
    print(
        "|" + "|".join(["-" * (widths[0] + 2)] + [("-" * (w + 1)) + ":" for w in widths[1:]]) + "|",
        file=out,
    )
    for row in cells:
        print(line(row), file=out)
    out.flush()
