"""Server time and query count of the main pages, a 10-item portfolio against a 1,000-item one.

    .venv/bin/python -m bench.pages [--runs 9]

In-process, against the seeded benchmark database (PostgreSQL, bench.seed_large_centre) with
the production settings (DEBUG off): Django's test client, logged in with force_login, calls
the WSGI handler directly, so the time is the server's alone (middleware, views, queries,
templates) with no network or HTTP parsing. Each page is fetched twice to warm up, once with
its queries captured, then ``--runs`` times for the median. Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bench import common


def measure(client, url: str, *, runs: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Now: the next request clears the connection's log that the context reads from.
    query_count = len(queries)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - start)
    return {
        "ms": statistics.median(times) * 1000,
        "queries": query_count,
        "kib": len(response.content) / 1024,
    }


def run(*, runs: int = 9) -> list[dict]:
    """Measure every page; returns one row per page (small, large or a single figure)."""
    from django.test import Client
    from django.urls import reverse

    from evidence.models import Portfolio
    from portfolio_site.accounts.models import User

    def logged_in(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    portfolios = {
        size: Portfolio.objects.select_related("learner", "assessor").get(learner__username=name)
        for size, name in (("small", common.SMALL_LEARNER), ("large", common.LARGE_LEARNER))
    }
    per_portfolio = [
        ("learner dashboard", lambda p: reverse("evidence:learner-dashboard"), "learner"),
        ("tracking grid", lambda p: reverse("evidence:tracking-grid", args=[p.pk]), "learner"),
        ("evidence list", lambda p: reverse("evidence:evidence-list", args=[p.pk]), "learner"),
        ("sign-off (assessor)", lambda p: reverse("evidence:sign-offs", args=[p.pk]), "assessor"),
    ]
    rows = []
    for label, url_for, who in per_portfolio:
        figures = {}
        for size, portfolio in portfolios.items():
            client = logged_in(getattr(portfolio, who))
            figures[size] = measure(client, url_for(portfolio), runs=runs)
        rows.append({"page": label, **figures})
        small, large = figures["small"]["ms"], figures["large"]["ms"]
        print(f"  {label}: {small:.0f} / {large:.0f} ms", flush=True)

    assessor = portfolios["large"].assessor
    caseload = Portfolio.objects.filter(assessor=assessor).count()
    singles = [
        (f"assessor dashboard ({caseload} learners)", assessor, "evidence:assessor-dashboard"),
        (
            "IQA dashboard (50 learners)",
            User.objects.get(username="bench-iqa-1"),
            "evidence:iqa-dashboard",
        ),
        (
            "centre admin dashboard (100 learners)",
            User.objects.get(username="bench-admin"),
            "evidence:centre-admin-dashboard",
        ),
    ]
    for label, user, name in singles:
        figures = measure(logged_in(user), reverse(name), runs=runs)
        rows.append({"page": label, "single": figures})
        print(f"  {label}: {figures['ms']:.0f} ms", flush=True)
    return rows


def print_rows(rows: list[dict]) -> None:
    table = []
    for row in rows:
        if "single" in row:
            single = row["single"]
            table.append(
                [row["page"], "", f"{single['ms']:.1f}", "", "", f"{single['queries']}", ""]
            )
            continue
        small, large = row["small"], row["large"]
        table.append(
            [
                row["page"],
                f"{small['ms']:.1f}",
                f"{large['ms']:.1f}",
                f"{common.ratio(large['ms'], small['ms']):.2f}",
                f"{small['queries']}",
                f"{large['queries']}",
                f"{small['kib']:.0f} / {large['kib']:.0f}",
            ]
        )
    common.print_table(
        [
            "page",
            "10 items (ms)",
            "1,000 items (ms)",
            "ratio",
            "queries (10)",
            "queries (1,000)",
            "HTML KiB",
        ],
        table,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9, help="timed fetches of each page")
    args = parser.parse_args()
    common.prepare()
    print_rows(run(runs=args.runs))


if __name__ == "__main__":
    main()
