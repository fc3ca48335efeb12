"""Export jobs: asking, running (idempotent, safe against a second delivery), failing, retrying.

Tasks run eagerly here (test_settings); tests/exports/test_worker.py runs a real worker.
"""

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.core.checks import registry as check_registry
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone
from pypdf import PdfReader

from portfolio_site.accounts.models import Role
from portfolio_site.audit.models import AuditEvent
from portfolio_site.exports import services
from portfolio_site.exports.checks import check_export_time_limits
from portfolio_site.exports.models import ExportJob, ExportStatus
from portfolio_site.exports.tasks import export_run_task
from portfolio_site.notifications.models import Notification

QUICK = "tests.exports.renderers.quick_render"
FAILING = "tests.exports.renderers.failing_render"


@pytest.fixture
def renderer(settings):
    """Choose the renderer the service calls (quick by default)."""
    settings.EXPORT_RENDERER = QUICK

    def use(dotted_path: str) -> None:
        settings.EXPORT_RENDERER = dotted_path

    return use


@pytest.fixture
def admin(people):
    return people[Role.CENTRE_ADMIN]


def export_files(media_root: Path) -> list[Path]:
    """Everything under MEDIA_ROOT/exports, temporary files included."""
    folder = media_root / "exports"
    return sorted(path for path in folder.rglob("*") if path.is_file()) if folder.exists() else []


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def actions(job: ExportJob) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="exports.exportjob", object_id=str(job.pk))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def test_a_request_is_queued_and_rendered_once_committed(
    portfolio, admin, renderer, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job, created = services.export_request(portfolio=portfolio, requested_by=admin)
    assert created and job.status == ExportStatus.QUEUED
    assert export_files(media_root) == []  # nothing runs before the commit

    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()

    job.refresh_from_db()
    assert job.status == ExportStatus.READY
    assert (job.progress, job.stage, job.attempts, job.error) == (100, "Ready", 1, "")
    assert job.file.name == f"exports/{portfolio.pk}/{job.reference}.pdf"
    assert export_files(media_root) == [media_root / job.file.name]
    pdf = (media_root / job.file.name).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert job.sha256 == hashlib.sha256(pdf).hexdigest() and job.size == len(pdf)
    assert job.page_count == 3
    assert job.started_at <= job.finished_at
    assert job.reference == f"EXP-{timezone.localtime(job.requested_at):%Y}-{job.pk:06d}"
    assert actions(job) == ["export.requested", "export.completed"]
    notification = Notification.objects.get(recipient=admin, kind="export_ready")
    assert job.reference in notification.message
    assert notification.url == f"/exports/portfolios/{portfolio.pk}/"


def test_asking_again_while_one_is_under_way_returns_that_one(portfolio, admin, people):
    first, created = services.export_request(portfolio=portfolio, requested_by=admin)
    again, created_again = services.export_request(portfolio=portfolio, requested_by=admin)
    learners, learner_created = services.export_request(
        portfolio=portfolio, requested_by=people[Role.LEARNER]
    )

    assert created and not created_again and again.pk == first.pk
    assert learner_created and learners.pk != first.pk  # one each per person
    assert ExportJob.objects.count() == 2


def test_the_database_refuses_a_second_active_job_for_one_requester(portfolio, admin):
    ExportJob.objects.create(portfolio=portfolio, requested_by=admin)
    with pytest.raises(IntegrityError), transaction.atomic():
        ExportJob.objects.create(
            portfolio=portfolio, requested_by=admin, status=ExportStatus.RUNNING
        )


def test_running_twice_makes_one_file(portfolio, admin, renderer, media_root):
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)

    services.export_run(job.pk)
    job.refresh_from_db()
    first = (job.sha256, job.finished_at, job.attempts)
    services.export_run(job.pk)
    export_run_task.delay(job.pk)  # the task, as a redelivered message would run it

    job.refresh_from_db()
    assert job.status == ExportStatus.READY
    assert (job.sha256, job.finished_at, job.attempts) == first
    assert export_files(media_root) == [media_root / job.file.name]
    assert sha256_file(media_root / job.file.name) == job.sha256
    assert actions(job).count("export.completed") == 1


# A renderer during which the same job is delivered again, as when a broker hands a message to
# a second worker while the first still runs. The second run renders quickly and finishes.
def render_with_second_delivery(portfolio, target, **options):
    progress = options["progress"]
    progress(10, "First run starts")
    job = ExportJob.objects.get(portfolio=portfolio)
    with override_settings(EXPORT_RENDERER=QUICK):
        services.export_run(job.pk)  # the second delivery claims the job and finishes it
    target.write_bytes(b"%PDF-1.7\n% the first run's half-written file")
    progress(60, "First run carries on")  # finds the job taken by the second: stops here
    raise AssertionError("the first run should have stopped at its progress report")


def test_a_second_delivery_takes_over_and_the_first_run_publishes_nothing(
    portfolio, admin, renderer, media_root
):
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    renderer("tests.exports.test_jobs.render_with_second_delivery")

    services.export_run(job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.READY and job.attempts == 2
    files = export_files(media_root)
    assert files == [media_root / job.file.name]  # the first run's temporary file is gone
    assert sha256_file(files[0]) == job.sha256
    assert b"half-written" not in files[0].read_bytes()
    assert actions(job).count("export.completed") == 1


def test_a_failed_render_records_a_readable_error_and_leaves_no_file(
    portfolio, admin, renderer, media_root
):
    renderer(FAILING)
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)

    services.export_run(job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "error in NVQ Portfolio (ValueError)" in job.error
    assert "Traceback" not in job.error and "template broke" not in job.error
    assert job.shows_as_failed and not job.is_downloadable
    assert export_files(media_root) == []  # the half-written temporary file is gone
    assert actions(job) == ["export.requested", "export.failed"]
    assert Notification.objects.filter(recipient=admin, kind="export_failed").count() == 1

    services.export_run(job.pk)  # a stray redelivery does not run a failed job again
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.attempts == 1


def test_retry_after_failure_runs_the_same_job_again(
    portfolio, admin, people, renderer, media_root, django_capture_on_commit_callbacks
):
    renderer(FAILING)
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    services.export_run(job.pk)
    renderer(QUICK)

    learner = people[Role.LEARNER]
    with django_capture_on_commit_callbacks(execute=True):
        retried = services.export_retry(job=job, user=learner)
    assert retried.pk == job.pk

    job.refresh_from_db()
    assert job.status == ExportStatus.READY and job.error == ""
    assert (job.retries, job.attempts) == (1, 1)
    assert job.requested_by == admin  # still the admin's export
    assert export_files(media_root) == [media_root / job.file.name]
    assert actions(job) == [
        "export.requested",
        "export.failed",
        "export.retried",
        "export.completed",
    ]
    retried_event = AuditEvent.objects.get(action="export.retried")
    assert retried_event.actor == learner
    assert "ValueError" in retried_event.details["failed_because"]


def test_only_a_failed_export_is_retried(portfolio, admin, renderer):
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    with pytest.raises(services.ExportRefused, match="queued"):
        services.export_retry(job=job, user=admin)
    services.export_run(job.pk)
    with pytest.raises(services.ExportRefused, match="ready"):
        services.export_retry(job=job, user=admin)


def test_retry_is_refused_while_the_requester_has_another_export_under_way(
    portfolio, admin, renderer
):
    renderer(FAILING)
    failed, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    services.export_run(failed.pk)
    services.export_request(portfolio=portfolio, requested_by=admin)

    with pytest.raises(services.ExportRefused, match="already has another export"):
        services.export_retry(job=failed, user=admin)
    failed.refresh_from_db()
    assert failed.status == ExportStatus.FAILED


def raise_soft_time_limit(portfolio, target, **options):
    """What Celery raises inside a task when its soft time limit passes."""
    target.write_bytes(b"%PDF-1.7\n% unfinished")
    raise SoftTimeLimitExceeded()


def test_the_soft_time_limit_fails_the_export_with_how_long_it_took(
    portfolio, admin, renderer, media_root, settings
):
    settings.EXPORT_SOFT_TIME_LIMIT = 25 * 60
    renderer("tests.exports.test_jobs.raise_soft_time_limit")
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)

    services.export_run(job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.error.startswith("The export took longer than 25 minutes and was stopped.")
    assert export_files(media_root) == []


def test_a_ready_export_whose_file_vanished_is_rendered_again(
    portfolio, admin, renderer, media_root
):
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    services.export_run(job.pk)
    job.refresh_from_db()
    (media_root / job.file.name).unlink()

    services.export_run(job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.READY and job.attempts == 2
    assert sha256_file(media_root / job.file.name) == job.sha256


def test_an_export_that_keeps_dying_is_given_up(portfolio, admin, renderer, settings):
    settings.EXPORT_MAX_ATTEMPTS = 3
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    # Three runs started and none finished: each worker was killed (RUNNING, as it left it).
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, attempts=3)

    services.export_run(job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "started 3 times and stopped each time" in job.error


def test_a_killed_runs_redelivery_removes_its_half_written_file(
    portfolio, admin, renderer, media_root
):
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    folder = media_root / "exports" / str(portfolio.pk)
    folder.mkdir(parents=True)
    leftover = folder / f".{job.reference}.0123abcd.part"
    leftover.write_bytes(b"%PDF-1.7\n% cut off by SIGKILL")
    ExportJob.objects.filter(pk=job.pk).update(status=ExportStatus.RUNNING, attempts=1)

    services.export_run(job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.READY and job.attempts == 2
    assert export_files(media_root) == [media_root / job.file.name]


def test_a_running_job_silent_for_longer_than_the_hard_limit_shows_as_failed(
    portfolio, admin, renderer, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_TIME_LIMIT = 30 * 60
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    last_heard = timezone.now() - timedelta(minutes=29)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, started_at=last_heard, heartbeat_at=last_heard
    )
    job.refresh_from_db()
    assert job.is_active and not job.shows_as_failed

    ExportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=31))
    job.refresh_from_db()
    assert job.shows_as_failed and not job.is_active
    assert "stopped without finishing" in job.failure_message

    with django_capture_on_commit_callbacks(execute=True):
        services.export_retry(job=job, user=admin)
    job.refresh_from_db()
    assert job.status == ExportStatus.READY


def test_a_job_queued_for_longer_than_the_patience_shows_as_lost_and_retry_queues_it_again(
    portfolio, admin, renderer, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_QUEUE_PATIENCE = 60 * 60
    # Queued, and its message never reaches a worker (the callbacks are not run).
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)
    ExportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(minutes=59))
    job.refresh_from_db()
    assert job.is_active and not job.shows_as_failed

    ExportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(minutes=61))
    job.refresh_from_db()
    assert job.shows_as_failed and not job.is_active
    # (timesince keeps "1 hour" on one line with a no-break space)
    assert job.failure_message.startswith("No worker started this export in 1\xa0hour")

    # Asking again gives the same job back (one active job per requester), as lost.
    again, created = services.export_request(portfolio=portfolio, requested_by=admin)
    assert (again.pk, created) == (job.pk, False) and again.shows_as_failed

    with django_capture_on_commit_callbacks(execute=True):
        retried = services.export_retry(job=job, user=admin)
    assert timezone.now() - retried.queued_at < timedelta(minutes=1)
    job.refresh_from_db()
    assert job.status == ExportStatus.READY and job.retries == 1
    retry = AuditEvent.objects.get(action="export.retried")
    assert retry.details["failed_because"].startswith("No worker started this export")


def test_the_task_is_acknowledged_late_with_time_limits_from_settings(settings):
    assert export_run_task.acks_late is True
    assert export_run_task.reject_on_worker_lost is True
    assert export_run_task.soft_time_limit == settings.EXPORT_SOFT_TIME_LIMIT
    assert export_run_task.time_limit == settings.EXPORT_TIME_LIMIT
    assert settings.EXPORT_SOFT_TIME_LIMIT < settings.EXPORT_TIME_LIMIT


@pytest.mark.parametrize(
    ("broker", "soft", "hard", "visibility", "errors"),
    [
        ("filesystem://", 1500, 1800, None, []),
        ("redis://127.0.0.1:6379/0", 1500, 1800, 7200, []),
        ("redis://127.0.0.1:6379/0", 1800, 1800, 7200, ["exports.E001"]),
        ("redis://127.0.0.1:6379/0", 1500, 1800, 1800, ["exports.E002"]),
        ("redis://127.0.0.1:6379/0", 1500, 4000, None, ["exports.E002"]),  # kombu's 3600
        ("filesystem://", 0, 1800, None, ["exports.E001"]),
    ],
)
def test_the_system_check_keeps_soft_below_hard_below_visibility(
    broker, soft, hard, visibility, errors
):
    options = {} if visibility is None else {"visibility_timeout": visibility}
    with override_settings(
        CELERY_BROKER_URL=broker,
        CELERY_BROKER_TRANSPORT_OPTIONS=options,
        EXPORT_SOFT_TIME_LIMIT=soft,
        EXPORT_TIME_LIMIT=hard,
    ):
        assert [error.id for error in check_export_time_limits(None)] == errors


def test_the_project_settings_pass_the_registered_check():
    assert check_export_time_limits in check_registry.registry.get_checks()
    assert check_export_time_limits(None) == []


def test_the_real_document_carries_the_jobs_reference(portfolio, admin, media_root, settings):
    assert settings.EXPORT_RENDERER == "portfolio_site.exports.document.render_portfolio_pdf"
    job, _ = services.export_request(portfolio=portfolio, requested_by=admin)

    services.export_run(job.pk)

    job.refresh_from_db()
    assert job.status == ExportStatus.READY, job.error
    reader = PdfReader(media_root / job.file.name)
    assert len(reader.pages) == job.page_count
    text = " ".join(page.extract_text() for page in reader.pages)
    assert job.reference in text  # in the footer of every page
    assert portfolio.learner.get_full_name() in text
    assert sha256_file(media_root / job.file.name) == job.sha256
