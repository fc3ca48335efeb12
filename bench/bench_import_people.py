"""How long importing 1,000 learners from a CSV takes: preview, commit, and the same file again.

    .venv/bin/python -m bench.bench_import_people [--learners 1000]

Makes a centre with a centre admin, 5 assessors and 2 IQAs in a throwaway SQLite database
under var/bench/ (or DATABASE_URL if set), writes a CSV of N learners (ULN, qualification,
assessor, IQA, dates, employer), then times, with the queries counted:

- the preview (people.importing.import_plan): reads and checks every row, changes nothing;
- the commit (import_apply): every account, role, enrolment and audit event, one transaction;
- the same file again: all unchanged.

Asserts the commit takes under 30 s (issue 13). The figures go in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench-import"
LIMIT_SECONDS = 30.0


def configure_django() -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio_site.settings")
    os.environ.setdefault("DJANGO_VAR_DIR", str(BENCH_DIR))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}")
    os.environ.setdefault("EMAIL_URL", "dummymail://")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    import django

    django.setup()
    import logging

    logging.getLogger("celery").setLevel(logging.WARNING)  # one line per invitation otherwise


def learners_csv(count: int, *, assessors: list[str], iqas: list[str], qualification: str) -> bytes:
    from portfolio_site.accounts.validators import uln_check_digit

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        ["role", "first_name", "last_name", "email", "uln", "qualification", "units",
         "assessor", "iqa", "start_date", "planned_end_date", "employer"]
    )  # fmt: skip
    number = 100_000_000
    for index in range(count):
        while (digit := uln_check_digit(str(number))) is None:
            number += 1
        uln = f"{number}{digit}"
        number += 1
        writer.writerow(
            [
                "learner",
                f"Zoë{index}",
                f"Brontë-{index}",
                f"learner{index}@bench.example",
                uln,
                qualification,
                "",
                assessors[index % len(assessors)],
                iqas[index % len(iqas)],
                "01/09/2026",
                "2027-08-31",
                f"Café {index % 40}, Bath",
            ]
        )
    return ("\ufeff" + out.getvalue()).encode()


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SystemExit(f"bench_import_people: {message}")


def timed(function):
    from django.db import connection

    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    start = time.perf_counter()
    with connection.execute_wrapper(counter):
        result = function()
    return result, time.perf_counter() - start, count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=1000)
    options = parser.parse_args()
    shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True)
    configure_django()
    from django.core.management import call_command

    from people.importing import import_apply, import_plan, import_record
    from portfolio_site.accounts.models import Centre, Membership, Role, User

    call_command("migrate", verbosity=0)
    call_command("load_catalogue", verbosity=0)
    centre = Centre.objects.create(name="Bench Training", code="bench")

    def person(role: Role, name: str) -> User:
        user = User.objects.create_user(username=name, email=f"{name}@bench.example")
        Membership.objects.create(user=user, centre=centre, role=role)
        return user

    admin = person(Role.CENTRE_ADMIN, "admin")
    assessors = [person(Role.ASSESSOR, f"assessor{n}").email for n in range(5)]
    iqas = [person(Role.IQA, f"iqa{n}").email for n in range(2)]
    content = learners_csv(
        options.learners,
        assessors=assessors,
        iqas=iqas,
        qualification="icq-l4-nvq-diploma-customer-service-rqf",
    )

    plan, preview_seconds, preview_queries = timed(
        lambda: import_plan(centre=centre, content=content, filename="learners.csv")
    )
    _check(not plan.has_errors, f"the preview found errors: {plan.summary()}")
    record = import_record(
        centre=centre, content=content, filename="learners.csv", uploaded_by=admin, plan=plan
    )
    applied, commit_seconds, commit_queries = timed(
        lambda: import_apply(people_import=record, applied_by=admin, invite=True)
    )
    _check(applied.applied, f"the commit applied nothing: {applied.summary()}")
    again, again_seconds, again_queries = timed(
        lambda: import_plan(centre=centre, content=content, filename="learners.csv")
    )
    _check(
        again.summary() == f"0 new, 0 updated, {options.learners} unchanged, 0 errors",
        f"the same file again was not all unchanged: {again.summary()}",
    )

    print(f"people import, {options.learners} learners ({len(content) / 1024:.0f} KiB CSV)")
    print(f"{'step':<34}{'seconds':>9}{'queries':>10}")
    print(f"{'preview (plan, nothing written)':<34}{preview_seconds:>9.2f}{preview_queries:>10}")
    print(f"{'commit, with invitations':<34}{commit_seconds:>9.2f}{commit_queries:>10}")
    print(f"{'same file again (all unchanged)':<34}{again_seconds:>9.2f}{again_queries:>10}")
    print(f"commit: {applied.summary()}; limit {LIMIT_SECONDS:.0f} s")
    _check(commit_seconds < LIMIT_SECONDS, f"the commit took {commit_seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
