"""A bounded load run: 100 simulated users for 60 seconds against gunicorn + Celery +
PostgreSQL + Redis on the loopback, then a count of what it left behind.

    .venv/bin/python -m bench.load [--users 100] [--seconds 60]

Starts gunicorn (2 sync workers, production settings) and a Celery worker (prefork,
concurrency 1, on a queue of its own in Redis database 5), and runs locust headless
(bench/locustfile_load.py: learners, assessors, IQAs and centre admins logging in through the
form, reading their pages, creating items, uploading small files and exporting the 10-item
portfolio; spawn rate 10 a second). Users finish the task they are in when the time is up.
Afterwards it gives the worker up to 90 s to finish the exports, stops everything and checks:

- no answer was a server error (5xx), and the server logged none;
- every upload locust saw succeed has its row, and every new row was seen succeed by locust
  (matched by item and SHA-256); every new row has its file on disk, under
  MEDIA_ROOT/evidence, hashing to the row's SHA-256; no new file on disk lacks a row; nothing
  is left in MEDIA_ROOT/.incoming;
- every export asked for in the run is ready (or still queued or running), none failed.

Prints a summary and exits non-zero if any check fails.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench import common

EXPORT_DRAIN_SECONDS = 90


def write_accounts(path: Path) -> None:
    from evidence.models import Portfolio
    from portfolio_site.accounts.models import User

    portfolios = Portfolio.objects.filter(centre__code=common.CENTRE_CODE).select_related(
        "learner", "assessor"
    )
    # Learners with 300 items upload; the 10- and 1,000-item ones stay as seeded for bench.pages.
    learners = [
        {"username": p.learner.username, "portfolio": p.pk}
        for p in portfolios.order_by("learner__username")
        if p.learner.username.startswith("bench-learner-0")
        or p.learner.username.startswith("bench-learner-1")
    ]
    assessors = {}
    for portfolio in portfolios:
        assessors.setdefault(portfolio.assessor.username, []).append(portfolio.pk)
    path.write_text(
        json.dumps(
            {
                "password": common.PASSWORD,
                "learners": learners,
                "assessors": [
                    {"username": name, "portfolios": ids} for name, ids in sorted(assessors.items())
                ],
                "iqas": sorted(
                    User.objects.filter(username__startswith="bench-iqa-").values_list(
                        "username", flat=True
                    )
                ),
                "admin": "bench-admin",
                "export_portfolio": portfolios.get(learner__username=common.SMALL_LEARNER).pk,
            }
        )
    )


def evidence_files_on_disk() -> set[str]:
    root = common.MEDIA_ROOT / "evidence"
    return {str(path.relative_to(common.MEDIA_ROOT)) for path in root.rglob("*") if path.is_file()}


def incoming_files() -> list[Path]:
    folder = common.MEDIA_ROOT / ".incoming"
    return [path for path in folder.iterdir() if path.is_file()] if folder.exists() else []


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_locust(base_url: str, *, users: int, seconds: int, accounts: Path, results: Path):
    prefix = common.LOG_DIR / "locust-load"
    env = common.server_environment()
    env.update({"BENCH_LOAD_ACCOUNTS": str(accounts), "BENCH_LOAD_RESULTS": str(results)})
    completed = subprocess.run(  # noqa: S603 (locust from this virtualenv)
        [
            str(common.BIN / "locust"),
            "-f",
            str(common.BASE_DIR / "bench" / "locustfile_load.py"),
            "--headless",
            f"--users={users}",
            "--spawn-rate=10",
            f"--run-time={seconds}s",
            # Users finish the task they are in (an upload's requests) before locust stops.
            "--stop-timeout=120",
            f"--host={base_url}",
            f"--csv={prefix}",
            "--only-summary",
            "--loglevel=WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=seconds + 300,
        check=False,
    )
    (common.LOG_DIR / "locust-load.log").write_text(completed.stdout + completed.stderr)
    with open(f"{prefix}_stats.csv") as stats:
        rows = list(csv.DictReader(stats))
    return rows


def run(*, users: int = 100, seconds: int = 60) -> dict:
    from evidence.models import EvidenceFile, EvidenceItem
    from portfolio_site.exports.models import ExportJob, ExportStatus

    accounts = common.BENCH_VAR / "load-accounts.json"
    results_path = common.BENCH_VAR / "load-results.json"
    results_path.unlink(missing_ok=True)
    write_accounts(accounts)

    last_file = EvidenceFile.all_objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_item = EvidenceItem.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    last_export = ExportJob.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    files_before = evidence_files_on_disk()
    gunicorn_log = common.LOG_DIR / "gunicorn.log"
    log_offset = gunicorn_log.stat().st_size if gunicorn_log.exists() else 0

    started = time.perf_counter()
    with (
        common.celery_worker(concurrency=1),
        common.gunicorn(workers=2, timeout=120) as (
            base_url,
            _,
        ),
    ):
        print(f"  locust: {users} users (10 a second) for {seconds} s against {base_url}")
        stats = run_locust(
            base_url, users=users, seconds=seconds, accounts=accounts, results=results_path
        )
        print(f"  locust finished after {time.perf_counter() - started:.0f} s", flush=True)
        deadline = time.monotonic() + EXPORT_DRAIN_SECONDS
        run_exports = ExportJob.objects.filter(pk__gt=last_export)
        while (
            time.monotonic() < deadline
            and run_exports.filter(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING]).exists()
        ):
            time.sleep(1)

    seen = json.loads(results_path.read_text())
    new_rows = list(EvidenceFile.all_objects.filter(pk__gt=last_file))
    files_after = evidence_files_on_disk()
    new_on_disk = files_after - files_before
    rows_without_file, rows_with_wrong_hash = [], []
    for row in new_rows:
        path = common.MEDIA_ROOT / row.file.name
        if not path.is_file():
            rows_without_file.append(row.file.name)
        elif sha256_of(path) != row.sha256:
            rows_with_wrong_hash.append(row.file.name)
    seen_ok = {(upload["item"], upload["sha256"]) for upload in seen["uploads_ok"]}
    rows = {(row.item_id, row.sha256) for row in new_rows}
    with gunicorn_log.open("rb") as log:
        log.seek(log_offset)
        server_log = log.read().decode(errors="replace")
    aggregated = next(row for row in stats if row["Name"] == "Aggregated")
    exports = dict(
        Counter(ExportJob.objects.filter(pk__gt=last_export).values_list("status", flat=True))
    )
    return {
        "users": users,
        "seconds": seconds,
        # Counted by the locustfile as answers arrived (locust's CSV can miss the last few).
        "requests": sum(seen["status_counts"].values()),
        "failures": int(aggregated["Failure Count"]),
        "rps": float(aggregated["Requests/s"]),
        "p50_ms": float(aggregated["50%"]),
        "p95_ms": float(aggregated["95%"]),
        "by_name": {
            row["Name"]: (int(row["Request Count"]), float(row["50%"]), float(row["95%"]))
            for row in stats
            if row["Name"] != "Aggregated"
        },
        "status_counts": seen["status_counts"],
        "server_errors": len(seen["server_errors"]),
        "server_log_errors": server_log.count("Internal Server Error")
        + server_log.count("Traceback"),
        "items_created_seen": len(seen["items_created"]),
        "items_created_rows": EvidenceItem.objects.filter(pk__gt=last_item).count(),
        "uploads_ok_seen": len(seen_ok),
        "uploads_refused_seen": len(seen["uploads_refused"]),
        "new_rows": len(new_rows),
        "new_files_on_disk": len(new_on_disk),
        "seen_without_row": len(seen_ok - rows),
        "rows_not_seen": len(rows - seen_ok),
        "rows_without_file": len(rows_without_file),
        "rows_with_wrong_hash": len(rows_with_wrong_hash),
        "files_without_row": len(new_on_disk - {row.file.name for row in new_rows}),
        "incoming_left": len(incoming_files()),
        "exports": exports,
        "exports_requested_seen": seen["exports_requested"],
    }


def problems(result: dict) -> list[str]:
    found = []
    if result["server_errors"] or any(code.startswith("5") for code in result["status_counts"]):
        found.append(f"{result['server_errors']} server errors (5xx)")
    if result["server_log_errors"]:
        found.append(f"{result['server_log_errors']} errors in the server's log")
    for key, what in [
        ("seen_without_row", "uploads seen to succeed with no row"),
        ("rows_not_seen", "rows of uploads locust did not see succeed"),
        ("rows_without_file", "rows whose file is missing"),
        ("rows_with_wrong_hash", "files whose SHA-256 differs from their row"),
        ("files_without_row", "new files on disk with no row"),
        ("incoming_left", "temporary uploads left in MEDIA_ROOT/.incoming"),
    ]:
        if result[key]:
            found.append(f"{result[key]} {what}")
    if result["new_rows"] != result["new_files_on_disk"]:
        found.append(f"{result['new_rows']} rows but {result['new_files_on_disk']} new files")
    if result["exports"].get("failed"):
        found.append(f"{result['exports']['failed']} exports failed")
    if result["uploads_ok_seen"] == 0:
        found.append("no upload succeeded at all")
    return found


def print_result(result: dict) -> None:
    print(
        f"{result['users']} users, {result['seconds']} s: {result['requests']} requests "
        f"({result['rps']:.1f}/s), p50 {result['p50_ms']:.0f} ms, p95 {result['p95_ms']:.0f} ms, "
        f"{result['failures']} failures; answers by status "
        f"{dict(sorted(result['status_counts'].items()))}"
    )
    common.print_table(
        ["request", "count", "p50 (ms)", "p95 (ms)"],
        [
            [name, count, f"{p50:.0f}", f"{p95:.0f}"]
            for name, (count, p50, p95) in sorted(result["by_name"].items())
        ],
    )
    print(
        f"\nItems created: {result['items_created_seen']} seen by locust, "
        f"{result['items_created_rows']} new rows.\n"
        f"Uploads: {result['uploads_ok_seen']} succeeded (locust), {result['new_rows']} new rows, "
        f"{result['new_files_on_disk']} new files on disk; "
        f"{result['rows_without_file']} rows without their file, "
        f"{result['rows_with_wrong_hash']} with a wrong hash, "
        f"{result['uploads_refused_seen']} refused; "
        f"{result['incoming_left']} left in .incoming.\n"
        f"Exports: {result['exports_requested_seen']} requests made "
        f"{sum(result['exports'].values())} jobs: {result['exports']}.\n"
        f"Server errors: {result['server_errors']} 5xx answers, "
        f"{result['server_log_errors']} in the server's log."
    )
    found = problems(result)
    if found:
        print("Load run: FAILED: " + "; ".join(found))
    else:
        print("Load run: PASSED, no server errors and no lost uploads")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    common.prepare()
    result = run(users=args.users, seconds=args.seconds)
    print_result(result)
    sys.exit(1 if problems(result) else 0)


if __name__ == "__main__":
    main()
