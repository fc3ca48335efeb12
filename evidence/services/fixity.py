"""Fixity: the stored bytes of every evidence file still hash to the SHA-256 recorded at upload.

A file's hash is what submissions, signatures and exports name, so a file that no longer
matches it (replaced on disk, truncated, lost) must not be served, signed or exported as if it
were the evidence. As digital archives do, the hash is checked when the file matters (sign-off,
export, the assessor's review page) and on a schedule over every file (evidence.tasks, and
``manage.py verify_files`` from the shell).

A mismatch marks the file damaged (``damaged_at``, ``damage``): pages and the PDF say so,
new sign-offs resting on it are refused, the centre's administrators are notified and the
audit trail records it. The marking is made once per damage (a conditional update), so two
checks at once notify once. A damaged file whose bytes match again (restored from a backup)
is marked intact again, which is also an audit event.
"""

import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from evidence.models import EvidenceFile, FileDamage
from evidence.services.common import record
from portfolio_site.accounts.models import Role
from portfolio_site.accounts.selectors import users_with_role
from portfolio_site.notifications.services import notify

logger = logging.getLogger(__name__)

INTACT = "intact"
_CHUNK_BYTES = 1024 * 1024


@dataclass(frozen=True)
class FixityResult:
    evidence_file: EvidenceFile
    state: str  # INTACT, FileDamage.CHANGED or FileDamage.MISSING
    found_sha256: str = ""
    found_size: int | None = None

    @property
    def is_intact(self) -> bool:
        return self.state == INTACT

    @property
    def description(self) -> str:
        """One line naming the file and what is wrong, for the shell and the log."""
        evidence_file = self.evidence_file
        where = (
            f"file {evidence_file.pk} “{evidence_file.original_name}” "
            f"({evidence_file.file.name}, item {evidence_file.item_id})"
        )
        if self.state == FileDamage.MISSING:
            return f"MISSING  {where}: not in storage"
        if self.state == FileDamage.CHANGED:
            return (
                f"MISMATCH {where}: does not match its recorded hash "
                f"(recorded SHA-256 {evidence_file.sha256}, {evidence_file.size} bytes; "
                f"found {self.found_sha256}, {self.found_size} bytes)"
            )
        return f"ok       {where}"


@dataclass
class FixitySummary:
    checked: int = 0
    problems: list[FixityResult] = field(default_factory=list)


def stored_path(evidence_file: EvidenceFile) -> Path:
    return Path(settings.MEDIA_ROOT) / evidence_file.file.name


def file_hash_state(evidence_file: EvidenceFile) -> FixityResult:
    """Hash the stored bytes and compare them with the record. Reads only; writes nothing."""
    digest = hashlib.sha256()
    size = 0
    try:
        with stored_path(evidence_file).open("rb") as stored:
            while chunk := stored.read(_CHUNK_BYTES):
                digest.update(chunk)
                size += len(chunk)
    except OSError as error:
        logger.warning(
            "Evidence file %s (%s) cannot be read: %s",
            evidence_file.pk,
            evidence_file.file.name,
            error,
        )
        return FixityResult(evidence_file=evidence_file, state=FileDamage.MISSING)
    found = digest.hexdigest()
    state = INTACT if found == evidence_file.sha256 else FileDamage.CHANGED
    return FixityResult(
        evidence_file=evidence_file, state=state, found_sha256=found, found_size=size
    )


def file_verify(*, evidence_file: EvidenceFile, during: str = "a check") -> FixityResult:
    """Check one file's bytes against its recorded hash and record the outcome (see the module
    docstring). ``during`` names the occasion in the audit trail ("sign-off", "export" ...).
    Commits its marking at once (its own transaction, or a savepoint of the caller's), so that
    an action refused because of the damage does not roll the marking back with it."""
    result = file_hash_state(evidence_file)
    fixity_record(result=result, during=during)
    return result


def fixity_record(*, result: FixityResult, during: str) -> None:
    """Record the outcome of a hash check made elsewhere (the export checks as it reads)."""
    evidence_file = result.evidence_file
    now = timezone.now()
    rows = EvidenceFile.all_objects.filter(pk=evidence_file.pk)
    with transaction.atomic():
        if result.is_intact:
            rows.update(verified_at=now)
            evidence_file.verified_at = now
            if (
                evidence_file.damaged_at is not None
                or rows.filter(damaged_at__isnull=False).exists()
            ):
                _mark_restored(evidence_file, during=during)
            return
        marked = rows.filter(damaged_at__isnull=True).update(damaged_at=now, damage=result.state)
        if not marked:
            # Already marked: refresh what this instance shows, nothing more to tell anyone.
            fresh = rows.values("damaged_at", "damage").first() or {}
            evidence_file.damaged_at = fresh.get("damaged_at", now)
            evidence_file.damage = fresh.get("damage", result.state)
            return
        evidence_file.damaged_at, evidence_file.damage = now, result.state
        _announce_damage(result, during=during)


def _announce_damage(result: FixityResult, *, during: str) -> None:
    evidence_file = result.evidence_file
    item = evidence_file.item
    portfolio = item.portfolio
    logger.error("Fixity: %s (found during %s)", result.description, during)
    record(
        "evidence.file_damaged",
        actor=None,
        actor_label="fixity check",
        portfolio=portfolio,
        target=evidence_file,
        item=item.pk,
        damage=result.state,
        during=during,
        stored_name=evidence_file.file.name,
        recorded_sha256=evidence_file.sha256,
        recorded_size=evidence_file.size,
        found_sha256=result.found_sha256,
        found_size=result.found_size,
    )
    notify(
        recipients=users_with_role(role=Role.CENTRE_ADMIN, centres=portfolio.centre),
        kind="file_damaged",
        message=(
            f"The evidence file “{evidence_file.original_name}” in {portfolio.learner}'s item "
            f"“{item.title}” {FileDamage(result.state).label}. Restore it from a backup: "
            "until then it cannot be signed off."
        ),
        url=reverse("evidence:item-detail", args=[item.pk]),
    )


def _mark_restored(evidence_file: EvidenceFile, *, during: str) -> None:
    cleared = EvidenceFile.all_objects.filter(pk=evidence_file.pk, damaged_at__isnull=False).update(
        damaged_at=None, damage=""
    )
    evidence_file.damaged_at, evidence_file.damage = None, ""
    if cleared:
        record(
            "evidence.file_restored",
            actor=None,
            actor_label="fixity check",
            portfolio=evidence_file.item.portfolio,
            target=evidence_file,
            item=evidence_file.item_id,
            during=during,
            sha256=evidence_file.sha256,
        )


def fixity_record_many(results: Iterable[FixityResult], *, during: str) -> None:
    """fixity_record() for many results, in a number of queries that does not grow with the
    intact files (one update for all of them); each damaged or restored file is recorded on
    its own."""
    results = list(results)
    intact = [
        result.evidence_file
        for result in results
        if result.is_intact and result.evidence_file.damaged_at is None
    ]
    if intact:
        now = timezone.now()
        EvidenceFile.all_objects.filter(pk__in=[f.pk for f in intact]).update(verified_at=now)
        for evidence_file in intact:
            evidence_file.verified_at = now
    for result in results:
        if not (result.is_intact and result.evidence_file.damaged_at is None):
            fixity_record(result=result, during=during)


def files_verify(files: Iterable[EvidenceFile], *, during: str) -> list[FixityResult]:
    """Check each of ``files`` and record the outcomes (fixity_record_many)."""
    results = [file_hash_state(evidence_file) for evidence_file in files]
    fixity_record_many(results, during=during)
    return results


def files_verify_all(*, during: str = "the scheduled check") -> FixitySummary:
    """Check every stored evidence file, removed ones too (earlier submissions still name
    them), one at a time so that memory stays flat however many there are."""
    summary = FixitySummary()
    files = (
        EvidenceFile.all_objects.select_related(
            "item__portfolio__centre", "item__portfolio__learner"
        )
        .order_by("pk")
        .iterator(chunk_size=500)
    )
    for evidence_file in files:
        result = file_verify(evidence_file=evidence_file, during=during)
        summary.checked += 1
        if not result.is_intact:
            summary.problems.append(result)
    return summary
