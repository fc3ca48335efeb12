"""The assessor's side: reviewing submissions, records the assessor writes (observations and
professional discussions), and signing criteria and units off.

Every signature hashes a payload that names what was signed: the decisions, the submissions'
snapshot hashes and the SHA-256 of every evidence file behind them.
"""

from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from criteria.models import AssessmentCriterion, Unit
from evidence import selectors
from evidence.models import (
    EvidenceFile,
    EvidenceItem,
    EvidenceStatus,
    MappingDecision,
    Portfolio,
    Review,
    ReviewOutcome,
    Signature,
    SignatureRole,
    SignOff,
    SignOffKind,
    Submission,
)
from evidence.services import fixity
from evidence.services.common import (
    AlreadyDecided,
    EvidenceLocked,
    lock_for_change,
    lock_item,
    record,
    when,
)
from evidence.services.items import ASSESSOR_KINDS, check_ready_to_submit, create_submission
from portfolio_site.accounts.models import User
from portfolio_site.notifications.services import notify

ASSESSOR_RECORD_DECLARATION = (
    "I confirm that this is an accurate record of what I observed or discussed with the "
    "learner, and that the criteria marked are met."
)
LEARNER_CONFIRMATION = "I confirm that this record is an accurate account of my work."
CRITERION_SIGN_OFF_DECLARATION = (
    "I confirm that I have judged the evidence behind each of these criteria to be valid, "
    "authentic, current and sufficient, and I sign them off."
)
UNIT_SIGN_OFF_DECLARATION = (
    "I confirm that every criterion of this unit is met by evidence I have judged valid, "
    "authentic, current and sufficient, and I sign the unit off."
)
UNIT_COUNTERSIGNATURE = (
    "I confirm that the evidence for this unit is my own work and that I have seen my "
    "assessor's decisions."
)


def _person(user: User) -> dict:
    return {"id": user.pk, "name": str(user), "username": user.username}


def _require_assessor(portfolio: Portfolio, user: User) -> None:
    if user.pk != portfolio.assessor_id:
        raise ValidationError("Only the learner's assessor can do this.")


def create_signature(*, signer: User, role: str, statement: str, payload: dict) -> Signature:
    now = timezone.now()
    return Signature.objects.create(
        signer=signer,
        role=role,
        statement=statement,
        payload={
            **payload,
            "signed_by": {**_person(signer), "role": role},
            "signed_at": now.isoformat(timespec="microseconds"),
        },
        signed_at=now,
    )


# --- Reviewing a submission -------------------------------------------------------------------


@transaction.atomic
def review_record(
    *,
    item: EvidenceItem,
    assessor: User,
    outcome: str,
    feedback: str,
    decisions: Mapping[int, tuple[bool, str]],
) -> Review:
    """Decide on the item's latest submission: each mapping met or not yet met, with feedback,
    then accept or refer back. ``decisions`` maps criterion id -> (met, feedback)."""
    locked = lock_item(item)
    portfolio = locked.portfolio
    _require_assessor(portfolio, assessor)
    submission = locked.submissions.order_by("-sequence").first()
    existing = Review.objects.filter(submission=submission).select_related("assessor").first()
    if existing is not None or locked.status != EvidenceStatus.SUBMITTED:
        if existing is not None:
            raise AlreadyDecided(
                f"{existing.assessor} already {existing.get_outcome_display().lower()} this "
                f"submission on {when(existing.decided_at)}. Nothing else was recorded."
            )
        raise EvidenceLocked(
            f"This item is {locked.get_status_display().lower()}: nothing to decide."
        )

    mappings = {mapping.criterion_id: mapping for mapping in locked.mappings.all()}
    errors = {}
    for criterion_id in mappings:
        if criterion_id not in decisions:
            errors[str(criterion_id)] = "Decide: met or not yet met."
        elif not decisions[criterion_id][0] and not decisions[criterion_id][1].strip():
            errors[str(criterion_id)] = "Say what is missing for this criterion."
    if set(decisions) - set(mappings):
        raise ValidationError("The form does not match this item; reload the page.")
    if outcome not in ReviewOutcome.values:
        raise ValidationError("Choose to accept the item or refer it back.")
    if errors:
        raise ValidationError(errors)
    if outcome == ReviewOutcome.ACCEPTED and not any(met for met, _ in decisions.values()):
        raise ValidationError(
            "To accept the item, at least one criterion must be met; otherwise refer it back."
        )
    if outcome == ReviewOutcome.REFERRED and not feedback.strip():
        raise ValidationError({"feedback": "Say what the learner should change."})

    review = Review(
        submission=submission,
        item=locked,
        assessor=assessor,
        outcome=outcome,
        feedback=feedback.strip(),
        decided_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError:
        raise AlreadyDecided("Someone decided on this submission a moment ago.") from None
    MappingDecision.objects.bulk_create(
        MappingDecision(
            review=review,
            criterion_id=criterion_id,
            reference=mappings[criterion_id].reference,
            met=decisions[criterion_id][0],
            feedback=decisions[criterion_id][1].strip(),
        )
        for criterion_id in mappings
    )
    new_status = (
        EvidenceStatus.ACCEPTED if outcome == ReviewOutcome.ACCEPTED else EvidenceStatus.REFERRED
    )
    EvidenceItem.objects.filter(pk=locked.pk).update(
        status=new_status, version=F("version") + 1, updated_at=review.decided_at
    )
    record(
        "assessment.decided",
        actor=assessor,
        portfolio=portfolio,
        target=locked,
        outcome=outcome,
        submission=submission.sequence,
        met=sorted(c for c, (met, _) in decisions.items() if met),
        not_met=sorted(c for c, (met, _) in decisions.items() if not met),
    )
    notify(
        recipients=[portfolio.learner],
        kind=f"item_{outcome}",
        message=(
            f"{assessor} accepted “{locked.title}”."
            if outcome == ReviewOutcome.ACCEPTED
            else f"{assessor} referred “{locked.title}” back to you: see the feedback."
        ),
        url=reverse("evidence:item-detail", args=[locked.pk]),
    )
    return review


# --- Records the assessor writes --------------------------------------------------------------


@transaction.atomic
def observation_send(*, item: EvidenceItem, assessor: User, declared: bool) -> Review:
    """Send an observation or discussion record to the learner to confirm. The assessor's
    mappings count as met: the record is the assessor's own judgement."""
    locked = lock_for_change(item)
    if locked.created_by_id != assessor.pk or locked.kind not in ASSESSOR_KINDS:
        raise ValidationError("Only the assessor who wrote this record sends it.")
    _require_assessor(locked.portfolio, assessor)
    if not declared:
        raise ValidationError({"declared": "Confirm the declaration to send the record."})
    check_ready_to_submit(locked)
    submission = create_submission(
        item=locked, submitted_by=assessor, declaration=ASSESSOR_RECORD_DECLARATION
    )
    review = Review.objects.create(
        submission=submission,
        item=locked,
        assessor=assessor,
        outcome=ReviewOutcome.ACCEPTED,
        decided_at=submission.submitted_at,
    )
    MappingDecision.objects.bulk_create(
        MappingDecision(
            review=review, criterion_id=mapping.criterion_id, reference=mapping.reference, met=True
        )
        for mapping in locked.mappings.all()
    )
    EvidenceItem.objects.filter(pk=locked.pk).update(
        status=EvidenceStatus.AWAITING_CONFIRMATION,
        submitted_at=submission.submitted_at,
        version=F("version") + 1,
        updated_at=submission.submitted_at,
    )
    record("assessment.record_sent", actor=assessor, portfolio=locked.portfolio, target=locked)
    notify(
        recipients=[locked.portfolio.learner],
        kind="record_to_confirm",
        message=f"{assessor} wrote “{locked.title}” about your work: please check and confirm it.",
        url=reverse("evidence:item-detail", args=[locked.pk]),
    )
    return review


def _awaiting_learner(item: EvidenceItem, learner: User) -> EvidenceItem:
    locked = lock_item(item)
    if learner.pk != locked.portfolio.learner_id:
        raise ValidationError("Only the learner confirms a record of their work.")
    if locked.status != EvidenceStatus.AWAITING_CONFIRMATION:
        raise EvidenceLocked(
            f"This record is {locked.get_status_display().lower()}: there is nothing to confirm."
        )
    return locked


@transaction.atomic
def observation_confirm(*, item: EvidenceItem, learner: User, declared: bool) -> Signature:
    locked = _awaiting_learner(item, learner)
    if not declared:
        raise ValidationError({"declared": "Tick the confirmation to confirm the record."})
    submission = locked.submissions.order_by("-sequence").first()
    signature = create_signature(
        signer=learner,
        role=SignatureRole.LEARNER,
        statement=LEARNER_CONFIRMATION,
        payload={
            "type": "record confirmation",
            "item": locked.pk,
            "submission": submission.sequence,
            "snapshot_sha256": submission.snapshot_sha256,
        },
    )
    Submission.objects.filter(pk=submission.pk).update(learner_confirmation=signature)
    EvidenceItem.objects.filter(pk=locked.pk).update(
        status=EvidenceStatus.ACCEPTED, version=F("version") + 1, updated_at=signature.signed_at
    )
    record(
        "assessment.record_confirmed",
        actor=learner,
        portfolio=locked.portfolio,
        target=locked,
        signature_sha256=signature.payload_sha256,
    )
    notify(
        recipients=[locked.portfolio.assessor],
        kind="record_confirmed",
        message=f"{learner} confirmed your record “{locked.title}”.",
        url=reverse("evidence:item-detail", args=[locked.pk]),
    )
    return signature


@transaction.atomic
def observation_return(*, item: EvidenceItem, learner: User, comment: str) -> None:
    """The learner asks the assessor to correct the record; it goes back to the assessor."""
    locked = _awaiting_learner(item, learner)
    if not comment.strip():
        raise ValidationError({"comment": "Say what is not accurate."})
    submission = locked.submissions.order_by("-sequence").first()
    now = timezone.now()
    Submission.objects.filter(pk=submission.pk).update(
        returned_at=now, returned_comment=comment.strip()
    )
    EvidenceItem.objects.filter(pk=locked.pk).update(
        status=EvidenceStatus.DRAFT, version=F("version") + 1, updated_at=now
    )
    record("assessment.record_returned", actor=learner, portfolio=locked.portfolio, target=locked)
    notify(
        recipients=[locked.portfolio.assessor],
        kind="record_returned",
        message=f"{learner} asked for changes to “{locked.title}”: {comment.strip()[:150]}",
        url=reverse("evidence:item-detail", args=[locked.pk]),
    )


# --- Signing off ------------------------------------------------------------------------------


def _lock_portfolio(portfolio: Portfolio) -> Portfolio:
    """Sign-offs of one portfolio happen one after another."""
    return (
        Portfolio.objects.select_for_update(of=("self",))
        .select_related("learner", "qualification", "assessor", "centre")
        .get(pk=portfolio.pk)
    )


def _criterion_payload(portfolio: Portfolio, criterion: AssessmentCriterion, decisions) -> dict:
    return {
        "type": "criterion sign-off",
        "portfolio": portfolio.pk,
        "learner": _person(portfolio.learner),
        "qualification": portfolio.qualification.code,
        "criterion": {
            "unit": criterion.outcome.unit.code,
            "number": criterion.number,
            "text": criterion.text,
        },
        "evidence": [
            {
                "item": decision.review.item_id,
                "title": decision.review.item.title,
                "submission": decision.review.submission.sequence,
                "snapshot_sha256": decision.review.submission.snapshot_sha256,
                "review": decision.review_id,
                "decided_by": decision.review.assessor_id,
                "met": decision.met,
                "reference": decision.reference,
                "feedback": decision.feedback,
                "files": [
                    {"name": entry["name"], "sha256": entry["sha256"]}
                    for entry in decision.review.submission.snapshot.get("files", [])
                ],
            }
            for decision in decisions
        ],
    }


def _file_ids_behind(decisions: Iterable[MappingDecision]) -> set[int]:
    """The evidence files the submissions behind ``decisions`` hold (what a signature names)."""
    return {
        entry["id"]
        for decision in decisions
        for entry in decision.review.submission.snapshot.get("files", [])
        if "id" in entry
    }


def _verify_files_behind(decisions: Iterable[MappingDecision]) -> None:
    """Hash every file a sign-off would name, now: a changed or missing file is marked damaged
    (and committed as such) before the sign-off's own transaction starts, so that refusing the
    sign-off does not roll the marking back."""
    ids = _file_ids_behind(decisions)
    files = EvidenceFile.all_objects.filter(pk__in=ids).select_related(
        "item__portfolio__centre", "item__portfolio__learner"
    )
    fixity.files_verify(files, during="sign-off")


def _refuse_damaged_files(decisions: Iterable[MappingDecision], *, signing: str) -> None:
    """ValidationError if any file behind ``decisions`` is marked damaged."""
    damaged = list(
        EvidenceFile.all_objects.filter(
            pk__in=_file_ids_behind(decisions), damaged_at__isnull=False
        ).select_related("item")
    )
    if damaged:
        names = "; ".join(
            f"“{evidence_file.original_name}” in “{evidence_file.item.title}” "
            f"{evidence_file.get_damage_display()}"
            for evidence_file in damaged
        )
        raise ValidationError(
            f"Not signed off: {signing} rests on a damaged evidence file ({names}). What "
            "would be signed is not what was submitted, so nothing was signed. The centre's "
            "administrator has been told; sign off again once the file is restored."
        )


def criteria_sign_off(
    *, portfolio: Portfolio, assessor: User, criterion_ids: Iterable[int], declared: bool
) -> list[SignOff]:
    """Sign off criteria that accepted evidence meets, one signature each. Every file behind
    them is hashed first (fixity); a damaged one refuses the sign-off."""
    criterion_ids = sorted(set(criterion_ids))
    if portfolio.assessor_id == assessor.pk:
        ready = selectors.sign_off_candidates(portfolio)
        _verify_files_behind(
            decision for criterion_id in criterion_ids for decision in ready.get(criterion_id, [])
        )
    return _criteria_sign_off(
        portfolio=portfolio, assessor=assessor, criterion_ids=criterion_ids, declared=declared
    )


@transaction.atomic
def _criteria_sign_off(
    *, portfolio: Portfolio, assessor: User, criterion_ids: list[int], declared: bool
) -> list[SignOff]:
    locked = _lock_portfolio(portfolio)
    _require_assessor(locked, assessor)
    criterion_ids = sorted(set(criterion_ids))
    if not criterion_ids:
        raise ValidationError("Choose at least one criterion to sign off.")
    if not declared:
        raise ValidationError({"declared": "Confirm the declaration to sign off."})
    ready = selectors.sign_off_candidates(locked)
    signed = set(
        SignOff.objects.active()
        .filter(portfolio=locked, kind=SignOffKind.CRITERION)
        .values_list("criterion_id", flat=True)
    )
    not_ready = [c for c in criterion_ids if c not in ready or c in signed]
    if not_ready:
        numbers = ", ".join(
            AssessmentCriterion.objects.filter(pk__in=not_ready).values_list("number", flat=True)
        )
        raise ValidationError(
            f"Not signed off: {numbers or 'unknown criteria'} "
            "(already signed off, or no accepted evidence meets them yet). Nothing was signed."
        )
    for criterion_id in criterion_ids:
        _refuse_damaged_files(
            ready[criterion_id], signing=f"criterion {ready[criterion_id][0].criterion.number}"
        )
    sign_offs = []
    for criterion_id in criterion_ids:
        decisions = ready[criterion_id]
        criterion = decisions[0].criterion
        signature = create_signature(
            signer=assessor,
            role=SignatureRole.ASSESSOR,
            statement=CRITERION_SIGN_OFF_DECLARATION,
            payload=_criterion_payload(locked, criterion, decisions),
        )
        sign_off = SignOff.objects.create(
            portfolio=locked,
            kind=SignOffKind.CRITERION,
            criterion=criterion,
            assessor_signature=signature,
        )
        sign_off.decisions.set(decisions)
        record(
            "sign_off.criterion_signed",
            actor=assessor,
            portfolio=locked,
            target=sign_off,
            criterion=f"{criterion.outcome.unit.code} {criterion.number}",
            signature_sha256=signature.payload_sha256,
        )
        sign_offs.append(sign_off)
    return sign_offs


def _unit_decisions(portfolio: Portfolio, unit: Unit) -> list[MappingDecision]:
    """The decisions behind the unit's criterion sign-offs in force."""
    return list(
        MappingDecision.objects.filter(
            sign_offs__in=SignOff.objects.active().filter(
                portfolio=portfolio, kind=SignOffKind.CRITERION, criterion__outcome__unit=unit
            )
        )
        .select_related("review__submission", "criterion")
        .distinct()
    )


def unit_sign_off(*, portfolio: Portfolio, unit: Unit, assessor: User, declared: bool) -> SignOff:
    """Sign a unit off once every one of its criteria is; the learner countersigns next.
    Every file behind its criteria is hashed first (fixity); a damaged one refuses it."""
    if portfolio.assessor_id == assessor.pk:
        _verify_files_behind(_unit_decisions(portfolio, unit))
    return _unit_sign_off(portfolio=portfolio, unit=unit, assessor=assessor, declared=declared)


@transaction.atomic
def _unit_sign_off(*, portfolio: Portfolio, unit: Unit, assessor: User, declared: bool) -> SignOff:
    locked = _lock_portfolio(portfolio)
    _require_assessor(locked, assessor)
    if unit.pk not in selectors.portfolio_units_queryset(locked).values_list("pk", flat=True):
        raise ValidationError("That unit is not part of this portfolio.")
    if not declared:
        raise ValidationError({"declared": "Confirm the declaration to sign the unit off."})
    if SignOff.objects.active().filter(portfolio=locked, kind=SignOffKind.UNIT, unit=unit).exists():
        raise AlreadyDecided(f"{unit} is already signed off.")
    criteria = list(
        AssessmentCriterion.objects.filter(outcome__unit=unit).order_by(
            "outcome__number", "position"
        )
    )
    criterion_sign_offs = {
        sign_off.criterion_id: sign_off
        for sign_off in SignOff.objects.active()
        .filter(portfolio=locked, kind=SignOffKind.CRITERION, criterion__outcome__unit=unit)
        .select_related("assessor_signature")
    }
    missing = [c.number for c in criteria if c.pk not in criterion_sign_offs]
    if not criteria or missing:
        raise ValidationError(
            f"Sign off every criterion of {unit} first (still open: {', '.join(missing)})."
        )
    _refuse_damaged_files(_unit_decisions(locked, unit), signing=f"the unit {unit}")
    signature = create_signature(
        signer=assessor,
        role=SignatureRole.ASSESSOR,
        statement=UNIT_SIGN_OFF_DECLARATION,
        payload={
            "type": "unit sign-off",
            "portfolio": locked.pk,
            "learner": _person(locked.learner),
            "qualification": locked.qualification.code,
            "unit": {"code": unit.code, "title": unit.title},
            "criteria": [
                {
                    "number": criterion.number,
                    "sign_off": criterion_sign_offs[criterion.pk].pk,
                    "signature_sha256": criterion_sign_offs[
                        criterion.pk
                    ].assessor_signature.payload_sha256,
                }
                for criterion in criteria
            ],
        },
    )
    sign_off = SignOff.objects.create(
        portfolio=locked, kind=SignOffKind.UNIT, unit=unit, assessor_signature=signature
    )
    record(
        "sign_off.unit_signed",
        actor=assessor,
        portfolio=locked,
        target=sign_off,
        unit=unit.code,
        signature_sha256=signature.payload_sha256,
    )
    notify(
        recipients=[locked.learner],
        kind="countersign_needed",
        message=f"{assessor} signed off {unit}: please countersign it.",
        url=reverse("evidence:sign-offs", args=[locked.pk]),
    )
    return sign_off


@transaction.atomic
def unit_countersign(*, sign_off: SignOff, learner: User, declared: bool) -> Signature:
    locked = (
        SignOff.objects.select_for_update(of=("self",))
        .select_related("portfolio", "assessor_signature", "unit")
        .get(pk=sign_off.pk)
    )
    if learner.pk != locked.portfolio.learner_id:
        raise ValidationError("Only the learner countersigns their unit.")
    if not locked.awaits_learner:
        raise AlreadyDecided("This sign-off is not waiting for your countersignature.")
    if not declared:
        raise ValidationError({"declared": "Confirm the declaration to countersign."})
    signature = create_signature(
        signer=learner,
        role=SignatureRole.LEARNER,
        statement=UNIT_COUNTERSIGNATURE,
        payload={
            "type": "unit countersignature",
            "sign_off": locked.pk,
            "unit": locked.unit.code,
            "assessor_signature_sha256": locked.assessor_signature.payload_sha256,
        },
    )
    SignOff.objects.filter(pk=locked.pk).update(learner_signature=signature)
    record(
        "sign_off.countersigned",
        actor=learner,
        portfolio=locked.portfolio,
        target=locked,
        unit=locked.unit.code,
        signature_sha256=signature.payload_sha256,
    )
    notify(
        recipients=[locked.portfolio.assessor, locked.portfolio.iqa],
        kind="unit_countersigned",
        message=f"{learner} countersigned the sign-off of {locked.unit}.",
        url=reverse("evidence:sign-offs", args=[locked.portfolio_id]),
    )
    return signature


@transaction.atomic
def sign_off_withdraw(*, sign_off: SignOff, assessor: User, reason: str) -> None:
    """Withdraw a sign-off (with a reason); its signatures stay, and signing again makes a new
    sign-off. A criterion inside a signed-off unit needs the unit withdrawn first."""
    locked = (
        SignOff.objects.select_for_update(of=("self",))
        .select_related("portfolio", "criterion__outcome")
        .get(pk=sign_off.pk)
    )
    _require_assessor(locked.portfolio, assessor)
    if not locked.is_active:
        raise AlreadyDecided(f"This sign-off was already withdrawn on {when(locked.withdrawn_at)}.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the sign-off is withdrawn."})
    if (
        locked.kind == SignOffKind.CRITERION
        and SignOff.objects.active()
        .filter(
            portfolio=locked.portfolio,
            kind=SignOffKind.UNIT,
            unit_id=locked.criterion.outcome.unit_id,
        )
        .exists()
    ):
        raise ValidationError("Withdraw the unit's sign-off first: this criterion is part of it.")
    now = timezone.now()
    SignOff.objects.filter(pk=locked.pk).update(
        withdrawn_at=now, withdrawn_by=assessor, withdrawal_reason=reason.strip()
    )
    record(
        "sign_off.withdrawn",
        actor=assessor,
        portfolio=locked.portfolio,
        target=locked,
        reason=reason.strip(),
    )
