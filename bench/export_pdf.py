"""How long the PDF export of a big portfolio takes, against WeasyPrint alone on the same HTML.

    .venv/bin/python bench/export_pdf.py                 # ~200 pages, 3 runs of each
    .venv/bin/python bench/export_pdf.py --items 8 --pdf var/screenshots/export/demo.pdf

Builds a portfolio through the evidence services (items with narratives, files, photos and
SVG process maps, mappings in both units, submissions, reviews, sign-offs, a witness
testimony, IQA samples) in a throwaway SQLite database under var/bench/ (or DATABASE_URL if
set), then times, each in a fresh process so that peak memory is its own:

- end to end: exports.document.render_portfolio_pdf (reads, checks files, template, layout,
  PDF/A with the original files attached);
- WeasyPrint alone: HTML(string=the same HTML).write_pdf with the same fetcher, stylesheet,
  variant and attachments.

Prints a table; the figures go in docs/export-benchmark.md. Not a test: nothing is asserted.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import io
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench"


def configure_django() -> None:
    """A throwaway database and media folder under var/bench/, unless DATABASE_URL is set."""
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portfolio_site.settings")
    os.environ.setdefault("DJANGO_VAR_DIR", str(BENCH_DIR))
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{BENCH_DIR / 'bench.sqlite3'}")
    # Witness links are emailed on commit: nowhere, at once, with no worker.
    os.environ.setdefault("EMAIL_URL", "dummymail://")
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    import django

    django.setup()
    import logging

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("portfolio_site.exports").setLevel(logging.ERROR)


# --- Building the portfolio ---------------------------------------------------------------------

PARAGRAPHS = [
    "I reviewed how customer complaints reach the team and mapped each step from the first "
    "contact to the final response, noting who does what and how long each case waits.",
    "The current process has three hand-offs between the contact centre and the back office. "
    "Each hand-off adds a day on average, and a third of the cases were passed back because "
    "information was missing. I measured this over four weeks from the case log.",
    "With the team leader I designed a future-state process in which the first agent owns the "
    "case until it is resolved, with a checklist of the information needed before escalation.",
    "We piloted the change for two weeks. First contact resolution went from 61% to 74% and "
    "the average resolution time fell from 4.2 to 2.6 days; complaint volume did not change.",
    "Looking back, I would involve the back-office staff earlier: their concerns about the "
    "checklist were valid and cost us a week of rework. I have added this to my development plan.",
]
KINDS = [
    "work_product",
    "reflective_account",
    "question_and_answer",
    "work_product",
    "prior_learning",
    "process_map",
]


def photo_bytes(seed: int) -> bytes:
    """A 3000 x 2000 phone-style photo (smooth shading with sensor noise), about 2 MB."""
    from PIL import Image

    base = Image.linear_gradient("L").resize((3000, 2000)).convert("RGB")
    noise = Image.effect_noise((3000, 2000), 18 + seed % 5).convert("RGB")
    image = Image.blend(base, noise, 0.35)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def process_map_svg(number: int) -> bytes:
    steps = ["Receive", "Log", "Triage", "Resolve", "Confirm", "Close"]
    boxes = "".join(
        f'<rect x="{10 + i * 105}" y="40" width="90" height="50" rx="6" fill="#e6eef0" '
        f'stroke="#0b5563"/><text x="{20 + i * 105}" y="70" font-size="12">{step}</text>'
        + (
            f'<path d="M{100 + i * 105} 65 H{115 + i * 105}" stroke="#0b5563"/>'
            if i < len(steps) - 1
            else ""
        )
        for i, step in enumerate(steps)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="650" height="130" viewBox="0 0 650 130">'
        f'<text x="10" y="20" font-size="13">Complaints process, version {number}</text>'
        f"{boxes}</svg>"
    ).encode()


def build_portfolio(items: int, *, photo_every: int = 5, map_every: int = 6):
    from django.core.files.base import ContentFile
    from django.core.management import call_command
    from django.db import transaction

    from criteria.models import AssessmentCriterion, Qualification, Unit
    from evidence import services
    from evidence.models import EvidenceFile
    from evidence.selectors import sign_off_candidates
    from portfolio_site.accounts.models import Centre, Membership, Role, User

    call_command("migrate", verbosity=0)
    call_command("load_catalogue", verbosity=0)
    qualification = Qualification.objects.get(code="icq-l4-nvq-diploma-customer-service-rqf")
    centre = Centre.objects.create(name="Riverside Training", code=f"bench-{time.time_ns()}")
    people = {}
    for role, first, last in [
        (Role.LEARNER, "Sam", "Patel"),
        (Role.ASSESSOR, "Alex", "Morgan"),
        (Role.IQA, "Priya", "Shah"),
    ]:
        user = User.objects.create_user(
            username=f"{role.value}-{centre.code}", first_name=first, last_name=last
        )
        Membership.objects.create(user=user, centre=centre, role=role)
        people[role] = user
    learner, assessor, iqa = people[Role.LEARNER], people[Role.ASSESSOR], people[Role.IQA]
    portfolio = services.portfolio_enrol(
        learner=learner,
        centre=centre,
        qualification=qualification,
        assessor=assessor,
        iqa=iqa,
        start_date=datetime.date(2026, 1, 5),
        chosen_units=[link.unit for link in qualification.unit_links.all()],
    )
    criteria = list(
        AssessmentCriterion.objects.filter(
            outcome__unit__qualification_links__qualification=qualification
        ).order_by("outcome__unit__title", "outcome__number", "position")
    )
    photo = photo_bytes(1)

    def add_file(item, content: bytes, name: str, content_type: str) -> None:
        evidence_file = EvidenceFile(
            item=item,
            original_name=name,
            size=len(content),
            content_type=content_type,
            sha256=hashlib.sha256(content).hexdigest(),
            uploaded_by=learner,
        )
        evidence_file.file.save(
            f"upload.{name.rsplit('.', 1)[-1]}", ContentFile(content), save=False
        )
        evidence_file.save()

    reviews = []
    for number in range(1, items + 1):
        with transaction.atomic():
            kind = KINDS[number % len(KINDS)]
            item, _ = services.evidence_item_create(
                portfolio=portfolio,
                author=learner,
                creation_token=uuid.uuid4(),
                title=f"Complaints handling, part {number}",
                kind=kind,
                activity_date=datetime.date(2026, 1, 5) + datetime.timedelta(days=number * 2),
                narrative="".join(
                    f"<p>{PARAGRAPHS[(number + i) % len(PARAGRAPHS)]}</p>"
                    for i in range(2 + number % 3)
                ),
            )
            add_file(
                item,
                f"Case log extract {number}\n".encode() * 40,
                f"case-log-{number}.txt",
                "text/plain",
            )
            if number % photo_every == 0:
                add_file(
                    item,
                    photo + number.to_bytes(4, "big"),
                    f"whiteboard-{number}.jpg",
                    "image/jpeg",
                )
            if number % map_every == 0:
                add_file(
                    item, process_map_svg(number), f"process-map-{number}.svg", "image/svg+xml"
                )
            chosen = [criteria[(number * 3 + i) % len(criteria)] for i in range(2 + number % 2)]
            item.refresh_from_db()
            services.evidence_mappings_set(
                item=item,
                user=learner,
                references={
                    c.pk: f"Paragraph {i + 2}, the before-and-after figures"
                    for i, c in enumerate(chosen)
                },
                expected_version=item.version,
            )
            services.evidence_item_submit(item=item, learner=learner, declared=True)
            referred = number % 9 == 0
            reviews.append(
                services.review_record(
                    item=item,
                    assessor=assessor,
                    outcome="referred" if referred else "accepted",
                    feedback="Say where the figures come from."
                    if referred
                    else "Clear and well evidenced.",
                    decisions={
                        c.pk: (False, "Show the source of the data.") if referred else (True, "")
                        for c in chosen
                    },
                )
            )
    quality = Unit.objects.get(code="review-the-quality-of-customer-service")
    ready = sign_off_candidates(portfolio)
    services.criteria_sign_off(
        portfolio=portfolio, assessor=assessor, criterion_ids=list(ready), declared=True
    )
    try:
        sign_off = services.unit_sign_off(
            portfolio=portfolio, unit=quality, assessor=assessor, declared=True
        )
        services.unit_countersign(sign_off=sign_off, learner=learner, declared=True)
        services.iqa_sample_record(
            iqa=iqa,
            sign_off=sign_off,
            unit=quality,
            method="summative",
            decision="agree",
            comments="Unit sign-off sampled: valid, authentic, current, sufficient.",
            countersign=True,
        )
    except Exception as error:  # the unit may not be complete with few items
        print(f"(unit not signed off: {error})", file=sys.stderr)
    for review in reviews[:: max(len(reviews) // 6, 1)]:
        unit = review.decisions.first().criterion.outcome.unit
        services.iqa_sample_record(
            iqa=iqa,
            review=review,
            unit=unit,
            method="interim",
            decision="agree",
            comments="Decision sampled; the feedback is specific and developmental.",
        )
    testimony, _ = services.evidence_item_create(
        portfolio=portfolio,
        author=learner,
        creation_token=uuid.uuid4(),
        title="Complaints huddle, witnessed by my manager",
        kind="witness_testimony",
        activity_date=datetime.date(2026, 3, 2),
        narrative="<p>Sam ran the Monday complaints huddle and closed every open case.</p>",
        witness_name="Jo Brown",
        witness_job_title="Customer Service Manager",
        witness_relationship="Line manager for two years",
        witness_email="jo.brown@example.org",
    )
    request, _ = services.witness_request_send(item=testimony, sender=learner)
    services.witness_sign(
        request=request,
        typed_name="Jo Brown",
        comments="Accurate; I was there.",
        confirmed=True,
        shown_statement_sha256=request.statement_sha256,
        ip_address="203.0.113.9",
        user_agent="bench",
    )
    return portfolio


# --- Measuring ----------------------------------------------------------------------------------


def measure(mode: str, portfolio_id: int, out: Path) -> dict:
    """One measurement, in this (fresh) process."""
    import weasyprint
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evidence.models import Portfolio
    from portfolio_site.exports.document import (
        PDF_VARIANT,
        prepare_document,
        render_portfolio_pdf,
        should_attach_originals,
    )

    portfolio = Portfolio.objects.get(pk=portfolio_id)
    attach = should_attach_originals(portfolio)
    if mode == "end-to-end":
        with CaptureQueriesContext(connection) as queries:
            start, cpu_start = time.perf_counter(), time.process_time()
            result = render_portfolio_pdf(
                portfolio, out, export_reference="BENCH-1", attach_originals=attach
            )
            seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        pages = result.page_count
        extra = {"attached": result.attached_files, "queries": len(queries)}
    else:
        prepared = prepare_document(portfolio, export_reference="BENCH-1", attach_originals=attach)
        start, cpu_start = time.perf_counter(), time.process_time()
        document = weasyprint.HTML(
            string=prepared.html, base_url=prepared.base_url, url_fetcher=prepared.fetcher
        ).render()
        document.write_pdf(out, pdf_variant=PDF_VARIANT, attachments=prepared.attachments())
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
        pages = len(document.pages)
        extra = {"html_bytes": len(prepared.html.encode())}
    return {
        "mode": mode,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "pages": pages,
        "pdf_bytes": out.stat().st_size,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **extra,
    }


def run_child(mode: str, portfolio_id: int, out: Path) -> dict:
    completed = subprocess.run(  # noqa: S603 (this script, with its own arguments)
        [
            sys.executable,
            __file__,
            "--measure",
            mode,
            "--portfolio",
            str(portfolio_id),
            "--pdf",
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--items", type=int, default=108, help="evidence items (108: about 200 pages)"
    )
    parser.add_argument("--runs", type=int, default=3, help="measurements of each kind")
    parser.add_argument("--pdf", type=Path, help="keep the end-to-end PDF here")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--portfolio", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.measure:
        configure_django()
        print(json.dumps(measure(args.measure, args.portfolio, args.pdf)))
        return

    if "DATABASE_URL" not in os.environ:
        shutil.rmtree(BENCH_DIR, ignore_errors=True)
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    configure_django()
    start = time.perf_counter()
    portfolio = build_portfolio(args.items)
    print(
        f"Built a portfolio of {args.items} items in {time.perf_counter() - start:.1f} s",
        file=sys.stderr,
    )

    results = {"end-to-end": [], "weasyprint": []}
    for run in range(args.runs):
        for mode in results:
            out = BENCH_DIR / f"{mode}-{run}.pdf"
            results[mode].append(run_child(mode, portfolio.pk, out))
            print(f"  run {run + 1} {mode}: {results[mode][-1]['seconds']:.2f} s", file=sys.stderr)
    if args.pdf:
        args.pdf.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(BENCH_DIR / "end-to-end-0.pdf", args.pdf)

    e2e = statistics.median(r["seconds"] for r in results["end-to-end"])
    alone = statistics.median(r["seconds"] for r in results["weasyprint"])
    e2e_cpu = statistics.median(r["cpu_seconds"] for r in results["end-to-end"])
    alone_cpu = statistics.median(r["cpu_seconds"] for r in results["weasyprint"])
    first = results["end-to-end"][0]
    rows = [
        ("pages", f"{first['pages']}", f"{results['weasyprint'][0]['pages']}"),
        (f"wall time, median of {args.runs} (s)", f"{e2e:.2f}", f"{alone:.2f}"),
        (f"CPU time, median of {args.runs} (s)", f"{e2e_cpu:.2f}", f"{alone_cpu:.2f}"),
        ("pages per second", f"{first['pages'] / e2e:.1f}", f"{first['pages'] / alone:.1f}"),
        (
            "peak memory (MiB, max)",
            f"{max(r['peak_rss_mib'] for r in results['end-to-end']):.0f}",
            f"{max(r['peak_rss_mib'] for r in results['weasyprint']):.0f}",
        ),
        (
            "PDF size (MB)",
            f"{first['pdf_bytes'] / 1e6:.1f}",
            f"{results['weasyprint'][0]['pdf_bytes'] / 1e6:.1f}",
        ),
    ]
    import weasyprint
    from django.db import connection

    print(
        f"\nPortfolio: {args.items} items, {first['attached']} files attached, "
        f"{first['queries']} queries"
    )
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, WeasyPrint {weasyprint.__version__}, "
        f"{connection.vendor}"
    )
    print(f"\n| {'':<26} | {'end to end':>12} | {'WeasyPrint alone':>16} |")
    print(f"|{'-' * 28}|{'-' * 13}:|{'-' * 17}:|")
    for label, left, right in rows:
        print(f"| {label:<26} | {left:>12} | {right:>16} |")
    print(
        f"\nRatio end to end / WeasyPrint alone: {e2e / alone:.2f} wall, "
        f"{e2e_cpu / alone_cpu:.2f} CPU (aim: at most 1.2)"
    )


if __name__ == "__main__":
    main()
