"""Evidence items, their files and mappings, and their submission.

Each service validates first, then writes in one transaction holding a row lock on the item,
so that two requests that change one item are applied one after the other.
"""

import hashlib
import logging
import uuid
from collections.abc import Mapping
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from evidence import file_types, images, photos, selectors
from evidence.models import (
    WITNESS_FIELDS,
    CriterionMapping,
    EvidenceFile,
    EvidenceItem,
    EvidenceKind,
    EvidenceStatus,
    Portfolio,
    Submission,
)
from evidence.narrative import narrative_is_blank, sanitise_narrative
from evidence.services.common import (
    item_snapshot,
    lock_for_change,
    record,
    require_open_portfolio,
    snapshot_hash,
)
from evidence.services.witness import witness_links_cancel_if_changed
from portfolio_site.accounts.models import User
from portfolio_site.notifications.services import notify

logger = logging.getLogger(__name__)

DECLARATION = (
    "I confirm that this evidence is my own work, that it comes from my own practice, and "
    "that where I used the work, words or ideas of others, or AI tools, I have said so."
)
# Records an assessor writes about a learner; the learner confirms them.
ASSESSOR_KINDS = (EvidenceKind.OBSERVATION, EvidenceKind.PROFESSIONAL_DISCUSSION)


def _check_item_fields(fields: Mapping) -> dict:
    cleaned = dict(fields)
    cleaned["narrative"] = sanitise_narrative(fields.get("narrative", ""))
    if fields["kind"] == EvidenceKind.WITNESS_TESTIMONY:
        missing = {
            name: "A witness testimony needs this."
            for name in WITNESS_FIELDS
            if not str(fields.get(name) or "").strip()
        }
        if missing:
            raise ValidationError(missing)
    else:
        # Witness details belong to testimonies only; a changed type drops them.
        cleaned.update(dict.fromkeys(WITNESS_FIELDS, ""))
    return cleaned


def _check_author(portfolio: Portfolio, author: User, kind: str) -> None:
    if author.pk == portfolio.learner_id:
        return
    if author.pk == portfolio.assessor_id:
        if kind not in ASSESSOR_KINDS:
            raise ValidationError(
                {
                    "kind": "An assessor records observations and professional discussions; "
                    "other evidence comes from the learner."
                }
            )
        return
    raise ValidationError("Only the learner, or their assessor, adds evidence to a portfolio.")


@transaction.atomic
def evidence_item_create(
    *, portfolio: Portfolio, author: User, creation_token: uuid.UUID, **fields
) -> tuple[EvidenceItem, bool]:
    """Create a draft item. Returns (item, created): the same creation token twice (a form
    submitted twice) gives back the first item instead of a second one."""
    existing = EvidenceItem.objects.filter(
        portfolio=portfolio, creation_token=creation_token
    ).first()
    if existing is not None:
        return existing, False
    require_open_portfolio(portfolio)
    _check_author(portfolio, author, fields["kind"])
    item = EvidenceItem(
        portfolio=portfolio,
        created_by=author,
        creation_token=creation_token,
        **_check_item_fields(fields),
    )
    item.full_clean(exclude=["creation_token"])
    try:
        with transaction.atomic():
            item.save()
    except IntegrityError:
        # The same form, submitted twice at the same moment: the other request won.
        return EvidenceItem.objects.get(portfolio=portfolio, creation_token=creation_token), False
    record("evidence.created", actor=author, portfolio=portfolio, target=item, kind=item.kind)
    return item, True


@transaction.atomic
def evidence_item_update(
    *, item: EvidenceItem, editor: User, expected_version: int, **fields
) -> EvidenceItem:
    """Change an item its author may change. The returned item's ``witness_links_cancelled``
    says how many open witness links stopped working because the statement changed."""
    locked = lock_for_change(item, expected_version=expected_version)
    if editor.pk != locked.created_by_id:
        raise ValidationError("Only the item's author changes it.")
    if locked.created_by_id != locked.portfolio.learner_id and fields["kind"] not in ASSESSOR_KINDS:
        raise ValidationError({"kind": "This record stays an observation or a discussion."})
    sent_to = (locked.kind, locked.witness_email)
    for name, value in _check_item_fields(fields).items():
        setattr(locked, name, value)
    if (locked.kind, locked.witness_email) != sent_to:
        # A link sent to the old witness address must not sign the changed item.
        locked.witness_requests.filter(superseded_at__isnull=True, used_at__isnull=True).update(
            superseded_at=timezone.now()
        )
    locked.version = F("version") + 1
    locked.full_clean(exclude=["version", "creation_token"])
    locked.save()
    locked.refresh_from_db()
    record("evidence.changed", actor=editor, portfolio=locked.portfolio, target=locked)
    # A witness must confirm the statement they read: a link sent for the old one stops.
    locked.witness_links_cancelled = witness_links_cancel_if_changed(item=locked, actor=editor)
    return locked


@transaction.atomic
def evidence_item_delete(*, item: EvidenceItem, user: User) -> None:
    """Delete a draft that was never submitted, with its files and mappings; the stored files
    go once the deletion commits. Anything once submitted stays, for its history."""
    locked = lock_for_change(item)
    if user.pk != locked.created_by_id:
        raise ValidationError("Only the item's author deletes it.")
    if locked.was_submitted:
        raise ValidationError(
            "This item was submitted before, so it stays in the portfolio's history. "
            "Change it and submit it again instead."
        )
    if locked.witness_signatures.exists():
        raise ValidationError("A witness has signed this item, so it stays in the portfolio.")
    files = list(EvidenceFile.all_objects.filter(item=locked))
    stored = [stored for evidence_file in files for stored in _stored_names(evidence_file)]
    record(
        "evidence.deleted",
        actor=user,
        portfolio=locked.portfolio,
        target=locked,
        files=[evidence_file.file.name for evidence_file in files],
    )
    locked.mappings.all().delete()
    EvidenceFile.all_objects.filter(item=locked).delete()
    # Unsigned links die with the draft (the audit trail keeps that they were sent).
    locked.witness_requests.all().delete()
    locked.delete()
    transaction.on_commit(lambda: _remove_stored(stored))


# --- Files ------------------------------------------------------------------------------------


@transaction.atomic
def evidence_file_add(
    *, item: EvidenceItem, uploaded: UploadedFile, uploader: User, name_as_sent: str | None = None
) -> EvidenceFile:
    """Check an upload and attach it to an item its uploader may change.

    ``uploaded`` comes from evidence.uploads.HashingFileUploadHandler: on disk, hashed.
    ``name_as_sent`` is the name before Django's parser cleaned it, where it did.
    Raises RejectedFile (nothing is stored) or EvidenceLocked.
    """
    name = file_types.check_file_name(name_as_sent or uploaded.name)
    path = Path(uploaded.temporary_file_path())
    accepted = file_types.check_file_content(path, name=name)
    try:
        images.check_image_pixels(path, content_type=accepted.content_type)
    except images.ImageTooLarge as error:
        raise file_types.RejectedFile(
            f"“{name}” is {error}. An image that large takes too much memory to show or "
            "export. Save a smaller copy (a phone's or camera's normal size is well within "
            "the limit) and upload that."
        ) from None
    return _store_file(
        item,
        name=name,
        content=uploaded,
        size=uploaded.size,
        sha256=uploaded.sha256,
        content_type=accepted.content_type,
        extension=accepted.extension,
        uploader=uploader,
    )


@transaction.atomic
def evidence_file_add_generated(
    *, item: EvidenceItem, name: str, content: bytes, content_type: str, uploader: User
) -> EvidenceFile:
    """Attach a file the system made itself (a process map's diagram, a demo chart): its bytes
    are ours, so they are not sniffed like an upload; everything else is as for an upload."""
    return _store_file(
        item,
        name=name,
        content=ContentFile(content),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content_type=content_type,
        extension=name.rsplit(".", 1)[-1] if "." in name else "bin",
        uploader=uploader,
    )


def _store_file(
    item: EvidenceItem,
    *,
    name: str,
    content: File,
    size: int,
    sha256: str,
    content_type: str,
    extension: str,
    uploader: User,
) -> EvidenceFile:
    """Store a checked file and write its row (in the caller's transaction).

    The file is moved into place before its row is written and removed again if the row
    cannot be: a crash in between leaves at worst an unreferenced file, never a row whose
    file is missing.
    """
    locked = lock_for_change(item)
    if uploader.pk != locked.created_by_id:
        raise ValidationError("Only the item's author adds files to it.")
    already = locked.files.filter(sha256=sha256).first()
    if already is not None:
        raise file_types.RejectedFile(
            f"“{name}” is already attached to this item (as “{already.original_name}”)."
        )

    evidence_file = EvidenceFile(
        item=locked,
        original_name=name,
        size=size,
        content_type=content_type,
        sha256=sha256,
        uploaded_by=uploader,
    )
    # The stored name is generated (evidence_file_path); only the extension comes from here.
    evidence_file.file.save(f"upload.{extension}", content, save=False)
    try:
        with transaction.atomic():
            evidence_file.save()
    except IntegrityError:
        evidence_file.file.delete(save=False)
        raise file_types.RejectedFile(f"“{name}” is already attached to this item.") from None
    record(
        "evidence.file_uploaded",
        actor=uploader,
        portfolio=locked.portfolio,
        target=evidence_file,
        item=locked.pk,
        sha256=evidence_file.sha256,
        size=evidence_file.size,
        content_type=evidence_file.content_type,
    )
    witness_links_cancel_if_changed(item=locked, actor=uploader)
    return evidence_file


@transaction.atomic
def evidence_file_delete(*, evidence_file: EvidenceFile, user: User) -> None:
    """Remove a file from an item its author may change. A file that was ever submitted is
    kept (hidden from the current version) so that the earlier submission still shows it."""
    locked = lock_for_change(evidence_file.item)
    if user.pk != locked.created_by_id:
        raise ValidationError("Only the item's author removes its files.")
    record(
        "evidence.file_removed",
        actor=user,
        portfolio=locked.portfolio,
        target=evidence_file,
        item=locked.pk,
        sha256=evidence_file.sha256,
    )
    if locked.was_submitted:
        EvidenceFile.all_objects.filter(pk=evidence_file.pk).update(
            removed_at=timezone.now(), removed_by=user
        )
        witness_links_cancel_if_changed(item=locked, actor=user)
        return
    stored = _stored_names(evidence_file)
    evidence_file.delete()
    witness_links_cancel_if_changed(item=locked, actor=user)
    transaction.on_commit(lambda: _remove_stored(stored))


def _stored_names(evidence_file: EvidenceFile) -> list[str]:
    """What storage holds for a file: the file, and the display copy of a photo (if made)."""
    names = [evidence_file.file.name]
    if photos.needs_display_copy(evidence_file.content_type):
        names.append(photos.display_copy_name(evidence_file.pk, evidence_file.sha256))
    return names


def _remove_stored(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            # The row is gone either way; an unreferenced file is only wasted space.
            logger.exception("Could not delete stored evidence file %s", name)


# --- Mapping to criteria ----------------------------------------------------------------------


@transaction.atomic
def evidence_mappings_set(
    *, item: EvidenceItem, user: User, references: Mapping[int, str], expected_version: int
) -> tuple[int, int, int]:
    """Make the item's mappings exactly ``references`` (criterion id -> where and how).

    Every criterion must belong to a unit of the item's portfolio and every reference must
    say something. Returns how many mappings were added, changed and removed.
    """
    locked = lock_for_change(item, expected_version=expected_version)
    if user.pk != locked.created_by_id:
        raise ValidationError("Only the item's author maps it to criteria.")
    allowed = selectors.criterion_ids_in_portfolio(locked.portfolio)
    outside = sorted(set(references) - allowed)
    if outside:
        raise ValidationError(
            "One or more of the criteria chosen are not in the units of this portfolio; "
            "nothing was saved. Reload the page and choose again."
        )
    blank = [criterion_id for criterion_id, text in references.items() if not text.strip()]
    if blank:
        raise ValidationError(
            {
                str(criterion_id): "Say where and how the evidence meets this criterion."
                for criterion_id in blank
            }
        )

    existing = {mapping.criterion_id: mapping for mapping in locked.mappings.all()}
    removed = [
        mapping.pk for criterion_id, mapping in existing.items() if criterion_id not in references
    ]
    CriterionMapping.objects.filter(pk__in=removed).delete()
    added = changed = 0
    for criterion_id, text in references.items():
        text = text.strip()
        mapping = existing.get(criterion_id)
        if mapping is None:
            CriterionMapping.objects.create(item=locked, criterion_id=criterion_id, reference=text)
            added += 1
        elif mapping.reference != text:
            mapping.reference = text
            mapping.save(update_fields=["reference", "updated_at"])
            changed += 1
    if added or changed or removed:
        EvidenceItem.objects.filter(pk=locked.pk).update(
            version=F("version") + 1, updated_at=timezone.now()
        )
        record(
            "evidence.mappings_changed",
            actor=user,
            portfolio=locked.portfolio,
            target=locked,
            criteria=sorted(references),
            added=added,
            changed=changed,
            removed=len(removed),
        )
    return added, changed, len(removed)


# --- Submission -------------------------------------------------------------------------------


def check_ready_to_submit(item: EvidenceItem) -> None:
    problems = []
    if not item.mappings.exists():
        problems.append("map it to at least one criterion, saying where it meets each")
    if not item.files.exists() and narrative_is_blank(item.narrative):
        problems.append("add a file or write the narrative")
    if problems:
        raise ValidationError(f"Before you submit this item, {' and '.join(problems)}.")


def create_submission(
    *, item: EvidenceItem, submitted_by: User, declaration: str, ai_use: str = ""
) -> Submission:
    """A new submission of ``item`` (locked by the caller), with a snapshot of it."""
    now = timezone.now()
    snapshot = item_snapshot(item)
    submission = Submission.objects.create(
        item=item,
        sequence=item.submissions.count() + 1,
        submitted_by=submitted_by,
        submitted_at=now,
        declaration=declaration,
        ai_use=ai_use.strip(),
        snapshot=snapshot,
        snapshot_sha256=snapshot_hash(snapshot),
    )
    return submission


@transaction.atomic
def evidence_item_submit(
    *, item: EvidenceItem, learner: User, declared: bool, ai_use: str = ""
) -> Submission:
    """Submit a draft (or a referred item, again) for assessment with the learner's
    declaration. After this the item, its files and its mappings are locked."""
    locked = lock_for_change(item)
    if learner.pk != locked.portfolio.learner_id or locked.created_by_id != learner.pk:
        raise ValidationError("Only the learner submits their own evidence.")
    if not declared:
        raise ValidationError(
            {"declared": "Confirm the declaration to submit: it is what makes this your evidence."}
        )
    check_ready_to_submit(locked)
    resubmission = locked.status == EvidenceStatus.REFERRED
    submission = create_submission(
        item=locked, submitted_by=learner, declaration=DECLARATION, ai_use=ai_use
    )
    EvidenceItem.objects.filter(pk=locked.pk).update(
        status=EvidenceStatus.SUBMITTED,
        submitted_at=submission.submitted_at,
        version=F("version") + 1,
        updated_at=submission.submitted_at,
    )
    record(
        "evidence.submitted",
        actor=learner,
        portfolio=locked.portfolio,
        target=locked,
        submission=submission.sequence,
        snapshot_sha256=submission.snapshot_sha256,
    )
    verb = "resubmitted" if resubmission else "submitted"
    notify(
        recipients=[locked.portfolio.assessor],
        kind="item_submitted",
        message=f"{learner} {verb} “{locked.title}” for assessment.",
        url=reverse("evidence:item-review", args=[locked.pk]),
    )
    return submission
