"""Fixity: a stored evidence file whose bytes no longer match its recorded SHA-256 (changed on
disk, truncated, lost) is found at sign-off, export and the assessor's review, by the scheduled
check and by ``manage.py verify_files``; it is marked damaged everywhere it appears, the
centre's administrators are told, the audit trail records it, and no new sign-off rests on it."""

import io
import re
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from pypdf import PdfReader

from evidence import services
from evidence.models import EvidenceFile, FileDamage, SignOff
from portfolio_site.accounts.models import Role
from portfolio_site.audit.models import AuditEvent
from portfolio_site.exports.document import render_portfolio_pdf
from portfolio_site.notifications.models import Notification
from tests import subprocesses
from tests.evidence.helpers import QUALITY, criterion
from tests.factories import EvidenceFileFactory, EvidenceItemFactory
from tests.subprocesses import project_environment

pytestmark = pytest.mark.django_db

QUALITY_CRITERIA = ("2.1", "3.1", "3.2")
ORIGINAL = b"Customer survey results, week 12: 41 replies, 87% satisfied.\n"
# The same length: a size check alone would not notice.
FORGED = b"Customer survey results, week 12: 41 replies, 99% satisfied.\n"


def accepted_item(portfolio, people, numbers, *, title="Quality review pack", submit_only=False):
    """An item of the Quality unit meeting ``numbers``, with one stored file, submitted and
    (unless ``submit_only``) accepted. Returns (item, file)."""
    item = EvidenceItemFactory(portfolio=portfolio, title=title)
    evidence_file = EvidenceFileFactory(
        item=item, content=ORIGINAL, original_name="survey-results.txt"
    )
    references = {criterion(QUALITY, number).pk: f"Section {number}" for number in numbers}
    services.evidence_mappings_set(
        item=item, user=people[Role.LEARNER], references=references, expected_version=item.version
    )
    services.evidence_item_submit(item=item, learner=people[Role.LEARNER], declared=True)
    if not submit_only:
        services.review_record(
            item=item,
            assessor=people[Role.ASSESSOR],
            outcome="accepted",
            feedback="",
            decisions={pk: (True, "") for pk in references},
        )
    item.refresh_from_db()
    return item, evidence_file


def overwrite(evidence_file: EvidenceFile, content: bytes) -> None:
    """Replace the stored bytes behind the application's back, as a tamperer or a disk would."""
    Path(evidence_file.file.path).write_bytes(content)


def damage_events(evidence_file):
    return AuditEvent.objects.filter(
        action="evidence.file_damaged", object_id=str(evidence_file.pk)
    )


def admin_notifications(people):
    return Notification.objects.filter(recipient=people[Role.CENTRE_ADMIN], kind="file_damaged")


# --- manage.py verify_files ------------------------------------------------------------------


def test_verify_files_names_a_tampered_and_a_missing_file_and_marks_them_damaged(portfolio, people):
    _, tampered = accepted_item(portfolio, people, ["2.1"])
    intact = EvidenceFileFactory(item=EvidenceItemFactory(portfolio=portfolio))
    lost = EvidenceFileFactory(
        item=EvidenceItemFactory(portfolio=portfolio), original_name="lost.txt"
    )
    overwrite(tampered, FORGED)
    Path(lost.file.path).unlink()
    out = io.StringIO()

    with pytest.raises(CommandError, match="2 of 3 evidence files are damaged"):
        call_command("verify_files", stdout=out)

    output = out.getvalue()
    assert re.search(
        rf"MISMATCH file {tampered.pk} “survey-results.txt” \({re.escape(tampered.file.name)}.*"
        "does not match its recorded hash",
        output,
    ), output
    assert f"MISSING  file {lost.pk} “lost.txt”" in output
    assert intact.original_name not in output
    tampered.refresh_from_db()
    lost.refresh_from_db()
    intact.refresh_from_db()
    assert (tampered.damage, lost.damage) == (FileDamage.CHANGED, FileDamage.MISSING)
    assert tampered.damaged_at and lost.damaged_at and not intact.damaged_at
    assert intact.verified_at is not None
    event = damage_events(tampered).get()
    assert event.details["found_sha256"] != tampered.sha256
    assert event.details["recorded_sha256"] == tampered.sha256
    assert event.centre_id == portfolio.centre_id and event.portfolio_id == portfolio.pk
    assert damage_events(lost).count() == 1
    messages = list(admin_notifications(people).values_list("message", flat=True))
    assert len(messages) == 2
    assert any(
        "survey-results.txt" in m and "does not match its recorded hash" in m for m in messages
    )


def test_a_second_check_does_not_tell_anyone_twice_and_a_restored_file_is_intact_again(
    portfolio, people
):
    _, evidence_file = accepted_item(portfolio, people, ["2.1"])
    overwrite(evidence_file, FORGED)
    with pytest.raises(CommandError):
        call_command("verify_files", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("verify_files", stdout=io.StringIO())
    assert damage_events(evidence_file).count() == 1
    assert admin_notifications(people).count() == 1

    overwrite(evidence_file, ORIGINAL)  # restored from a backup
    out = io.StringIO()
    call_command("verify_files", stdout=out)

    assert "All 1 evidence files match their recorded SHA-256." in out.getvalue()
    evidence_file.refresh_from_db()
    assert evidence_file.damaged_at is None and evidence_file.damage == ""
    assert AuditEvent.objects.filter(action="evidence.file_restored").count() == 1


# --- Sign-off ----------------------------------------------------------------------------------


def test_sign_off_hashes_the_files_and_refuses_a_changed_one(portfolio, people):
    _, evidence_file = accepted_item(portfolio, people, ["2.1"])
    overwrite(evidence_file, FORGED)

    with pytest.raises(ValidationError, match="does not match its recorded hash"):
        services.criteria_sign_off(
            portfolio=portfolio,
            assessor=people[Role.ASSESSOR],
            criterion_ids=[criterion(QUALITY, "2.1").pk],
            declared=True,
        )

    assert not SignOff.objects.exists()
    evidence_file.refresh_from_db()
    assert evidence_file.damage == FileDamage.CHANGED  # the refusal did not roll it back
    assert damage_events(evidence_file).get().details["during"] == "sign-off"
    assert admin_notifications(people).count() == 1


def test_the_sign_off_page_shows_the_damage_and_refuses(client_for, portfolio, people):
    _, evidence_file = accepted_item(portfolio, people, ["2.1"])
    overwrite(evidence_file, FORGED)
    assessor = client_for(people[Role.ASSESSOR])

    response = assessor.post(
        reverse("evidence:criteria-sign-off", args=[portfolio.pk]),
        {"criteria": [criterion(QUALITY, "2.1").pk], "declared": "on"},
        follow=True,
    )

    page = response.content.decode()
    assert "Not signed off: criterion 2.1 rests on a damaged evidence file" in page
    assert "Damaged evidence files" in page and "survey-results.txt" in page
    assert "damaged file</span>" in page
    assert not SignOff.objects.exists()


def test_a_restored_file_can_be_signed_off(portfolio, people):
    _, evidence_file = accepted_item(portfolio, people, ["2.1"])
    overwrite(evidence_file, FORGED)
    call = dict(
        portfolio=portfolio,
        assessor=people[Role.ASSESSOR],
        criterion_ids=[criterion(QUALITY, "2.1").pk],
        declared=True,
    )
    with pytest.raises(ValidationError):
        services.criteria_sign_off(**call)

    overwrite(evidence_file, ORIGINAL)
    [sign_off] = services.criteria_sign_off(**call)

    files = sign_off.assessor_signature.payload["evidence"][0]["files"]
    assert files == [{"name": "survey-results.txt", "sha256": evidence_file.sha256}]


def test_unit_sign_off_refuses_a_file_damaged_after_its_criteria_were_signed(portfolio, people):
    _, evidence_file = accepted_item(portfolio, people, QUALITY_CRITERIA)
    services.criteria_sign_off(
        portfolio=portfolio,
        assessor=people[Role.ASSESSOR],
        criterion_ids=[criterion(QUALITY, number).pk for number in QUALITY_CRITERIA],
        declared=True,
    )
    overwrite(evidence_file, FORGED)

    with pytest.raises(ValidationError, match="rests on a damaged evidence file"):
        services.unit_sign_off(
            portfolio=portfolio,
            unit=criterion(QUALITY, "2.1").outcome.unit,
            assessor=people[Role.ASSESSOR],
            declared=True,
        )
    assert not SignOff.objects.filter(kind="unit").exists()


# --- Downloads, the review page, the item page --------------------------------------------------


def test_a_shorter_file_is_served_with_its_real_length_and_marked_damaged(
    client_for, portfolio, people
):
    _, evidence_file = accepted_item(portfolio, people, ["2.1"])
    overwrite(evidence_file, ORIGINAL[:10])

    response = client_for(people[Role.ASSESSOR]).get(
        reverse("evidence:file-download", args=[evidence_file.pk])
    )

    assert response.status_code == 200
    assert response["Content-Length"] == "10"
    assert b"".join(response.streaming_content) == ORIGINAL[:10]
    evidence_file.refresh_from_db()
    assert evidence_file.damage == FileDamage.CHANGED


def test_the_review_page_checks_the_files_and_shows_a_changed_one_as_damaged(
    client_for, portfolio, people
):
    item, evidence_file = accepted_item(portfolio, people, ["2.1"], submit_only=True)
    overwrite(evidence_file, FORGED)

    page = (
        client_for(people[Role.ASSESSOR])
        .get(reverse("evidence:item-review", args=[item.pk]))
        .content.decode()
    )

    assert "Damaged file:" in page and "does not match its recorded hash" in page
    evidence_file.refresh_from_db()
    assert damage_events(evidence_file).get().details["during"] == "the assessor's review"
    # The item page shows it too, to everyone who sees the item.
    item_page = (
        client_for(people[Role.LEARNER])
        .get(reverse("evidence:item-detail", args=[item.pk]))
        .content.decode()
    )
    assert "Damaged file:" in item_page and "survey-results.txt" in item_page


def test_an_intact_file_is_not_shown_as_damaged(client_for, portfolio, people):
    item, evidence_file = accepted_item(portfolio, people, ["2.1"], submit_only=True)

    page = (
        client_for(people[Role.ASSESSOR])
        .get(reverse("evidence:item-review", args=[item.pk]))
        .content.decode()
    )

    assert "Damaged file:" not in page
    evidence_file.refresh_from_db()
    assert evidence_file.verified_at is not None and evidence_file.damaged_at is None


# --- The PDF export ---------------------------------------------------------------------------


def test_the_export_hashes_every_file_even_when_it_attaches_none(portfolio, people, tmp_path):
    _, evidence_file = accepted_item(portfolio, people, ["2.1"])
    overwrite(evidence_file, FORGED)

    result = render_portfolio_pdf(
        portfolio, tmp_path / "export.pdf", export_reference="EXP-9", attach_originals=False
    )

    text = re.sub(
        r"\s+", " ", "\n".join(p.extract_text() for p in PdfReader(tmp_path / "export.pdf").pages)
    )
    assert "does not match its recorded hash: survey-results.txt" in text
    assert result.missing_files == ["survey-results.txt"]
    evidence_file.refresh_from_db()
    assert evidence_file.damage == FileDamage.CHANGED
    assert damage_events(evidence_file).get().details["during"] == "export"


# --- The scheduled check, under the worker that `make run` starts ------------------------------


def test_the_fixity_task_is_on_the_beat_schedule():
    entry = settings.CELERY_BEAT_SCHEDULE["verify-evidence-files"]
    assert entry["task"] == "evidence.tasks.files_verify_all_task"
    assert Path(settings.CELERY_BEAT_SCHEDULE_FILENAME).parent == Path(settings.VAR_DIR)


def test_the_task_checks_every_file(portfolio, people):
    from evidence.tasks import files_verify_all_task

    _, evidence_file = accepted_item(portfolio, people, ["2.1"])
    overwrite(evidence_file, FORGED)

    assert files_verify_all_task.delay().get() == 1
    assert damage_events(evidence_file).get().details["during"] == "the scheduled check"


def procfile_worker_command() -> list[str]:
    line = next(
        line
        for line in (Path(settings.BASE_DIR) / "portfolio_site/Procfile.dev")
        .read_text()
        .splitlines()
        if line.startswith("worker:")
    )
    command = line.split(":", 1)[1].split()
    assert command[0] == "celery"
    return [sys.executable, "-m", *command]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_make_run_worker_runs_the_scheduled_check(portfolio, people, tmp_path, media_root):
    _, evidence_file = accepted_item(portfolio, people, ["2.1"])
    overwrite(evidence_file, FORGED)
    env = project_environment(
        tmp_path, media_root, settings_module="portfolio_site.settings", FIXITY_CHECK_SECONDS="1"
    )
    log_path = tmp_path / "worker.log"

    with subprocesses._process(procfile_worker_command(), env, log_path) as worker:
        subprocesses.wait_for(
            lambda: EvidenceFile.all_objects.filter(
                pk=evidence_file.pk, damaged_at__isnull=False
            ).exists(),
            process=worker,
            log_path=log_path,
            what="the scheduled fixity check",
        )

    assert damage_events(evidence_file).get().details["during"] == "the scheduled check"
    assert admin_notifications(people).count() == 1
    assert (tmp_path / "var" / "celerybeat-schedule").exists() or any(
        (tmp_path / "var").glob("celerybeat-schedule*")
    ), log_path.read_text()
