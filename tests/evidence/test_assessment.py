"""The assessor's review: queue, decisions per criterion, accept or refer back, history, and
records the assessor writes for the learner to confirm."""

import pytest
from django.urls import reverse

from evidence import services
from evidence.models import EvidenceFile, EvidenceItem, EvidenceStatus, Review, Submission
from portfolio_site.accounts.models import Role
from tests.evidence.helpers import DESIGN, QUALITY, criterion, item_form_data
from tests.factories import EvidenceFileFactory, EvidenceItemFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(portfolio, people):
    """An item mapped to criteria in two units, submitted."""
    item = EvidenceItemFactory(portfolio=portfolio, title="Complaints redesign")
    EvidenceFileFactory(item=item)
    services.evidence_mappings_set(
        item=item,
        user=people[Role.LEARNER],
        references={criterion(DESIGN, "2.1").pk: "Page 2", criterion(QUALITY, "2.1").pk: "Page 5"},
        expected_version=item.version,
    )
    services.evidence_item_submit(item=item, learner=people[Role.LEARNER], declared=True)
    item.refresh_from_db()
    return item


def review_post(item, outcome, feedback="", **decisions):
    """decisions: criterion pk as 'c<pk>' -> ('met'|'not_met', feedback)."""
    data = {"outcome": outcome, "feedback": feedback}
    for key, (choice, text) in decisions.items():
        data[f"decision-{key[1:]}"] = choice
        data[f"feedback-{key[1:]}"] = text
    return data


def keys(item):
    return [f"c{pk}" for pk in item.mappings.order_by("pk").values_list("criterion_id", flat=True)]


def test_queue_lists_submitted_items_oldest_first(client_for, people, portfolio, submitted):
    newer = EvidenceItemFactory(portfolio=portfolio, title="Later work")
    EvidenceFileFactory(item=newer)
    services.evidence_mappings_set(
        item=newer,
        user=people[Role.LEARNER],
        references={criterion(DESIGN, "1.1").pk: "p1"},
        expected_version=newer.version,
    )
    services.evidence_item_submit(item=newer, learner=people[Role.LEARNER], declared=True)

    response = client_for(people[Role.ASSESSOR]).get(reverse("evidence:assessor-dashboard"))

    assert [item.title for item in response.context["queue"]] == [
        "Complaints redesign",
        "Later work",
    ]
    summary = response.context["summaries"][0]
    assert summary.waiting == 2
    assert {unit.unit.code: unit.submitted for unit in summary.units} == {DESIGN: 2, QUALITY: 1}


def test_review_page_previews_files_and_lists_the_mappings(client_for, people, submitted):
    page = (
        client_for(people[Role.ASSESSOR])
        .get(reverse("evidence:item-review", args=[submitted.pk]))
        .content.decode()
    )
    assert "Page 2" in page and "Page 5" in page
    assert 'name="decision-' in page
    assert "Refer back to" in page and ">Accept<" in page


def test_referral_then_resubmission_keeps_the_history(client_for, people, submitted):
    assessor, learner = client_for(people[Role.ASSESSOR]), client_for(people[Role.LEARNER])
    first, second = keys(submitted)

    response = assessor.post(
        reverse("evidence:item-review", args=[submitted.pk]),
        review_post(
            submitted,
            "referred",
            "Add the before-and-after figures.",
            **{first: ("met", ""), second: ("not_met", "No plan attached.")},
        ),
    )

    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == EvidenceStatus.REFERRED
    page = learner.get(reverse("evidence:item-detail", args=[submitted.pk])).content.decode()
    assert "Add the before-and-after figures." in page and "No plan attached." in page

    # The learner changes the item (the old file stays in the history) and submits again.
    old_file = submitted.files.get()
    learner.post(reverse("evidence:file-delete", args=[old_file.pk]))
    assert EvidenceFile.all_objects.get(pk=old_file.pk).removed_at is not None
    learner.post(
        reverse("evidence:item-edit", args=[submitted.pk]),
        item_form_data(title="Complaints redesign v2", version=submitted.version),
    )
    learner.post(reverse("evidence:item-submit", args=[submitted.pk]), {"declared": "on"})
    submitted.refresh_from_db()
    assert submitted.status == EvidenceStatus.SUBMITTED
    assert submitted.submissions.count() == 2

    assessor.post(
        reverse("evidence:item-review", args=[submitted.pk]),
        review_post(submitted, "accepted", **{first: ("met", ""), second: ("met", "")}),
    )
    submitted.refresh_from_db()
    assert submitted.status == EvidenceStatus.ACCEPTED
    first_submission, second_submission = submitted.submissions.order_by("sequence")
    assert first_submission.review.outcome == "referred"
    assert first_submission.snapshot["title"] == "Complaints redesign"
    assert first_submission.snapshot["files"][0]["sha256"] == old_file.sha256
    assert second_submission.snapshot["title"] == "Complaints redesign v2"
    assert second_submission.snapshot["files"] == []
    page = learner.get(reverse("evidence:item-detail", args=[submitted.pk])).content.decode()
    assert "Submission 2" in page and "Referred back" in page
    # The removed file is still there for whoever reads the history.
    assert learner.get(reverse("evidence:file-download", args=[old_file.pk])).status_code == 200


def test_decisions_need_a_choice_and_feedback_where_not_met(client_for, people, submitted):
    first, _second = keys(submitted)
    url = reverse("evidence:item-review", args=[submitted.pk])
    assessor = client_for(people[Role.ASSESSOR])

    response = assessor.post(url, review_post(submitted, "accepted", **{first: ("not_met", "")}))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Say what is missing for this criterion." in page
    assert "Decide: met or not yet met." in page
    assert not Review.objects.exists()


def test_accepting_needs_a_met_criterion_and_referring_needs_feedback(
    client_for, people, submitted
):
    first, second = keys(submitted)
    url = reverse("evidence:item-review", args=[submitted.pk])
    assessor = client_for(people[Role.ASSESSOR])
    not_met = {first: ("not_met", "x"), second: ("not_met", "y")}

    page = assessor.post(url, review_post(submitted, "accepted", **not_met)).content.decode()
    assert "at least one criterion must be met" in page
    page = assessor.post(url, review_post(submitted, "referred", "", **not_met)).content.decode()
    assert "Say what the learner should change." in page
    assert not Review.objects.exists()


def test_two_decisions_on_one_submission_record_one(client_for, people, submitted, centre):
    """A second tab (or a second assessor after a reassignment) deciding the same submission
    is told; nothing is recorded twice."""
    first, second = keys(submitted)
    url = reverse("evidence:item-review", args=[submitted.pk])
    tab_one, tab_two = client_for(people[Role.ASSESSOR]), client_for(people[Role.ASSESSOR])
    tab_one.post(
        url, review_post(submitted, "accepted", **{first: ("met", ""), second: ("met", "")})
    )

    response = tab_two.post(
        url,
        review_post(submitted, "referred", "no", **{first: ("met", ""), second: ("met", "")}),
        follow=True,
    )

    assert "nothing to decide" in response.content.decode()
    assert Review.objects.count() == 1
    # The service says who decided first, when called directly.
    with pytest.raises(services.AlreadyDecided, match="already accepted this submission"):
        services.review_record(
            item=submitted,
            assessor=people[Role.ASSESSOR],
            outcome="referred",
            feedback="late",
            decisions={},
        )


def test_only_the_learners_assessor_reviews(client_for, people, submitted, other_centre_people):
    url = reverse("evidence:item-review", args=[submitted.pk])
    colleague = member(Role.ASSESSOR, submitted.portfolio.centre)
    assert client_for(people[Role.LEARNER]).get(url).status_code == 403
    assert client_for(people[Role.IQA]).get(url).status_code == 403
    assert client_for(colleague).get(url).status_code == 404
    assert client_for(other_centre_people[Role.ASSESSOR]).get(url).status_code == 404
    first, _ = keys(submitted)
    client_for(people[Role.LEARNER]).post(
        url, review_post(submitted, "accepted", **{first: ("met", "")})
    )
    assert not Review.objects.exists()
    with pytest.raises(Exception, match="Only the learner's assessor"):
        services.review_record(
            item=submitted, assessor=colleague, outcome="accepted", feedback="", decisions={}
        )


def test_forged_decision_for_an_unmapped_criterion_is_refused(submitted, people):
    first, second = keys(submitted)
    with pytest.raises(Exception, match="does not match this item"):
        services.review_record(
            item=submitted,
            assessor=people[Role.ASSESSOR],
            outcome="accepted",
            feedback="",
            decisions={
                int(first[1:]): (True, ""),
                int(second[1:]): (True, ""),
                criterion(DESIGN, "3.5").pk: (True, ""),
            },
        )
    assert not Review.objects.exists()


# --- Records the assessor writes ----------------------------------------------------------------


def test_assessor_writes_a_record_and_the_learner_confirms_it(client_for, people, portfolio):
    assessor, learner = client_for(people[Role.ASSESSOR]), client_for(people[Role.LEARNER])
    assessor.post(
        reverse("evidence:item-create", args=[portfolio.pk]),
        item_form_data(kind="observation", title="Observed team briefing"),
    )
    record = EvidenceItem.objects.get()
    assert record.created_by == people[Role.ASSESSOR]
    target = criterion(QUALITY, "3.2")
    assessor.post(
        reverse("evidence:item-mappings", args=[record.pk]),
        {
            "version": record.version,
            "criteria": [target.pk],
            f"reference-{target.pk}": "Minutes 10-25 of the briefing",
        },
    )
    # The learner cannot edit the assessor's record.
    assert learner.get(reverse("evidence:item-edit", args=[record.pk])).status_code == 403

    assessor.post(reverse("evidence:record-send", args=[record.pk]), {"declared": "on"})
    record.refresh_from_db()
    assert record.status == EvidenceStatus.AWAITING_CONFIRMATION
    page = learner.get(reverse("evidence:item-detail", args=[record.pk])).content.decode()
    assert "wrote this record of your work" in page

    learner.post(reverse("evidence:record-confirm", args=[record.pk]), {"declared": "on"})
    record.refresh_from_db()
    assert record.status == EvidenceStatus.ACCEPTED
    submission = Submission.objects.get(item=record)
    assert submission.learner_confirmation.signer == people[Role.LEARNER]
    assert submission.learner_confirmation.is_intact
    assert submission.review.decisions.get().met


def test_learner_sends_a_record_back_with_a_comment(client_for, people, portfolio):
    record = EvidenceItemFactory(
        portfolio=portfolio, kind="observation", created_by=people[Role.ASSESSOR]
    )
    services.evidence_mappings_set(
        item=record,
        user=people[Role.ASSESSOR],
        references={criterion(QUALITY, "3.2").pk: "Start of the meeting"},
        expected_version=record.version,
    )
    services.observation_send(item=record, assessor=people[Role.ASSESSOR], declared=True)

    client_for(people[Role.LEARNER]).post(
        reverse("evidence:record-return", args=[record.pk]),
        {"comment": "It was the weekly meeting, not the monthly one."},
    )

    record.refresh_from_db()
    assert record.status == EvidenceStatus.DRAFT
    assert Submission.objects.get(item=record).returned_comment.startswith("It was the weekly")
    # Nothing here is accepted evidence until the learner confirms a corrected record.
    from evidence.selectors import sign_off_candidates

    assert sign_off_candidates(portfolio) == {}


def test_an_assessor_cannot_write_the_learners_own_kinds_of_evidence(portfolio, people):
    import uuid

    with pytest.raises(Exception, match="observations and professional discussions"):
        services.evidence_item_create(
            portfolio=portfolio,
            author=people[Role.ASSESSOR],
            creation_token=uuid.uuid4(),
            title="x",
            kind="reflective_account",
            activity_date=portfolio.start_date,
            narrative="",
        )


@pytest.mark.django_db(transaction=True)
def test_concurrent_decisions_one_wins_and_the_other_is_told(people, portfolio):
    """Two requests deciding the same submission at the same moment, in two threads with
    their own database connections: the row lock and the one-review-per-submission
    constraint let exactly one through."""
    import threading

    from django.db import connection

    from evidence.services import AlreadyDecided, EvidenceLocked

    item = EvidenceItemFactory(portfolio=portfolio)
    target = criterion(DESIGN, "1.1")
    services.evidence_mappings_set(
        item=item,
        user=people[Role.LEARNER],
        references={target.pk: "p1"},
        expected_version=item.version,
    )
    services.evidence_item_submit(item=item, learner=people[Role.LEARNER], declared=True)

    barrier = threading.Barrier(2)
    outcomes = []

    def decide(outcome):
        try:
            barrier.wait()
            services.review_record(
                item=item,
                assessor=people[Role.ASSESSOR],
                outcome=outcome,
                feedback="Not yet" if outcome == "referred" else "",
                decisions={
                    target.pk: (outcome == "accepted", "" if outcome == "accepted" else "x")
                },
            )
            outcomes.append("decided")
        except (AlreadyDecided, EvidenceLocked) as error:
            outcomes.append(f"told: {error.message}")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(o,)) for o in ("accepted", "referred")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcome.split(":")[0] for outcome in outcomes) == ["decided", "told"]
    assert Review.objects.filter(item=item).count() == 1
