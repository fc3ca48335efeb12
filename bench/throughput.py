"""Requests per second of the learner dashboard against a view that makes one query, on the same
gunicorn server (2 sync workers), in the same run.

    .venv/bin/python -m bench.throughput [--users 8] [--seconds 20]

Starts gunicorn with the production settings on a free loopback port, then drives it with
locust (headless, in its own process) for ``--seconds`` on /healthz (one SELECT 1, no session)
and then on /dashboard/learner/ (learners with 300 items each, logged in with session cookies
made beforehand, so that no password hashing falls in the measured window). Prints requests
per second, p50/p95 latency and failures of each, and their ratio. Asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess

from bench import common

PAGES = [("health check (1 query)", "/healthz"), ("learner dashboard", "/dashboard/learner/")]


def session_cookies(count: int) -> list[str]:
    """Session keys of ``count`` learners with 300 items, logged in as Django's test client
    does (a real session row in the database the server reads)."""
    from django.test import Client

    from portfolio_site.accounts.models import User

    learners = User.objects.filter(username__startswith="bench-learner-0").order_by("username")
    cookies = []
    for learner in learners[:count]:
        client = Client()
        client.force_login(learner)
        cookies.append(client.cookies["sessionid"].value)
    return cookies


def drive(base_url: str, path: str, *, users: int, seconds: int, sessions: str | None) -> dict:
    """One headless locust run against ``path``: its aggregated figures."""
    prefix = common.LOG_DIR / f"locust-throughput{path.replace('/', '-')}"
    env = common.server_environment()
    env["BENCH_PATH"] = path
    if sessions:
        env["BENCH_SESSIONS"] = sessions
    completed = subprocess.run(  # noqa: S603 (locust from this virtualenv)
        [
            str(common.BIN / "locust"),
            "-f",
            str(common.BASE_DIR / "bench" / "locustfile_throughput.py"),
            "--headless",
            f"--users={users}",
            f"--spawn-rate={users}",
            f"--run-time={seconds}s",
            f"--host={base_url}",
            f"--csv={prefix}",
            "--only-summary",
            "--stop-timeout=5",
            "--loglevel=WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 120,
        check=False,
    )
    (common.LOG_DIR / f"{prefix.name}.log").write_text(completed.stdout + completed.stderr)
    with open(f"{prefix}_stats.csv") as stats:
        aggregated = next(row for row in csv.DictReader(stats) if row["Name"] == "Aggregated")
    return {
        "requests": int(aggregated["Request Count"]),
        "failures": int(aggregated["Failure Count"]),
        "rps": float(aggregated["Requests/s"]),
        "p50_ms": float(aggregated["50%"]),
        "p95_ms": float(aggregated["95%"]),
    }


def run(*, users: int = 8, seconds: int = 20) -> dict[str, dict]:
    sessions_file = common.BENCH_VAR / "throughput-sessions.json"
    sessions_file.write_text(json.dumps(session_cookies(users)))
    results = {}
    with common.gunicorn(workers=2) as (base_url, _):
        for label, path in PAGES:
            print(f"  {label}: {users} locust users for {seconds} s ...", flush=True)
            results[label] = drive(
                base_url,
                path,
                users=users,
                seconds=seconds,
                sessions=str(sessions_file) if path != "/healthz" else None,
            )
    return results


def print_results(results: dict[str, dict]) -> None:
    rows = [
        [
            label,
            f"{r['rps']:.1f}",
            f"{r['p50_ms']:.0f}",
            f"{r['p95_ms']:.0f}",
            f"{r['requests']}",
            f"{r['failures']}",
        ]
        for label, r in results.items()
    ]
    common.print_table(["page", "req/s", "p50 (ms)", "p95 (ms)", "requests", "failures"], rows)
    health, dashboard = (results[label] for label, _ in PAGES)
    print(
        f"\nDashboard / health check throughput: "
        f"{common.ratio(dashboard['rps'], health['rps']):.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=8, help="concurrent locust users")
    parser.add_argument("--seconds", type=int, default=20, help="length of each run")
    args = parser.parse_args()
    common.prepare()
    print_results(run(users=args.users, seconds=args.seconds))


if __name__ == "__main__":
    main()
