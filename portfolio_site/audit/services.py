"""Recording audit events."""

from django.db import models, transaction
from django.utils import timezone

from portfolio_site.accounts.models import Centre, User
from portfolio_site.audit.models import AuditChainHead, AuditEvent


def _head_locked() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # The first event ever (or a test database emptied between tests).
        AuditChainHead.objects.get_or_create(pk=1)
        head = AuditChainHead.objects.select_for_update().get(pk=1)
    return head


def audit_record(
    *,
    action: str,
    actor: User | None = None,
    actor_label: str = "",
    target: models.Model | None = None,
    centre: Centre | int | None = None,
    portfolio_id: int | None = None,
    details: dict | None = None,
) -> AuditEvent:
    """Append an event to the chain, inside the caller's transaction (so that if the action
    rolls back, its event does too). Holds the chain's head row until that transaction ends."""
    with transaction.atomic():
        head = _head_locked()
        event = AuditEvent(
            sequence=head.last_sequence + 1,
            created_at=timezone.now(),
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=(actor_label or (str(actor) if actor is not None else "system"))[:200],
            action=action,
            object_type=target._meta.label_lower if target is not None else "",
            object_id=str(target.pk) if target is not None else "",
            object_repr=str(target)[:255] if target is not None else "",
            centre_id=centre.pk if isinstance(centre, Centre) else centre,
            portfolio_id=portfolio_id,
            details=details or {},
            previous_hash=head.last_hash,
        )
        event.hash = event.compute_hash()
        event.save()
        head.last_sequence, head.last_hash = event.sequence, event.hash
        head.save(update_fields=["last_sequence", "last_hash"])
    return event


class ChainBreak(Exception):
    def __init__(self, message: str, event: AuditEvent | None = None):
        super().__init__(message)
        self.event = event


def audit_verify() -> int:
    """Check the whole chain; returns how many events it holds, or raises ChainBreak naming
    the first event that does not fit."""
    expected_sequence, expected_previous = 1, "0" * 64
    count = 0
    for event in AuditEvent.objects.order_by("sequence").iterator(chunk_size=2000):
        where = f"event #{event.sequence} ({event.action}, {event.created_at:%Y-%m-%d %H:%M:%S})"
        if event.sequence != expected_sequence:
            raise ChainBreak(
                f"Event #{expected_sequence} is missing: the chain jumps to {where}.", event
            )
        if event.previous_hash != expected_previous:
            raise ChainBreak(
                f"The chain is broken at {where}: it does not follow on from the event before.",
                event,
            )
        if event.compute_hash() != event.hash:
            raise ChainBreak(
                f"The chain is broken at {where}: its content was changed after it was written.",
                event,
            )
        expected_sequence += 1
        expected_previous = event.hash
        count += 1
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_sequence, head.last_hash) != (count, expected_previous):
        raise ChainBreak(
            f"Events after #{count} are missing: the chain's head records #{head.last_sequence}."
        )
    return count
