"""Issue 14, concurrency on PostgreSQL: SQLite serialises every write, so the double-submit
tests prove little there. Here each request is a thread with its own database connection,
released together by a barrier, against a real PostgreSQL (CI's second run, .ci/run)."""

import threading

import pytest
from django.db import connection

from evidence import services
from evidence.file_types import RejectedFile
from evidence.models import EvidenceFile, Review, SignOff, SignOffKind
from portfolio_site.accounts.models import Role
from tests.evidence.helpers import QUALITY, criterion
from tests.factories import EvidenceFileFactory, EvidenceItemFactory

pytestmark = [
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs real parallel writers: run with DATABASE_URL=postgres://... (SQLite "
        "serialises writes, so a race cannot happen there)",
    ),
    pytest.mark.django_db(transaction=True),
]


def run_together(count: int, work) -> list[str]:
    """Run ``work(index)`` in ``count`` threads released at once, each on its own database
    connection (closed at the end). Returns what each said, or the name of what it raised."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            result = work(index)
        except Exception as error:  # every outcome is asserted on by the caller
            result = f"{type(error).__name__}: {error}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
    assert len(outcomes) == count
    return outcomes


def accepted_item(portfolio, people, numbers):
    item = EvidenceItemFactory(portfolio=portfolio, title="Quality review pack")
    EvidenceFileFactory(item=item)
    references = {criterion(QUALITY, number).pk: f"Section {number}" for number in numbers}
    services.evidence_mappings_set(
        item=item, user=people[Role.LEARNER], references=references, expected_version=item.version
    )
    services.evidence_item_submit(item=item, learner=people[Role.LEARNER], declared=True)
    services.review_record(
        item=item,
        assessor=people[Role.ASSESSOR],
        outcome="accepted",
        feedback="",
        decisions={pk: (True, "") for pk in references},
    )
    return item


def test_eight_concurrent_sign_offs_of_one_criterion_make_one(people, portfolio, media_root):
    accepted_item(portfolio, people, ["2.1"])
    target = criterion(QUALITY, "2.1")

    def sign(_index):
        services.criteria_sign_off(
            portfolio=portfolio,
            assessor=people[Role.ASSESSOR],
            criterion_ids=[target.pk],
            declared=True,
        )
        return "signed"

    outcomes = run_together(8, sign)

    assert outcomes.count("signed") == 1, outcomes
    assert all(o == "signed" or o.startswith("ValidationError") for o in outcomes), outcomes
    assert (
        SignOff.objects.active()
        .filter(portfolio=portfolio, kind=SignOffKind.CRITERION, criterion=target)
        .count()
        == 1
    )


def test_two_concurrent_decisions_on_one_item_make_one(people, portfolio):
    """Two decisions on one submission at once (the assessor in two tabs, or on two devices):
    one is recorded, the other is told someone decided first."""
    item = EvidenceItemFactory(portfolio=portfolio)
    target = criterion(QUALITY, "2.1")
    services.evidence_mappings_set(
        item=item, user=people[Role.LEARNER], references={target.pk: "p1"}, expected_version=1
    )
    services.evidence_item_submit(item=item, learner=people[Role.LEARNER], declared=True)
    outcomes_by_index = ("accepted", "referred")

    def decide(index):
        outcome = outcomes_by_index[index]
        services.review_record(
            item=item,
            assessor=people[Role.ASSESSOR],
            outcome=outcome,
            feedback="" if outcome == "accepted" else "Not yet",
            decisions={target.pk: (outcome == "accepted", "" if outcome == "accepted" else "x")},
        )
        return "decided"

    outcomes = run_together(2, decide)

    assert outcomes.count("decided") == 1, outcomes
    [told] = [o for o in outcomes if o != "decided"]
    assert told.startswith(("AlreadyDecided", "EvidenceLocked")), told
    assert Review.objects.filter(item=item).count() == 1


def test_concurrent_uploads_to_one_item_keep_every_file(people, portfolio, media_root):
    item = EvidenceItemFactory(portfolio=portfolio)
    count = 6

    def upload(index):
        services.evidence_file_add_generated(
            item=item,
            name=f"notes-{index}.txt",
            content=f"Notes from day {index}".encode(),
            content_type="text/plain",
            uploader=people[Role.LEARNER],
        )
        return "stored"

    outcomes = run_together(count, upload)

    assert outcomes == ["stored"] * count, outcomes
    stored = EvidenceFile.objects.filter(item=item)
    assert sorted(f.original_name for f in stored) == [f"notes-{i}.txt" for i in range(count)]
    for evidence_file in stored:
        assert evidence_file.file.storage.exists(evidence_file.file.name)


def test_the_same_file_uploaded_twice_at_once_is_kept_once(people, portfolio, media_root):
    item = EvidenceItemFactory(portfolio=portfolio)

    def upload(_index):
        try:
            services.evidence_file_add_generated(
                item=item,
                name="same.txt",
                content=b"The same bytes",
                content_type="text/plain",
                uploader=people[Role.LEARNER],
            )
        except RejectedFile:
            return "refused"
        return "stored"

    outcomes = run_together(4, upload)

    assert sorted(outcomes) == ["refused"] * 3 + ["stored"], outcomes
    assert EvidenceFile.objects.filter(item=item).count() == 1
