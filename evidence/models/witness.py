"""Witness testimonies signed remotely: the witness (a manager with no account) gets a
single-use signed link by email, reads the statement, and confirms it."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from evidence.models.assessment import ImmutableRow
from evidence.models.items import EvidenceItem


class WitnessRequest(models.Model):
    """One link sent to a witness. A newer request for the same item supersedes it."""

    item = models.ForeignKey(
        EvidenceItem, on_delete=models.PROTECT, related_name="witness_requests"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    witness_name = models.CharField(max_length=200)
    sent_to = models.EmailField()
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # Random, unguessable; the link carries it inside a signed token.
    nonce = models.CharField(max_length=64, unique=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    # The statement changed after the link went out (superseded_at is set with it).
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # The statement as it stood when the link was sent: a change to it cancels the link.
    statement_sha256 = models.CharField(max_length=64, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(superseded_at__isnull=True, used_at__isnull=True),
                name="evidence_witness_one_open_request_per_item",
            ),
        ]

    def __str__(self) -> str:
        return f"Request to {self.witness_name} for {self.item}"


class WitnessSignature(models.Model):
    """The witness's confirmation. Never changed or deleted."""

    request = models.OneToOneField(
        WitnessRequest, on_delete=models.PROTECT, related_name="signature"
    )
    item = models.ForeignKey(
        EvidenceItem, on_delete=models.PROTECT, related_name="witness_signatures"
    )
    typed_name = models.CharField(max_length=200)
    comments = models.TextField(blank=True)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField()
    user_agent = models.CharField(max_length=300, blank=True)
    # What the witness read, and its hash: if the item changes later, the page says so.
    statement = models.JSONField()
    statement_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-signed_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(typed_name=""), name="evidence_witness_named"),
        ]

    def __str__(self) -> str:
        return f"{self.typed_name} signed {self.item}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ImmutableRow("A witness signature is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableRow("A witness signature is never deleted.")
