"""The assessor's judgement: reviews of submissions, decisions per criterion, signatures and
sign-offs.

A signature is never edited or deleted (save() and delete() refuse, and the audit trail would
show it): it records who signed, when, the statement they agreed to, and a SHA-256 over a
canonical JSON payload of what they signed. Withdrawing a sign-off marks the sign-off, not the
signature; signing again makes a new sign-off with a new signature.
"""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q

from criteria.models import AssessmentCriterion, Unit
from evidence.models.items import EvidenceItem, Submission
from evidence.models.portfolios import Portfolio


def canonical_json(payload) -> bytes:
    """The one byte representation of ``payload`` that its hash is taken over."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    ).encode("utf-8")


def sha256_of(payload) -> str:
    return hashlib.sha256(canonical_json(payload)).hexdigest()


class ReviewOutcome(models.TextChoices):
    ACCEPTED = "accepted", "Accepted"
    REFERRED = "referred", "Referred back"


class Review(models.Model):
    """The assessor's decision on one submission. One per submission, enforced by the
    database: two assessors deciding at once cannot both succeed."""

    submission = models.OneToOneField(Submission, on_delete=models.PROTECT, related_name="review")
    item = models.ForeignKey(EvidenceItem, on_delete=models.PROTECT, related_name="reviews")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=ReviewOutcome.choices)
    feedback = models.TextField(blank=True, help_text="Overall feedback to the learner.")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["decided_at", "pk"]
        # The IQA dashboard's "recent decisions nobody has sampled" walks this newest-first and
        # stops at 20, instead of sorting every review at the IQA's centres (docs/benchmarks.md).
        indexes = [models.Index(fields=["decided_at"], name="evidence_review_decided_at_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=ReviewOutcome.values), name="evidence_review_outcome_valid"
            ),
            models.CheckConstraint(
                condition=Q(outcome=ReviewOutcome.ACCEPTED) | ~Q(feedback=""),
                name="evidence_review_referral_has_feedback",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()}: {self.item}"


class MappingDecision(models.Model):
    """Whether the item meets one criterion it was mapped to. The learner's reference is copied
    in, so the decision still reads right after the learner changes a referred item."""

    review = models.ForeignKey(Review, on_delete=models.PROTECT, related_name="decisions")
    criterion = models.ForeignKey(AssessmentCriterion, on_delete=models.PROTECT, related_name="+")
    reference = models.TextField()
    met = models.BooleanField()
    feedback = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "criterion"], name="evidence_decision_once_per_criterion"
            ),
            models.CheckConstraint(
                condition=Q(met=True) | ~Q(feedback=""),
                name="evidence_decision_not_met_has_feedback",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.criterion.number}: {'met' if self.met else 'not yet met'}"


class SignatureRole(models.TextChoices):
    ASSESSOR = "assessor", "Assessor"
    LEARNER = "learner", "Learner"
    IQA = "iqa", "Internal quality assurer"


class ImmutableRow(Exception):
    """Raised on any attempt to change or delete a signature."""


class Signature(models.Model):
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=10, choices=SignatureRole.choices)
    statement = models.TextField(help_text="The declaration as the signer saw and accepted it.")
    payload = models.JSONField(help_text="What was signed.")
    payload_sha256 = models.CharField("SHA-256 of what was signed", max_length=64)
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["signed_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(role__in=SignatureRole.values), name="evidence_signature_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signer} ({self.get_role_display()}) {self.signed_at:%d %b %Y %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ImmutableRow("A signature is never changed; sign again instead.")
        self.payload_sha256 = sha256_of(self.payload)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRow("A signature is never deleted.")

    @property
    def is_intact(self) -> bool:
        """The stored payload still hashes to what was signed."""
        return sha256_of(self.payload) == self.payload_sha256


class SignOffKind(models.TextChoices):
    CRITERION = "criterion", "Criterion"
    UNIT = "unit", "Unit"


class SignOffQuerySet(models.QuerySet):
    def active(self) -> "SignOffQuerySet":
        return self.filter(withdrawn_at__isnull=True)


class SignOff(models.Model):
    """An assessor's sign-off of a criterion, or of a whole unit (which the learner then
    countersigns, and an IQA countersigns if they sample it)."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="sign_offs")
    kind = models.CharField(max_length=10, choices=SignOffKind.choices)
    criterion = models.ForeignKey(
        AssessmentCriterion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The decisions a criterion sign-off rests on.
    decisions = models.ManyToManyField(MappingDecision, blank=True, related_name="sign_offs")
    assessor_signature = models.OneToOneField(
        Signature, on_delete=models.PROTECT, related_name="assessor_sign_off"
    )
    learner_signature = models.OneToOneField(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="learner_sign_off"
    )
    iqa_signature = models.OneToOneField(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="iqa_sign_off"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)

    objects = SignOffQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=SignOffKind.CRITERION, criterion__isnull=False, unit__isnull=True)
                    | Q(kind=SignOffKind.UNIT, unit__isnull=False, criterion__isnull=True)
                ),
                name="evidence_signoff_kind_matches_target",
            ),
            models.UniqueConstraint(
                fields=["portfolio", "criterion"],
                condition=Q(withdrawn_at__isnull=True, kind=SignOffKind.CRITERION),
                name="evidence_signoff_one_active_per_criterion",
            ),
            models.UniqueConstraint(
                fields=["portfolio", "unit"],
                condition=Q(withdrawn_at__isnull=True, kind=SignOffKind.UNIT),
                name="evidence_signoff_one_active_per_unit",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | ~Q(withdrawal_reason=""),
                name="evidence_signoff_withdrawal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(kind=SignOffKind.UNIT)
                | Q(learner_signature__isnull=True, iqa_signature__isnull=True),
                name="evidence_signoff_countersigned_units_only",
            ),
        ]

    def __str__(self) -> str:
        target = self.criterion.number if self.criterion_id else self.unit
        return f"Sign-off of {target} for {self.portfolio.learner}"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_at is None

    @property
    def awaits_learner(self) -> bool:
        return self.kind == SignOffKind.UNIT and self.is_active and not self.learner_signature_id
