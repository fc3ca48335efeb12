"""Portfolio exports: asking for one, running it (in a Celery worker), retrying, downloading.

How a run stays safe when a worker dies or a message is delivered twice:

- A run *claims* the job under a row lock, writing a fresh run token. A later delivery of the
  same message (the worker was killed, the broker redelivered) claims it again with a new token;
  the earlier run, if it is somehow still alive, finds its token gone at its next progress
  report or at the end, and stops without publishing anything.
- The PDF is written to a temporary name beside its final one, hashed, and renamed into place
  (os.replace, atomic on one filesystem) by the run that still holds the token, under the row
  lock; only then does the row point at it. The final name is fixed per job, so however many
  runs there were, there is one file, and nothing half-written is ever the job's file.
- A job that is ready with its file present is left alone: running the service twice makes one
  file.
"""

import hashlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from evidence.models import Portfolio
from evidence.services.common import record
from portfolio_site.accounts.models import User
from portfolio_site.exports import document
from portfolio_site.exports.models import ACTIVE_STATUSES, ExportJob, ExportStatus
from portfolio_site.notifications.services import notify

logger = logging.getLogger(__name__)

EXPORTS_FOLDER = "exports"
# The render reports 0-100; the last few per cent are hashing and putting the file in place.
RENDER_SHARE = 95


class ExportRefused(ValidationError):
    """What was asked cannot be done to this export as it stands (retrying a ready one)."""


class RunSuperseded(Exception):
    """Another delivery of this job's message has claimed it; this run stops."""


# --- Asking ---------------------------------------------------------------------------------


def export_request(*, portfolio: Portfolio, requested_by: User) -> tuple[ExportJob, bool]:
    """A new export of ``portfolio``, queued once the transaction commits; or, if this person
    already has one queued or running (a double click, a second tab), that one. Returns
    ``(job, created)``. The caller has checked that ``requested_by`` may export it."""
    with transaction.atomic():
        existing = _active_job(portfolio=portfolio, requested_by=requested_by)
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                job = ExportJob.objects.create(portfolio=portfolio, requested_by=requested_by)
        except IntegrityError:
            # A simultaneous request won the race (the partial unique constraint).
            return _active_job(portfolio=portfolio, requested_by=requested_by), False
        record(
            "export.requested",
            actor=requested_by,
            portfolio=portfolio,
            target=job,
            reference=job.reference,
        )
        _enqueue_on_commit(job)
    return job, True


def export_request_many(*, portfolios: list[Portfolio], requested_by: User) -> list[ExportJob]:
    """One export per portfolio (an already running one is reused), in the order given."""
    return [
        export_request(portfolio=portfolio, requested_by=requested_by)[0]
        for portfolio in portfolios
    ]


def export_retry(*, job: ExportJob, user: User) -> ExportJob:
    """Run a failed (or stalled) export again, as a new attempt on the same row: it keeps its
    reference, which people may already have quoted, and the audit trail keeps every attempt.
    The caller has checked that ``user`` may export the portfolio."""
    with transaction.atomic():
        locked = _lock(job.pk)
        if not locked.shows_as_failed:
            raise ExportRefused(
                f"Export {locked.reference} is {locked.get_status_display().lower()}: "
                "only a failed export is retried."
            )
        failed_because = locked.failure_message
        locked.status = ExportStatus.QUEUED
        locked.progress, locked.stage, locked.error = 0, "", ""
        locked.attempts, locked.retries = 0, locked.retries + 1
        locked.run_token, locked.run_by = None, ""
        locked.started_at = locked.heartbeat_at = locked.finished_at = None
        locked.queued_at = timezone.now()
        try:
            with transaction.atomic():
                locked.save()
        except IntegrityError:
            raise ExportRefused(
                f"{locked.requested_by} already has another export of this portfolio under way."
            ) from None
        record(
            "export.retried",
            actor=user,
            portfolio=locked.portfolio,
            target=locked,
            reference=locked.reference,
            failed_because=failed_because[:300],
        )
        _enqueue_on_commit(locked)
    return locked


def export_downloaded(*, job: ExportJob, user: User) -> None:
    record(
        "export.downloaded",
        actor=user,
        portfolio=job.portfolio,
        target=job,
        reference=job.reference,
        sha256=job.sha256,
    )


def _active_job(*, portfolio: Portfolio, requested_by: User) -> ExportJob | None:
    return ExportJob.objects.filter(
        portfolio=portfolio, requested_by=requested_by, status__in=ACTIVE_STATUSES
    ).first()


def _enqueue_on_commit(job: ExportJob) -> None:
    # Imported here: the task module imports this one to call export_run.
    from portfolio_site.exports.tasks import export_run_task

    transaction.on_commit(partial(export_run_task.delay, job.pk))


# --- Running (in the worker) ----------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    job: ExportJob
    token: uuid.UUID


def export_run(job_id: int) -> None:
    """Render job ``job_id``'s PDF and put it in place. Safe to call any number of times, and
    from two workers at once: see the module docstring."""
    claim = _claim(job_id)
    if claim is None:
        return
    job = claim.job
    final_path = export_path(job)
    temp_path = final_path.with_name(f".{final_path.stem}.{claim.token.hex}.part")
    renderer = import_string(settings.EXPORT_RENDERER)
    try:
        result = renderer(
            job.portfolio,
            temp_path,
            export_reference=job.reference,
            attach_originals=job.attach_originals,
            progress=partial(_report_progress, job.pk, claim.token),
        )
        sha256, size = _hash_and_sync(temp_path)
    except RunSuperseded:
        logger.info("Export %s: a later run took over; this one stops.", job.reference)
        temp_path.unlink(missing_ok=True)
        return
    except SoftTimeLimitExceeded:
        temp_path.unlink(missing_ok=True)
        _fail(
            claim,
            f"The export took longer than {_duration(settings.EXPORT_SOFT_TIME_LIMIT)} and was "
            "stopped. Try again at a quieter time; if it stops again, tell your centre's "
            "administrator (the portfolio may be too large to export in one go).",
        )
        return
    except Exception as error:
        temp_path.unlink(missing_ok=True)
        logger.exception("Export %s failed", job.reference)
        _fail(claim, readable_error(error))
        return
    try:
        _publish(claim, temp_path, final_path, result, sha256=sha256, size=size)
    except Exception as error:
        temp_path.unlink(missing_ok=True)
        logger.exception("Export %s could not be put in place", job.reference)
        _fail(claim, readable_error(error))


def export_path(job: ExportJob) -> Path:
    """Where the finished file of ``job`` lives: one fixed name per job."""
    folder = Path(settings.MEDIA_ROOT) / EXPORTS_FOLDER / str(job.portfolio_id)
    return folder / f"{job.reference}.pdf"


def readable_error(error: Exception) -> str:
    """Words for the page, never a traceback (that goes to the log)."""
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, MemoryError):
        limit = settings.EXPORT_MEMORY_LIMIT_BYTES
        within = f" (the limit is {limit / 1024**3:.1f} GB)" if limit > 0 else ""
        return (
            f"The export ran out of memory{within} and was stopped. A very large picture or "
            "document in the portfolio is the likely cause: replace it with a smaller copy and "
            "try again, or tell your centre's administrator."
        )
    if isinstance(error, OSError):
        return (
            "The export could not be written to disk "
            f"({error.strerror or type(error).__name__}). Try again; if it fails again, tell "
            "your centre's administrator."
        )
    return (
        f"The export failed because of an error in NVQ Portfolio ({type(error).__name__}). "
        "It has been logged. Try again; if it fails again, tell your centre's administrator."
    )


def _duration(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{round(seconds / 60)} minutes"


def _lock(job_id: int) -> ExportJob:
    return (
        ExportJob.objects.select_for_update(of=("self",))
        .select_related("portfolio__learner", "portfolio__centre", "requested_by")
        .get(pk=job_id)
    )


def _claim(job_id: int) -> _Claim | None:
    """Take the job for this run, or None if there is nothing to do."""
    with transaction.atomic():
        try:
            job = _lock(job_id)
        except ExportJob.DoesNotExist:
            logger.warning("Export job %s no longer exists; nothing to do.", job_id)
            return None
        if job.status == ExportStatus.READY and _file_present(job):
            return None
        if job.status == ExportStatus.FAILED:
            return None  # only Retry queues a failed export again
        # QUEUED; RUNNING when a killed worker's message comes back; or READY with its file
        # gone from disk, which is rendered again.
        if job.attempts >= settings.EXPORT_MAX_ATTEMPTS:
            _mark_failed(
                job,
                f"The export was started {job.attempts} times and stopped each time before "
                "finishing (its worker was stopped or ran out of memory). Try again later; "
                "if it stops again, tell your centre's administrator.",
            )
            return None
        token = uuid.uuid4()
        now = timezone.now()
        job.status = ExportStatus.RUNNING
        job.run_token, job.run_by = token, f"{socket.gethostname()}:{os.getpid()}"
        job.attempts += 1
        job.started_at = job.heartbeat_at = now
        job.finished_at = None
        job.progress, job.stage, job.error = 0, "Starting", ""
        job.file, job.sha256, job.size = "", "", None
        job.page_count = job.attached_files = None
        job.missing_files = ""
        job.attach_originals = document.should_attach_originals(job.portfolio)
        job.save()
    _remove_partial_files(job)
    return _Claim(job=job, token=token)


def _report_progress(job_id: int, token: uuid.UUID, percent: int, stage: str) -> None:
    """The renderer's progress callback: also the run's heartbeat, and where a run that has
    lost the job to a later delivery finds out."""
    updated = ExportJob.objects.filter(
        pk=job_id, run_token=token, status=ExportStatus.RUNNING
    ).update(
        progress=max(0, min(100, int(percent))) * RENDER_SHARE // 100,
        stage=stage[:120],
        heartbeat_at=timezone.now(),
    )
    if not updated:
        raise RunSuperseded


def _hash_and_sync(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
            size += len(chunk)
        # On disk before the rename makes it the job's file, so a crash cannot leave a
        # renamed but empty file.
        os.fsync(stream.fileno())
    return digest.hexdigest(), size


def _publish(claim: _Claim, temp_path: Path, final_path: Path, result, *, sha256, size) -> None:
    with transaction.atomic():
        job = _lock(claim.job.pk)
        if job.run_token != claim.token or job.status != ExportStatus.RUNNING:
            temp_path.unlink(missing_ok=True)
            logger.info("Export %s: a later run took over; its file is not used.", job.reference)
            return
        os.replace(temp_path, final_path)
        job.file.name = final_path.relative_to(settings.MEDIA_ROOT).as_posix()
        job.sha256, job.size = sha256, size
        job.page_count = result.page_count
        job.attached_files = result.attached_files
        job.missing_files = "\n".join(result.missing_files)
        job.status, job.progress, job.stage = ExportStatus.READY, 100, "Ready"
        job.finished_at = job.heartbeat_at = timezone.now()
        job.run_token = None
        job.save()
        record(
            "export.completed",
            actor=None,
            actor_label="export worker",
            portfolio=job.portfolio,
            target=job,
            reference=job.reference,
            sha256=sha256,
            size=size,
            pages=result.page_count,
        )
        notify(
            recipients=[job.requested_by],
            kind="export_ready",
            message=f"The PDF of {job.portfolio.learner}'s portfolio ({job.reference}) is ready "
            "to download.",
            url=reverse("exports:portfolio-exports", args=[job.portfolio_id]),
        )


def _fail(claim: _Claim, message: str) -> None:
    with transaction.atomic():
        job = _lock(claim.job.pk)
        if job.run_token == claim.token and job.status == ExportStatus.RUNNING:
            _mark_failed(job, message)


def _mark_failed(job: ExportJob, message: str) -> None:
    """Caller holds the job's row lock."""
    job.status, job.error, job.stage = ExportStatus.FAILED, message, "Failed"
    job.finished_at = timezone.now()
    job.run_token = None
    job.save()
    record(
        "export.failed",
        actor=None,
        actor_label="export worker",
        portfolio=job.portfolio,
        target=job,
        reference=job.reference,
        error=message[:300],
    )
    notify(
        recipients=[job.requested_by],
        kind="export_failed",
        message=f"The PDF of {job.portfolio.learner}'s portfolio ({job.reference}) could not "
        "be made.",
        url=reverse("exports:portfolio-exports", args=[job.portfolio_id]),
    )


def _file_present(job: ExportJob) -> bool:
    return bool(job.file) and (Path(settings.MEDIA_ROOT) / job.file.name).is_file()


def _remove_partial_files(job: ExportJob) -> None:
    """Temporary files of earlier runs of this job (a killed worker leaves its half-written
    one behind). A run still writing one has lost the job and will not publish it."""
    folder = export_path(job).parent
    folder.mkdir(parents=True, exist_ok=True)
    for leftover in folder.glob(f".{job.reference}.*.part"):
        leftover.unlink(missing_ok=True)
