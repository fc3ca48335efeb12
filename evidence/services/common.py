"""What every evidence service shares: its errors, the row lock it takes on an item before
changing it, the audit record it leaves, and the snapshot of an item that submissions and
signatures are taken over."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from evidence.models import (
    OPEN_STATUSES,
    CriterionMapping,
    EvidenceFile,
    EvidenceItem,
    EvidenceKind,
    Portfolio,
    sha256_of,
)
from portfolio_site.accounts.models import User
from portfolio_site.audit.services import audit_record


class EvidenceLocked(ValidationError):
    """The item (or portfolio) no longer changes: submitted, accepted, or closed."""


class StaleEdit(ValidationError):
    """The item changed after the form was opened; the form's changes were not applied."""


class AlreadyDecided(ValidationError):
    """Someone else decided first; nothing was recorded twice."""


def when(moment) -> str:
    return timezone.localtime(moment).strftime("%-d %b %Y at %H:%M")


def require_open_portfolio(portfolio: Portfolio) -> None:
    if portfolio.status not in OPEN_STATUSES:
        raise EvidenceLocked(
            f"This portfolio is {portfolio.get_status_display().lower()}: "
            "no evidence can be added or changed."
        )


def lock_item(item: EvidenceItem) -> EvidenceItem:
    """The item's row, locked until the transaction ends: requests that change one item
    (a double click, two tabs, two assessors) are applied one after the other."""
    return (
        EvidenceItem.objects.select_for_update(of=("self",))
        .select_related("portfolio")
        .get(pk=item.pk)
    )


def lock_for_change(item: EvidenceItem, *, expected_version: int | None = None) -> EvidenceItem:
    """The item's row, locked, if its author may still change it (a draft, or referred back)."""
    locked = lock_item(item)
    require_open_portfolio(locked.portfolio)
    if not locked.is_editable:
        raise EvidenceLocked(
            f"This item is {locked.get_status_display().lower()} "
            f"(since {when(locked.updated_at)}); it can no longer be changed."
        )
    if expected_version is not None and locked.version != expected_version:
        raise StaleEdit(
            "This item was changed elsewhere (another tab or device) after you opened this "
            "form, so your changes were not saved. The form now shows your changes over the "
            "latest version: check them and save again."
        )
    return locked


def record(
    action: str,
    *,
    actor: User | None,
    portfolio: Portfolio,
    target: models.Model | None = None,
    actor_label: str = "",
    **details,
) -> None:
    """An audit event about something in ``portfolio`` (inside the caller's transaction)."""
    audit_record(
        action=action,
        actor=actor,
        actor_label=actor_label,
        target=target,
        centre=portfolio.centre_id,
        portfolio_id=portfolio.pk,
        details=details,
    )


def item_snapshot(item: EvidenceItem) -> dict:
    """The item as it stands: what a submission records and what signatures hash."""
    mappings = (
        CriterionMapping.objects.filter(item=item)
        .select_related("criterion__outcome__unit")
        .order_by(
            "criterion__outcome__unit__code", "criterion__outcome__number", "criterion__position"
        )
    )
    return snapshot_of(item, item.files.order_by("pk"), mappings)


def snapshot_of(
    item: EvidenceItem, files: Iterable[EvidenceFile], mappings: Iterable[CriterionMapping]
) -> dict:
    """item_snapshot() from rows already read: ``files`` in upload order, ``mappings`` in
    criterion order with each criterion's outcome and unit loaded. No queries; the benchmark
    seed uses it for rows it bulk-creates."""
    snapshot = {
        "item": item.pk,
        "title": item.title,
        "kind": item.kind,
        "activity_date": item.activity_date.isoformat(),
        "narrative": item.narrative,
        "files": [
            {
                "id": evidence_file.pk,
                "name": evidence_file.original_name,
                "sha256": evidence_file.sha256,
                "size": evidence_file.size,
                "content_type": evidence_file.content_type,
            }
            for evidence_file in files
        ],
        "mappings": [
            {
                "criterion": mapping.criterion_id,
                "unit": mapping.criterion.outcome.unit.code,
                "unit_title": mapping.criterion.outcome.unit.title,
                "number": mapping.criterion.number,
                "text": mapping.criterion.text,
                "reference": mapping.reference,
            }
            for mapping in mappings
        ],
    }
    if item.kind == EvidenceKind.WITNESS_TESTIMONY:
        snapshot["witness"] = {
            "name": item.witness_name,
            "job_title": item.witness_job_title,
            "relationship": item.witness_relationship,
            "email": item.witness_email,
        }
    return snapshot


def snapshot_hash(snapshot: dict) -> str:
    return sha256_of(snapshot)
