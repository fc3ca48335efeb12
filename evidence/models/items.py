"""Evidence items and what hangs off them: files, mappings to criteria, submissions.

Evidence items hold the learner's narrative and files; each mapping says where in the item a
criterion is met; each submission records the learner's declaration and a snapshot of what was
submitted. Rows that an assessment may rest on are protected from deletion in the database
(on_delete=PROTECT), not only in the code.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from criteria.models import AssessmentCriterion
from evidence.models.portfolios import Portfolio
from evidence.photos import needs_display_copy


class EvidenceKind(models.TextChoices):
    WORK_PRODUCT = "work_product", "Work product or document"
    OBSERVATION = "observation", "Observation record"
    WITNESS_TESTIMONY = "witness_testimony", "Witness testimony"
    PROFESSIONAL_DISCUSSION = "professional_discussion", "Professional discussion"
    REFLECTIVE_ACCOUNT = "reflective_account", "Reflective account"
    QUESTION_AND_ANSWER = "question_and_answer", "Question and answer"
    PRIOR_LEARNING = "prior_learning", "Recognition of prior learning"
    PROCESS_MAP = "process_map", "Process map"
    OTHER = "other", "Other"


class EvidenceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    REFERRED = "referred", "Referred back"
    # An observation or discussion record the assessor wrote, waiting for the learner.
    AWAITING_CONFIRMATION = "awaiting_confirmation", "Waiting for the learner"
    ACCEPTED = "accepted", "Accepted"


# Statuses in which the item's author may still change it.
EDITABLE_STATUSES = (EvidenceStatus.DRAFT, EvidenceStatus.REFERRED)


# Who saw the learner's work, recorded on a witness testimony (all four are required there).
WITNESS_FIELDS = ("witness_name", "witness_job_title", "witness_relationship", "witness_email")


class EvidenceItem(models.Model):
    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.PROTECT, related_name="evidence_items"
    )
    title = models.CharField(max_length=200)
    kind = models.CharField("type", max_length=30, choices=EvidenceKind.choices)
    activity_date = models.DateField(help_text="When the work, observation or event took place.")
    # Sanitised HTML (evidence.narrative.sanitise_narrative): never stored raw.
    narrative = models.TextField(blank=True)
    status = models.CharField(
        max_length=30, choices=EvidenceStatus.choices, default=EvidenceStatus.DRAFT
    )
    witness_name = models.CharField(max_length=200, blank=True)
    witness_job_title = models.CharField(max_length=200, blank=True)
    witness_relationship = models.CharField(
        max_length=200, blank=True, help_text="How the witness knows the learner's work."
    )
    witness_email = models.EmailField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change, so that a form opened before someone else's change is refused
    # instead of silently overwriting it.
    version = models.PositiveIntegerField(default=1)
    # Sent with the form that created the item: a double-submitted form creates one item.
    creation_token = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["-activity_date", "-pk"]
        indexes = [models.Index(fields=["portfolio", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "creation_token"], name="evidence_item_created_once"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=EvidenceKind.values), name="evidence_item_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=EvidenceStatus.values), name="evidence_item_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(kind=EvidenceKind.WITNESS_TESTIMONY) | ~Q(witness_name=""),
                name="evidence_item_witness_named",
                violation_error_message="A witness testimony needs the witness's name.",
            ),
            models.CheckConstraint(
                condition=Q(status=EvidenceStatus.DRAFT) | Q(submitted_at__isnull=False),
                name="evidence_item_submitted_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_draft(self) -> bool:
        return self.status == EvidenceStatus.DRAFT

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def was_submitted(self) -> bool:
        return self.submitted_at is not None

    @property
    def is_witness_testimony(self) -> bool:
        return self.kind == EvidenceKind.WITNESS_TESTIMONY


def evidence_file_path(instance: "EvidenceFile", filename: str) -> str:
    """A generated name: the uploaded name is kept only for display (original_name).

    ``filename`` is ignored apart from its extension, which evidence.file_types chose from the
    detected type, not from what the learner called the file.
    """
    extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
    return f"evidence/{instance.item.portfolio_id}/{uuid.uuid4().hex}.{extension}"


class FileDamage(models.TextChoices):
    CHANGED = "changed", "does not match its recorded hash"
    MISSING = "missing", "is missing from storage"


class CurrentFileManager(models.Manager):
    """Files not removed from the item."""

    def get_queryset(self):
        return super().get_queryset().filter(removed_at__isnull=True)


class EvidenceFile(models.Model):
    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="files")
    file = models.FileField(upload_to=evidence_file_path, max_length=255)
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=120, help_text="Detected from the bytes.")
    sha256 = models.CharField("SHA-256", max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    # A file that was part of a submission is never deleted: removing it after a referral
    # hides it from the current version while the earlier submission still shows it.
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Fixity (evidence.services.fixity): when the stored bytes last hashed to ``sha256``, and
    # when they were found not to (changed or missing). A damaged file cannot be signed off.
    verified_at = models.DateTimeField(null=True, blank=True)
    damaged_at = models.DateTimeField(null=True, blank=True)
    damage = models.CharField(max_length=20, blank=True, choices=FileDamage.choices)

    # item.files and EvidenceFile.objects show the current files; all_objects includes the
    # removed ones, for history and for downloading what an earlier submission held.
    all_objects = models.Manager()
    objects = CurrentFileManager()

    class Meta:
        ordering = ["uploaded_at", "pk"]
        default_manager_name = "objects"
        base_manager_name = "all_objects"
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="evidence_file_not_empty"),
            # The same bytes twice on one item is always a double upload.
            models.UniqueConstraint(
                fields=["item", "sha256"],
                condition=Q(removed_at__isnull=True),
                name="evidence_file_once_per_item",
            ),
            models.CheckConstraint(
                condition=(Q(damaged_at__isnull=True) & Q(damage=""))
                | (Q(damaged_at__isnull=False) & Q(damage__in=FileDamage.values)),
                name="evidence_file_damage_recorded",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    @property
    def is_damaged(self) -> bool:
        return self.damaged_at is not None

    @property
    def damage_message(self) -> str:
        """What a page says about a damaged file; empty for an intact one."""
        if not self.is_damaged:
            return ""
        return f"This file {self.get_damage_display()}: it cannot be signed off until restored."

    @property
    def shown_as_copy(self) -> bool:
        """A photo browsers cannot draw (HEIC): pages show its JPEG copy (?display)."""
        return needs_display_copy(self.content_type)

    @property
    def category(self) -> str:
        """image, audio, video, pdf, text or document: how a page may preview it."""
        major = self.content_type.split("/", 1)[0]
        if major in ("image", "audio", "video", "text"):
            return major
        return "pdf" if self.content_type == "application/pdf" else "document"


class CriterionMapping(models.Model):
    """The learner's claim that an item meets a criterion, and where in the item it does."""

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="mappings")
    criterion = models.ForeignKey(
        AssessmentCriterion, on_delete=models.PROTECT, related_name="mappings"
    )
    reference = models.TextField(
        help_text='Where and how the evidence meets the criterion, e.g. "page 3, the swimlane '
        'diagram" or "at 04:10 in the recording".'
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "criterion"], name="evidence_mapping_unique"),
            models.CheckConstraint(
                condition=~Q(reference=""), name="evidence_mapping_has_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} meets {self.criterion.number}"


class Submission(models.Model):
    """One submission of an item, with the learner's declaration. Never edited or deleted:
    a resubmission after referral adds another."""

    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="submissions")
    sequence = models.PositiveSmallIntegerField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField()
    declaration = models.TextField(help_text="The declaration as the learner saw and accepted it.")
    ai_use = models.TextField(
        blank=True, help_text="Any AI tools the learner used, and how, in their own words."
    )
    # What was submitted, as it stood: details, narrative, files (with their hashes) and
    # mappings. History shows it after the item changes; signatures hash it.
    snapshot = models.JSONField(default=dict)
    snapshot_sha256 = models.CharField(max_length=64, blank=True)
    # For a record the assessor wrote: the learner's confirmation that it is accurate, or
    # their request for changes.
    learner_confirmation = models.OneToOneField(
        "evidence.Signature", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["item", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["item", "sequence"], name="evidence_submission_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item} submission {self.sequence}"
