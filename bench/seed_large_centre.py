"""Seed a large centre in the benchmark database (PostgreSQL): 100 learners, 300 evidence items
each with about 3 mappings, plus the catalogue.

    .venv/bin/python -m bench.seed_large_centre            # seeds, or says it already has
    .venv/bin/python -m bench.seed_large_centre --reseed   # drops the database and seeds again

The centre: 5 assessors with 20 learners each, 2 IQAs, a centre admin; every learner on the
iCQ Level 4 Customer Service diploma. One learner has exactly 10 items and one exactly 1,000
(for the small-against-large comparison); the other 98 have 300 each. Every item has a small
text file (written to MEDIA_ROOT, hashed like an upload) and 2-4 mappings. Most items are
accepted (submission, review, met decisions), every 20th referred back, the newest 1% waiting
for the assessor and the newest 2% drafts; half the learners have the criteria of their first
unit signed off.

Rows are bulk-created rather than made through the services (which take a lock, write an audit
event and a notification per item: an hour for 30,000 items). They are the rows the services
would write (statuses, versions, creation tokens, snapshots with their hashes, signatures with
their payload hashes) without the audit trail. Seeding takes a minute or two; when the
database already holds the same centre it is left as it is.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import math
import shutil
import time
import uuid
from typing import Any, NamedTuple
from urllib.parse import urlparse

from bench import common

LEARNERS = 100
ITEMS_PER_LEARNER = 300
ASSESSORS = 5  # 20 learners each
IQAS = 2
QUALIFICATION = "icq-l4-nvq-diploma-customer-service-rqf"

FIRST_NAMES = ["Sam", "Alex", "Jamie", "Taylor", "Priya", "Chris", "Jordan", "Ravi", "Zoe", "Jo"]
LAST_NAMES = ["Patel", "Morgan", "Hughes", "Brown", "Shah", "Walker", "Lee", "Khan", "Evans", "Ng"]
KINDS = ["work_product", "reflective_account", "question_and_answer", "prior_learning", "other"]
NARRATIVES = [
    "<p>I reviewed how customer complaints reach the team and mapped each step from the first "
    "contact to the final response, noting who does what and how long each case waits.</p>",
    "<p>The current process has three hand-offs between the contact centre and the back "
    "office; each adds a day on average. I measured this over four weeks from the case log.</p>",
    "<p>With the team leader I designed a future-state process in which the first agent owns "
    "the case until it is resolved, with a checklist of what is needed before escalation.</p>",
    "<p>We piloted the change for two weeks. First contact resolution went from 61% to 74% and "
    "the average resolution time fell from 4.2 to 2.6 days.</p>",
]


class ItemPlan(NamedTuple):
    """What one seeded item is: whose, its number in the portfolio, its status, its criteria."""

    portfolio: Any
    learner: Any
    assessor: Any
    number: int
    status: str
    criteria: list


def item_counts() -> list[int]:
    """Items per learner, in learner order: the small one, the large one, then the rest."""
    return [10, 1000] + [ITEMS_PER_LEARNER] * (LEARNERS - 2)


def expected_items() -> int:
    return sum(item_counts())


# --- The database -------------------------------------------------------------------------------


def _admin_connection():
    import psycopg2

    url = urlparse(common.DATABASE_URL)
    connection = psycopg2.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password or None,
        dbname="postgres",
    )
    connection.autocommit = True
    return connection, url.path.lstrip("/")


def database_exists() -> bool:
    connection, name = _admin_connection()
    with connection, connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        found = cursor.fetchone() is not None
    connection.close()
    return found


def recreate_database() -> None:
    """Drop the benchmark database (ending its connections) and create it empty."""
    from django.db import connections

    connections.close_all()
    connection, name = _admin_connection()
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    shutil.rmtree(common.MEDIA_ROOT, ignore_errors=True)


def seeded_state() -> str | None:
    """None if the database holds the full benchmark centre; else why not."""
    from evidence.models import EvidenceItem, Portfolio
    from portfolio_site.accounts.models import Centre

    centre = Centre.objects.filter(code=common.CENTRE_CODE).first()
    if centre is None:
        return "no benchmark centre yet"
    portfolios = Portfolio.objects.filter(centre=centre)
    if portfolios.count() != LEARNERS:
        return f"{portfolios.count()} portfolios instead of {LEARNERS}"
    small = EvidenceItem.objects.filter(portfolio__learner__username=common.SMALL_LEARNER).count()
    large = EvidenceItem.objects.filter(portfolio__learner__username=common.LARGE_LEARNER).count()
    if (small, large) != (10, 1000):
        return f"the small and large learners have {small} and {large} items"
    total = EvidenceItem.objects.filter(portfolio__centre=centre).count()
    if total < expected_items():
        return f"{total} items instead of {expected_items()}"
    return None


# --- Seeding ------------------------------------------------------------------------------------


def _people(centre, password_hash: str):
    from portfolio_site.accounts.models import Membership, Role, User

    def make(username: str, number: int) -> User:
        return User(
            username=username,
            first_name=FIRST_NAMES[number % len(FIRST_NAMES)],
            last_name=f"{LAST_NAMES[(number // len(FIRST_NAMES)) % len(LAST_NAMES)]}-{number}",
            email=f"{username}@bench.example.org",
            password=password_hash,
        )

    learner_names = [common.SMALL_LEARNER, common.LARGE_LEARNER] + [
        f"bench-learner-{n:03d}" for n in range(3, LEARNERS + 1)
    ]
    learners = User.objects.bulk_create(
        [make(name, number) for number, name in enumerate(learner_names)]
    )
    assessors = User.objects.bulk_create(
        [make(f"bench-assessor-{n}", 200 + n) for n in range(1, ASSESSORS + 1)]
    )
    iqas = User.objects.bulk_create([make(f"bench-iqa-{n}", 300 + n) for n in range(1, IQAS + 1)])
    admin = make("bench-admin", 400)
    admin.save()
    Membership.objects.bulk_create(
        [Membership(user=u, centre=centre, role=Role.LEARNER) for u in learners]
        + [Membership(user=u, centre=centre, role=Role.ASSESSOR) for u in assessors]
        + [Membership(user=u, centre=centre, role=Role.IQA) for u in iqas]
        + [Membership(user=admin, centre=centre, role=Role.CENTRE_ADMIN)]
    )
    return learners, assessors, iqas, admin


def _statuses(count: int) -> list[str]:
    """Oldest first: accepted, with every 20th referred back; the newest 1% submitted and
    waiting for the assessor (3 of 300), the newest 2% still drafts (6 of 300)."""
    drafts = max(1, math.ceil(count * 0.02))
    waiting = max(1, math.ceil(count * 0.01))
    statuses = []
    for index in range(count):
        from_end = count - 1 - index
        if from_end < drafts:
            statuses.append("draft")
        elif from_end < drafts + waiting:
            statuses.append("submitted")
        elif index % 20 == 7:
            statuses.append("referred")
        else:
            statuses.append("accepted")
    return statuses


def _write_file(portfolio_id: int, item_number: int, learner) -> tuple[str, bytes]:
    content = (
        f"Case notes for evidence item {item_number} of {learner.username}\n"
        "Customer contact log extract: date, channel, issue, outcome, time to resolve.\n" * 12
    ).encode()
    name = f"evidence/{portfolio_id}/{uuid.uuid4().hex}.txt"
    path = common.MEDIA_ROOT / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return name, content


def seed() -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from criteria.models import AssessmentCriterion, Qualification
    from evidence.models import (
        CriterionMapping,
        EvidenceFile,
        EvidenceItem,
        MappingDecision,
        Portfolio,
        Review,
        Signature,
        SignOff,
        Submission,
        sha256_of,
    )
    from evidence.services.assessment import CRITERION_SIGN_OFF_DECLARATION
    from evidence.services.common import snapshot_of
    from evidence.services.items import DECLARATION
    from portfolio_site.accounts.models import Centre

    qualification = Qualification.objects.get(code=QUALIFICATION)
    links = list(qualification.unit_links.select_related("unit").order_by("unit__title"))
    units = [link.unit for link in links]
    criteria = list(
        AssessmentCriterion.objects.filter(outcome__unit__in=units)
        .select_related("outcome__unit")
        .order_by("outcome__unit__title", "outcome__number", "position")
    )
    first_unit_criteria = {c.pk for c in criteria if c.outcome.unit_id == units[0].pk}
    now = timezone.now()
    start_date = datetime.date(2024, 9, 2)

    with transaction.atomic():
        centre = Centre.objects.create(name="Large Benchmark Centre", code=common.CENTRE_CODE)
        learners, assessors, iqas, _ = _people(centre, make_password(common.PASSWORD))
        portfolios = Portfolio.objects.bulk_create(
            [
                Portfolio(
                    learner=learner,
                    centre=centre,
                    qualification=qualification,
                    assessor=assessors[index * ASSESSORS // LEARNERS],
                    iqa=iqas[index % IQAS],
                    start_date=start_date,
                    planned_end_date=start_date + datetime.timedelta(days=730),
                )
                for index, learner in enumerate(learners)
            ]
        )
        Portfolio.chosen_units.through.objects.bulk_create(
            [
                Portfolio.chosen_units.through(portfolio_id=p.pk, unit_id=link.unit_id)
                for p in portfolios
                for link in links
                if link.requirement != "mandatory"
            ]
        )

        # Items, oldest first, spread over the two years of the course.
        plans: list[ItemPlan] = []
        items = []
        for index, (portfolio, learner, count) in enumerate(
            zip(portfolios, learners, item_counts(), strict=True)
        ):
            assessor = assessors[index * ASSESSORS // LEARNERS]
            for number, status in enumerate(_statuses(count), start=1):
                activity = start_date + datetime.timedelta(days=number * 700 // count)
                submitted_at = (
                    None
                    if status == "draft"
                    else timezone.make_aware(
                        datetime.datetime.combine(activity, datetime.time(17, number % 60))
                    )
                )
                chosen = [
                    criteria[(number * 7 + index + step * 4) % len(criteria)]
                    for step in range(2 + number % 3)
                ]
                chosen = list({c.pk: c for c in chosen}.values())
                plans.append(ItemPlan(portfolio, learner, assessor, number, status, chosen))
                items.append(
                    EvidenceItem(
                        portfolio=portfolio,
                        title=f"Customer service evidence {number}: {KINDS[number % 5]}",
                        kind=KINDS[number % len(KINDS)],
                        activity_date=activity,
                        narrative=NARRATIVES[number % 4] + NARRATIVES[(number + 1) % 4],
                        status=status,
                        created_by=learner,
                        submitted_at=submitted_at,
                        version=2 if status == "draft" else 3,
                        creation_token=uuid.uuid4(),
                    )
                )
        items = EvidenceItem.objects.bulk_create(items, batch_size=2000)
        print(f"  {len(items)} items", flush=True)

        files, mappings = [], []
        for item, plan in zip(items, plans, strict=True):
            name, content = _write_file(plan.portfolio.pk, plan.number, plan.learner)
            files.append(
                EvidenceFile(
                    item=item,
                    file=name,
                    original_name=f"case-notes-{plan.number}.txt",
                    size=len(content),
                    content_type="text/plain",
                    sha256=hashlib.sha256(content).hexdigest(),
                    uploaded_by=plan.learner,
                )
            )
            mappings.extend(
                CriterionMapping(
                    item=item,
                    criterion=criterion,
                    reference=f"Paragraph {step + 1}: the figures from the case log",
                )
                for step, criterion in enumerate(plan.criteria)
            )
        files = EvidenceFile.objects.bulk_create(files, batch_size=2000)
        CriterionMapping.objects.bulk_create(mappings, batch_size=5000)
        mappings_by_item: dict[int, list] = {}
        # In the order the service reads them for a snapshot (item_snapshot).
        for mapping in sorted(
            mappings,
            key=lambda m: (
                m.criterion.outcome.unit.code,
                m.criterion.outcome.number,
                m.criterion.position,
            ),
        ):
            mappings_by_item.setdefault(mapping.item_id, []).append(mapping)
        print(f"  {len(files)} files, {len(mappings)} mappings", flush=True)

        # Submissions of everything but drafts, with the snapshot the service would take.
        submissions = []
        submitted = [
            (item, plan, evidence_file)
            for item, plan, evidence_file in zip(items, plans, files, strict=True)
            if plan.status != "draft"
        ]
        for item, plan, evidence_file in submitted:
            snapshot = snapshot_of(item, [evidence_file], mappings_by_item[item.pk])
            submissions.append(
                Submission(
                    item=item,
                    sequence=1,
                    submitted_by=plan.learner,
                    submitted_at=item.submitted_at,
                    declaration=DECLARATION,
                    snapshot=snapshot,
                    snapshot_sha256=sha256_of(snapshot),
                )
            )
        submissions = Submission.objects.bulk_create(submissions, batch_size=2000)

        # Reviews of the referred and accepted ones, with a decision per mapped criterion.
        reviewed = [
            (submission, plan)
            for submission, (_, plan, _) in zip(submissions, submitted, strict=True)
            if plan.status in ("accepted", "referred")
        ]
        reviews = Review.objects.bulk_create(
            [
                Review(
                    submission=submission,
                    item_id=submission.item_id,
                    assessor=plan.assessor,
                    outcome=plan.status,
                    feedback=""
                    if plan.status == "accepted"
                    else "Say where the figures come from.",
                    decided_at=submission.submitted_at + datetime.timedelta(days=3),
                )
                for submission, plan in reviewed
            ],
            batch_size=2000,
        )
        decisions = MappingDecision.objects.bulk_create(
            [
                MappingDecision(
                    review=review,
                    criterion=criterion,
                    reference=f"Paragraph {step + 1}: the figures from the case log",
                    met=plan.status == "accepted",
                    feedback="" if plan.status == "accepted" else "Show the source of the data.",
                )
                for review, (_, plan) in zip(reviews, reviewed, strict=True)
                for step, criterion in enumerate(plan.criteria)
            ],
            batch_size=5000,
        )
        print(
            f"  {len(submissions)} submissions, {len(reviews)} reviews, {len(decisions)} decisions",
            flush=True,
        )

        # Every other learner: the first unit's criteria signed off by their assessor.
        met_by = {}  # (portfolio id, criterion id) -> [decision ...]
        portfolio_of_review = {
            review.pk: plan.portfolio.pk
            for review, (_, plan) in zip(reviews, reviewed, strict=True)
        }
        for decision in decisions:
            if decision.met and decision.criterion_id in first_unit_criteria:
                key = (portfolio_of_review[decision.review_id], decision.criterion_id)
                met_by.setdefault(key, []).append(decision)
        by_pk = {c.pk: c for c in criteria}
        signed = []  # (portfolio, criterion, decisions, signature)
        for index, portfolio in enumerate(portfolios):
            if index % 2:
                continue
            for criterion_id in sorted(first_unit_criteria):
                backing = met_by.get((portfolio.pk, criterion_id))
                if not backing:
                    continue
                criterion = by_pk[criterion_id]
                assessor = assessors[index * ASSESSORS // LEARNERS]
                payload = {
                    "type": "criterion sign-off",
                    "portfolio": portfolio.pk,
                    "learner": {"id": portfolio.learner_id},
                    "qualification": qualification.code,
                    "criterion": {
                        "unit": criterion.outcome.unit.code,
                        "number": criterion.number,
                        "text": criterion.text,
                    },
                    "evidence": [
                        {"review": d.review_id, "met": d.met, "reference": d.reference}
                        for d in backing
                    ],
                    "signed_by": {"id": assessor.pk, "role": "assessor"},
                    "signed_at": now.isoformat(timespec="microseconds"),
                }
                signature = Signature(
                    signer=assessor,
                    role="assessor",
                    statement=CRITERION_SIGN_OFF_DECLARATION,
                    payload=payload,
                    payload_sha256=sha256_of(payload),
                    signed_at=now,
                )
                signed.append((portfolio, criterion, backing, signature))
        signatures = Signature.objects.bulk_create([s[3] for s in signed], batch_size=2000)
        sign_offs = SignOff.objects.bulk_create(
            [
                SignOff(
                    portfolio=portfolio,
                    kind="criterion",
                    criterion=criterion,
                    assessor_signature=signature,
                )
                for (portfolio, criterion, _, _), signature in zip(signed, signatures, strict=True)
            ],
            batch_size=2000,
        )
        SignOff.decisions.through.objects.bulk_create(
            [
                SignOff.decisions.through(signoff_id=sign_off.pk, mappingdecision_id=decision.pk)
                for sign_off, (_, _, backing, _) in zip(sign_offs, signed, strict=True)
                for decision in backing
            ],
            batch_size=5000,
        )
        print(f"  {len(sign_offs)} criterion sign-offs", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def ensure_seeded(*, reseed: bool = False) -> str:
    """Seed unless the database already holds the centre; returns what was done."""
    from django.core.management import call_command
    from django.db import connections

    common.require_services()
    common.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    if not database_exists():
        recreate_database()
    call_command("migrate", verbosity=0)
    # Production settings serve fingerprinted static files, which need collecting first.
    call_command("collectstatic", interactive=False, verbosity=0)
    state = None if reseed else seeded_state()
    if state is None and not reseed:
        return "already seeded (left as it was)"
    print(f"Seeding the benchmark centre ({'--reseed' if reseed else state})...", flush=True)
    started = time.perf_counter()
    recreate_database()
    connections.close_all()
    call_command("migrate", verbosity=0)
    call_command("load_catalogue", verbosity=0)
    seed()
    return f"seeded in {time.perf_counter() - started:.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reseed", action="store_true", help="drop the database and seed again")
    args = parser.parse_args()
    common.require_services()
    common.setup_django()
    print(f"Benchmark database {common.DATABASE_URL}: {ensure_seeded(reseed=args.reseed)}")


if __name__ == "__main__":
    main()
