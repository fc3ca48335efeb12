"""`make bench`: every benchmark in one run, then one table of all the ratios.

    .venv/bin/python -m bench.run_all [--no-load] [--no-upload] [--no-export]

In order: seed the large centre if needed (bench.seed_large_centre), page times and queries
(bench.pages), throughput (bench.throughput), the 500 MB upload (bench.upload), the PDF export
at a modest size (bench/export_pdf.py --items 30 --runs 1, in its own SQLite database; the full
200-page figures are in docs/export-benchmark.md) and the load run (bench.load). Each prints
its own figures as it goes; the summary comes last. Exits non-zero if the load run found a
server error or a lost upload. Needs PostgreSQL and Redis (BENCH_DATABASE_URL,
BENCH_REDIS_URL); about 3 minutes on 2 cores, 4 when it seeds.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

from bench import common

EXPORT_ITEMS = 30


def export_figures(*, items: int = EXPORT_ITEMS) -> dict:
    """bench/export_pdf.py at a modest size, as a subprocess in the developer's own environment
    (its throwaway SQLite database under var/bench/); its printed figures, parsed."""
    env = dict(common.ORIGINAL_ENVIRONMENT)
    for name in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DJANGO_VAR_DIR", "DJANGO_ENV"):
        env.pop(name, None)
    completed = subprocess.run(  # noqa: S603 (our own script)
        [sys.executable, "bench/export_pdf.py", f"--items={items}", "--runs=1"],
        cwd=common.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=True,
    )
    output = completed.stdout
    (common.LOG_DIR / "export_pdf.log").write_text(output + completed.stderr)

    def row(label: str) -> tuple[str, str]:
        pattern = rf"^\| {re.escape(label)}[^|]*\|\s*([\d.]+)\s*\|\s*([\d.]+)\s*\|"
        found = re.search(pattern, output, re.MULTILINE)
        return found.groups() if found else ("?", "?")

    ratio = re.search(r"Ratio end to end / WeasyPrint alone: ([\d.]+) wall, ([\d.]+) CPU", output)
    pages, _ = row("pages")
    end_to_end, alone = row("wall time")
    return {
        "items": items,
        "pages": pages,
        "end_to_end_s": end_to_end,
        "weasyprint_s": alone,
        "wall_ratio": float(ratio.group(1)) if ratio else float("nan"),
        "cpu_ratio": float(ratio.group(2)) if ratio else float("nan"),
        "output": output,
    }


def machine() -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kib = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgres = cursor.fetchone()[0].split()[0]
    import redis

    redis_version = redis.Redis.from_url(common.REDIS_URL).info()["redis_version"]
    load = Path("/proc/loadavg").read_text().split()[:3]
    return (
        f"{datetime.date.today().isoformat()}; {os.cpu_count()} CPUs ({cpu}), "
        f"{memory_kib / 1024 / 1024:.0f} GiB RAM; Python {platform.python_version()}, "
        f"PostgreSQL {postgres}, Redis {redis_version}; load average {' '.join(load)}"
    )


def summary_rows(pages, throughput, upload, export, load) -> list[list[str]]:
    rows = []
    for row in pages:
        if "single" in row:
            single = row["single"]
            rows.append([row["page"], f"{single['ms']:.0f} ms, {single['queries']} queries", ""])
        else:
            small, large = row["small"], row["large"]
            rows.append(
                [
                    f"{row['page']}: 1,000 items / 10 items",
                    f"{large['ms']:.0f} / {small['ms']:.0f} ms; "
                    f"queries {large['queries']} / {small['queries']}",
                    f"{common.ratio(large['ms'], small['ms']):.2f}",
                ]
            )
    if throughput:
        health, dashboard = throughput.values()
        rows.append(
            [
                "throughput: learner dashboard / health check (req/s)",
                f"{dashboard['rps']:.0f} / {health['rps']:.0f}",
                f"{common.ratio(dashboard['rps'], health['rps']):.2f}",
            ]
        )
    if upload:
        rows.append(
            [
                f"upload {upload['bytes'] / 2**20:.0f} MiB: upload / copyfile (MB/s)",
                f"{upload['upload_mb_s']:.0f} / {upload['copy_mb_s']:.0f}",
                f"{common.ratio(upload['upload_mb_s'], upload['copy_mb_s']):.2f}",
            ]
        )
        rows.append(
            [
                "upload: worker memory, peak during / before (MiB)",
                f"{upload['peak_rss_mib']:.0f} / {upload['baseline_rss_mib']:.0f}",
                f"{common.ratio(upload['peak_rss_mib'], upload['baseline_rss_mib']):.2f}",
            ]
        )
    if export:
        rows.append(
            [
                f"export {export['items']} items ({export['pages']} pages): "
                "end to end / WeasyPrint alone (s)",
                f"{export['end_to_end_s']} / {export['weasyprint_s']} (CPU ratio "
                f"{export['cpu_ratio']:.2f})",
                f"{export['wall_ratio']:.2f}",
            ]
        )
    if load:
        from bench.load import problems

        server_errors = sum(n for code, n in load["status_counts"].items() if code[0] == "5")
        rows.append(
            [
                f"load: {load['users']} users, {load['seconds']} s",
                f"{load['requests']} requests, {server_errors} 5xx; "
                f"uploads {load['uploads_ok_seen']} ok = {load['new_rows']} rows = "
                f"{load['new_files_on_disk']} files; exports {load['exports']}",
                "passed" if not problems(load) else "FAILED",
            ]
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="timed fetches of each page")
    parser.add_argument("--no-upload", action="store_true")
    parser.add_argument("--no-export", action="store_true")
    parser.add_argument("--no-load", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    common.prepare()
    from bench import load, pages, throughput, upload

    about = machine()
    print(f"Machine: {about}\n", flush=True)

    print("== Pages: a 10-item portfolio against a 1,000-item one (server time, median)")
    page_rows = pages.run(runs=args.runs)
    pages.print_rows(page_rows)

    print("\n== Throughput under gunicorn (2 sync workers), driven by locust")
    throughput_results = throughput.run()
    throughput.print_results(throughput_results)

    upload_result = None
    if not args.no_upload:
        print("\n== Upload of a 500 MiB file")
        upload_result = upload.run()
        upload.print_result(upload_result)

    export_result = None
    if not args.no_export:
        print(f"\n== PDF export, {EXPORT_ITEMS} items (bench/export_pdf.py)")
        export_result = export_figures()
        print(export_result["output"].strip())

    load_result = None
    if not args.no_load:
        print("\n== Load: 100 users for 60 s (gunicorn + Celery + PostgreSQL + Redis)")
        load_result = load.run()
        load.print_result(load_result)

    print(f"\n== Summary ({time.perf_counter() - started:.0f} s). Machine: {about}")
    common.print_table(
        ["figure", "measured", "ratio"],
        summary_rows(page_rows, throughput_results, upload_result, export_result, load_result),
    )
    if load_result and load.problems(load_result):
        sys.exit(1)


if __name__ == "__main__":
    main()
