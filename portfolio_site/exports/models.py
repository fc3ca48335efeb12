"""An export job: one request for a portfolio's PDF, from the click to the file on disk."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.timesince import timesince

from evidence.models import Portfolio


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


# A job in one of these has a worker on it, or waiting to take it.
ACTIVE_STATUSES = (ExportStatus.QUEUED, ExportStatus.RUNNING)


class ExportJob(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="export_jobs")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Per cent, 0 to 100.")
    stage = models.CharField(max_length=120, blank=True, help_text="What the worker is doing.")
    attach_originals = models.BooleanField(
        default=False, help_text="Whether the original evidence files are attached in the PDF."
    )
    # Set only once the finished file has been hashed and renamed into place.
    file = models.FileField(max_length=255, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True, help_text="Bytes.")
    page_count = models.PositiveIntegerField(null=True, blank=True)
    attached_files = models.PositiveIntegerField(null=True, blank=True)
    # Evidence files that could not be read, one name a line; the document says where each was.
    missing_files = models.TextField(blank=True)
    error = models.TextField(blank=True, help_text="Why the export failed, in words for people.")
    # Runs started since the job was queued (a killed worker's redelivery is one more), and
    # times someone pressed Retry.
    attempts = models.PositiveSmallIntegerField(default=0)
    retries = models.PositiveSmallIntegerField(default=0)
    # The run that holds the job. A run whose token is no longer here lost the job to a later
    # delivery of the same message and must not publish its file.
    run_token = models.UUIDField(null=True, blank=True, editable=False)
    run_by = models.CharField(max_length=200, blank=True, help_text="host:pid of that run.")
    requested_at = models.DateTimeField(default=timezone.now)
    # When it last went into the queue: asked for, or retried.
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life from the run: when it started or last reported progress.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        constraints = [
            # A double click or a second tab must not queue the same export twice.
            models.UniqueConstraint(
                fields=["portfolio", "requested_by"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="exports_one_active_job_per_requester",
                violation_error_message="An export of this portfolio is already under way.",
            ),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="exports_progress_at_most_100"
            ),
            # A ready job always points at a hashed file.
            models.CheckConstraint(
                condition=~Q(status=ExportStatus.READY) | (~Q(file="") & ~Q(sha256="")),
                name="exports_ready_has_file",
            ),
        ]
        indexes = [models.Index(fields=["portfolio", "-requested_at"])]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_status_display().lower()})"

    @property
    def reference(self) -> str:
        """The public reference people quote, printed in the PDF's footer: EXP-2026-000123."""
        return f"EXP-{timezone.localtime(self.requested_at):%Y}-{self.pk:06d}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES and not self.is_stalled

    @property
    def is_stalled(self) -> bool:
        """Queued or running, but silent for so long that no worker will ever finish it.

        Running with no sign of life for longer than the hard time limit: no run lasts that
        long (the worker kills it), so its worker died and the message that would have started
        it again is gone (a filesystem broker loses unacknowledged messages with its worker).

        Queued for longer than EXPORT_QUEUE_PATIENCE: the message that would start it was lost
        before any worker took it (Redis restarted without saving its queue, the broker folder
        was cleared), or no export worker is running at all."""
        return self._stall_reason is not None

    @property
    def _stall_reason(self) -> str | None:
        """The status the job is stuck in (see is_stalled), or None."""
        if self.status == ExportStatus.RUNNING:
            silent_since = self.heartbeat_at or self.started_at or self.queued_at
            limit = settings.EXPORT_TIME_LIMIT
        elif self.status == ExportStatus.QUEUED:
            silent_since, limit = self.queued_at, settings.EXPORT_QUEUE_PATIENCE
        else:
            return None
        return self.status if timezone.now() - silent_since > timedelta(seconds=limit) else None

    @property
    def shows_as_failed(self) -> bool:
        return self.status == ExportStatus.FAILED or self.is_stalled

    @property
    def failure_message(self) -> str:
        reason = self._stall_reason
        if reason == ExportStatus.RUNNING:
            return (
                "The export stopped without finishing: the worker running it was stopped. "
                "Press Retry to start it again."
            )
        if reason == ExportStatus.QUEUED:
            waited = timesince(self.queued_at, depth=1)
            return (
                f"No worker started this export in {waited}: the request was lost on its way "
                "to the export workers, or none is running. Press Retry to ask again; if it "
                "waits this long again, tell your centre's administrator."
            )
        return self.error

    @property
    def is_downloadable(self) -> bool:
        return self.status == ExportStatus.READY and bool(self.file)

    @property
    def missing_file_names(self) -> list[str]:
        return [name for name in self.missing_files.splitlines() if name]

    @property
    def download_name(self) -> str:
        learner = self.portfolio.learner
        name = learner.get_full_name() or learner.username
        return f"{name} portfolio {self.reference}.pdf"
