"""Writes to portfolios and evidence. Each service validates everything first, then writes in
one transaction, holding a row lock on the item it changes so that two requests (a double
click, two tabs) are applied one after the other and the second sees what the first did."""

import datetime
import logging
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from criteria.models import Qualification, Requirement, Unit
from evidence import file_types, selectors
from evidence.models import (
    OPEN_STATUSES,
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
from portfolio_site.accounts.models import Centre, Membership, Role, User

logger = logging.getLogger(__name__)

DECLARATION = (
    "I confirm that this evidence is my own work, that it comes from my own practice, and "
    "that where I used the work, words or ideas of others, or AI tools, I have said so."
)


class EvidenceLocked(ValidationError):
    """The item has been submitted: it no longer changes."""


class StaleEdit(ValidationError):
    """The item changed after the form was opened; the form's changes were not applied."""


# --- Portfolios -------------------------------------------------------------------------------


def _require_role(*, user: User | None, centre: Centre, role: Role, field: str) -> None:
    if user is None:
        return
    if not Membership.objects.active().filter(user=user, centre=centre, role=role).exists():
        raise ValidationError({field: f"{user} is not an active {role.label.lower()} at {centre}."})


def _check_enrolment(portfolio: Portfolio, chosen_units: list[Unit]) -> None:
    _require_role(
        user=portfolio.learner, centre=portfolio.centre, role=Role.LEARNER, field="learner"
    )
    _require_role(
        user=portfolio.assessor, centre=portfolio.centre, role=Role.ASSESSOR, field="assessor"
    )
    _require_role(user=portfolio.iqa, centre=portfolio.centre, role=Role.IQA, field="iqa")
    choosable = set(
        portfolio.qualification.unit_links.exclude(requirement=Requirement.MANDATORY).values_list(
            "unit_id", flat=True
        )
    )
    outside = [unit for unit in chosen_units if unit.pk not in choosable]
    if outside:
        names = ", ".join(str(unit) for unit in outside)
        raise ValidationError(
            {"chosen_units": f"Not an optional unit of {portfolio.qualification}: {names}."}
        )
    portfolio.full_clean()


@transaction.atomic
def portfolio_enrol(
    *,
    learner: User,
    centre: Centre,
    qualification: Qualification,
    start_date: datetime.date,
    planned_end_date: datetime.date | None = None,
    assessor: User | None = None,
    iqa: User | None = None,
    chosen_units: Iterable[Unit] = (),
) -> Portfolio:
    """Enrol a learner on a qualification at a centre, with their assessor and IQA."""
    chosen_units = list(chosen_units)
    portfolio = Portfolio(
        learner=learner,
        centre=centre,
        qualification=qualification,
        assessor=assessor,
        iqa=iqa,
        start_date=start_date,
        planned_end_date=planned_end_date,
    )
    _check_enrolment(portfolio, chosen_units)
    portfolio.save()
    portfolio.chosen_units.set(chosen_units)
    return portfolio


@transaction.atomic
def portfolio_update(*, portfolio: Portfolio, chosen_units: Iterable[Unit], **fields) -> Portfolio:
    """Change an enrolment: people, dates, status, optional units (not learner or centre).

    A unit that already has evidence mapped to it cannot be dropped: the evidence would lose
    its place in the portfolio.
    """
    locked = Portfolio.objects.select_for_update().get(pk=portfolio.pk)
    allowed = {"qualification", "assessor", "iqa", "start_date", "planned_end_date", "status"}
    unexpected = set(fields) - allowed
    if unexpected:
        raise TypeError(f"portfolio_update cannot change {', '.join(sorted(unexpected))}")
    units_before = set(locked.chosen_units.values_list("pk", flat=True))
    qualification_before = locked.qualification_id
    for name, value in fields.items():
        setattr(locked, name, value)
    chosen_units = list(chosen_units)

    if (
        locked.qualification_id != qualification_before
        or {unit.pk for unit in chosen_units} != units_before
    ):
        kept = {unit.pk for unit in chosen_units} | set(
            locked.qualification.unit_links.filter(requirement=Requirement.MANDATORY).values_list(
                "unit_id", flat=True
            )
        )
        orphaned = (
            Unit.objects.filter(outcomes__criteria__mappings__item__portfolio=locked)
            .exclude(pk__in=kept)
            .distinct()
        )
        if orphaned:
            names = ", ".join(unit.title for unit in orphaned)
            raise ValidationError(
                {"chosen_units": f"Evidence is already mapped to {names}; keep the unit."}
            )
    _check_enrolment(locked, chosen_units)
    locked.save()
    locked.chosen_units.set(chosen_units)
    return locked


# --- Evidence items ---------------------------------------------------------------------------


def _require_open_portfolio(portfolio: Portfolio) -> None:
    if portfolio.status not in OPEN_STATUSES:
        raise EvidenceLocked(
            f"This portfolio is {portfolio.get_status_display().lower()}: "
            "no evidence can be added or changed."
        )


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
    _require_open_portfolio(portfolio)
    if author.pk != portfolio.learner_id:
        raise ValidationError("Only the learner adds evidence to their portfolio.")
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
    return item, True


def _lock_for_change(item: EvidenceItem, *, expected_version: int | None = None) -> EvidenceItem:
    """The item's row, locked for this transaction, if it may still change."""
    locked = EvidenceItem.objects.select_for_update().select_related("portfolio").get(pk=item.pk)
    _require_open_portfolio(locked.portfolio)
    if not locked.is_draft:
        when = timezone.localtime(locked.submitted_at).strftime("%-d %b %Y at %H:%M")
        raise EvidenceLocked(f"This item was submitted on {when}; it can no longer be changed.")
    if expected_version is not None and locked.version != expected_version:
        raise StaleEdit(
            "This item was changed elsewhere (another tab or device) after you opened this "
            "form, so your changes were not saved. The form now shows your changes over the "
            "latest version: check them and save again."
        )
    return locked


@transaction.atomic
def evidence_item_update(*, item: EvidenceItem, expected_version: int, **fields) -> EvidenceItem:
    locked = _lock_for_change(item, expected_version=expected_version)
    for name, value in _check_item_fields(fields).items():
        setattr(locked, name, value)
    locked.version = F("version") + 1
    locked.full_clean(exclude=["version", "creation_token"])
    locked.save()
    locked.refresh_from_db()
    return locked


@transaction.atomic
def evidence_item_delete(*, item: EvidenceItem) -> None:
    """Delete a draft item with its files and mappings; stored files go once it commits."""
    locked = _lock_for_change(item)
    stored = [evidence_file.file for evidence_file in locked.files.all()]
    locked.mappings.all().delete()
    locked.files.all().delete()
    locked.delete()
    transaction.on_commit(lambda: _remove_stored(stored))


# --- Files ------------------------------------------------------------------------------------


@transaction.atomic
def evidence_file_add(
    *, item: EvidenceItem, uploaded: UploadedFile, uploader: User, name_as_sent: str | None = None
) -> EvidenceFile:
    """Check an upload and attach it to a draft item.

    ``uploaded`` comes from evidence.uploads.HashingFileUploadHandler: on disk, hashed.
    ``name_as_sent`` is the name before Django's parser cleaned it, where it did.
    Raises RejectedFile (nothing is stored) or EvidenceLocked.

    The file is moved into place before its row is written and removed again if the row
    cannot be: a crash in between leaves at worst an unreferenced file, never a row whose
    file is missing.
    """
    name = file_types.check_file_name(name_as_sent or uploaded.name)
    accepted = file_types.check_file_content(Path(uploaded.temporary_file_path()), name=name)
    locked = _lock_for_change(item)
    if uploader.pk != locked.portfolio.learner_id:
        raise ValidationError("Only the learner adds files to their evidence.")
    already = locked.files.filter(sha256=uploaded.sha256).first()
    if already is not None:
        raise file_types.RejectedFile(
            f"“{name}” is already attached to this item (as “{already.original_name}”)."
        )

    evidence_file = EvidenceFile(
        item=locked,
        original_name=name,
        size=uploaded.size,
        content_type=accepted.content_type,
        sha256=uploaded.sha256,
        uploaded_by=uploader,
    )
    # The stored name is generated (evidence_file_path); only the extension comes from here.
    evidence_file.file.save(f"upload.{accepted.extension}", uploaded, save=False)
    try:
        with transaction.atomic():
            evidence_file.save()
    except IntegrityError:
        evidence_file.file.delete(save=False)
        raise file_types.RejectedFile(f"“{name}” is already attached to this item.") from None
    return evidence_file


@transaction.atomic
def evidence_file_delete(*, evidence_file: EvidenceFile) -> None:
    _lock_for_change(evidence_file.item)
    stored = evidence_file.file
    evidence_file.delete()
    transaction.on_commit(lambda: _remove_stored([stored]))


def _remove_stored(stored_files) -> None:
    for stored in stored_files:
        try:
            stored.storage.delete(stored.name)
        except OSError:
            # The row is gone either way; an unreferenced file is only wasted space.
            logger.exception("Could not delete stored evidence file %s", stored.name)


# --- Mapping to criteria ----------------------------------------------------------------------


@transaction.atomic
def evidence_mappings_set(
    *, item: EvidenceItem, references: Mapping[int, str], expected_version: int
) -> tuple[int, int, int]:
    """Make the item's mappings exactly ``references`` (criterion id -> where and how).

    Every criterion must belong to a unit of the item's portfolio and every reference must
    say something. Returns how many mappings were added, changed and removed.
    """
    locked = _lock_for_change(item, expected_version=expected_version)
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
    return added, changed, len(removed)


# --- Submission -------------------------------------------------------------------------------


@transaction.atomic
def evidence_item_submit(
    *, item: EvidenceItem, learner: User, declared: bool, ai_use: str = ""
) -> Submission:
    """Submit a draft for assessment with the learner's declaration. After this the item, its
    files and its mappings are locked."""
    locked = _lock_for_change(item)
    if learner.pk != locked.portfolio.learner_id:
        raise ValidationError("Only the learner submits their own evidence.")
    if not declared:
        raise ValidationError(
            {"declared": "Confirm the declaration to submit: it is what makes this your evidence."}
        )
    problems = []
    if not locked.mappings.exists():
        problems.append("map it to at least one criterion, saying where it meets each")
    if not locked.files.exists() and narrative_is_blank(locked.narrative):
        problems.append("add a file or write the narrative")
    if problems:
        raise ValidationError(f"Before you submit this item, {' and '.join(problems)}.")

    now = timezone.now()
    sequence = locked.submissions.count() + 1
    submission = Submission.objects.create(
        item=locked,
        sequence=sequence,
        submitted_by=learner,
        submitted_at=now,
        declaration=DECLARATION,
        ai_use=ai_use.strip(),
    )
    EvidenceItem.objects.filter(pk=locked.pk).update(
        status=EvidenceStatus.SUBMITTED,
        submitted_at=now,
        version=F("version") + 1,
        updated_at=now,
    )
    return submission
