"""An append-only audit trail whose events are chained by SHA-256.

Each event's hash covers its own content and the previous event's hash, so changing, removing
or reordering any stored event breaks the chain from that point on; `manage.py verify_audit`
finds the first break. Events are written in the same transaction as the action they record.
"""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q

from portfolio_site.accounts.models import Centre

GENESIS_HASH = "0" * 64


class AppendOnly(Exception):
    """Raised on any attempt to change or delete an audit event."""


class AuditEvent(models.Model):
    sequence = models.PositiveBigIntegerField(unique=True)
    created_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who it was at the time, in words (also for actors without an account: a witness).
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    object_repr = models.CharField(max_length=255, blank=True)
    centre = models.ForeignKey(
        Centre, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Not a foreign key: the audit app sits below the apps whose objects it records.
    portfolio_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    # Strings, whole numbers and booleans only, so the JSON reads back exactly as written.
    details = models.JSONField(default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-sequence"]
        indexes = [models.Index(fields=["centre", "-sequence"])]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action} by {self.actor_label}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise AppendOnly("Audit events are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnly("Audit events are never deleted.")

    def content(self) -> dict:
        """Everything the hash covers."""
        return {
            "sequence": self.sequence,
            "created_at": self.created_at.isoformat(timespec="microseconds"),
            "actor_id": self.actor_id,
            "actor_label": self.actor_label,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "centre_id": self.centre_id,
            "portfolio_id": self.portfolio_id,
            "details": self.details,
            "previous_hash": self.previous_hash,
        }

    def compute_hash(self) -> str:
        encoded = json.dumps(
            self.content(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")
        return hashlib.sha256(encoded).hexdigest()


class AuditChainHead(models.Model):
    """A single row holding the last event's sequence and hash. Appending locks it, so events
    are chained one after another even when many requests write at once."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_sequence = models.PositiveBigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="audit_head_single_row")]

    def __str__(self) -> str:
        return f"Audit chain at #{self.last_sequence}"
