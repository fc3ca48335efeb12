"""Quality assurance: sampling plans and samples (internal), and access grants (external)."""

import datetime
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from criteria.models import Unit
from evidence.models import (
    DEFAULT_TARGET_PERCENT,
    EqaGrant,
    IqaSample,
    MappingDecision,
    Portfolio,
    Review,
    SampleDecision,
    SamplingPlan,
    SignatureRole,
    SignOff,
    SignOffKind,
)
from evidence.services.assessment import create_signature
from evidence.services.common import AlreadyDecided, record
from portfolio_site.accounts.models import Centre, Role, User
from portfolio_site.accounts.permissions import holds_role_at
from portfolio_site.audit.services import audit_record
from portfolio_site.notifications.services import notify

IQA_COUNTERSIGNATURE = (
    "I have sampled this unit's assessment and agree with the assessor's judgement."
)


@transaction.atomic
def sampling_plan_save(
    *,
    iqa: User,
    centre: Centre,
    assessor: User,
    unit: Unit,
    risk_rating: str,
    method: str,
    target_percent: int | None = None,
    rationale: str = "",
) -> SamplingPlan:
    """Set (or change) how much of an assessor's work in a unit this IQA samples."""
    if not holds_role_at(iqa, Role.IQA, centre):
        raise ValidationError("Only an IQA at this centre sets its sampling plans.")
    if not holds_role_at(assessor, Role.ASSESSOR, centre):
        raise ValidationError({"assessor": f"{assessor} is not an assessor at {centre}."})
    if assessor.pk == iqa.pk:
        raise ValidationError({"assessor": "An IQA does not sample their own assessments."})
    if target_percent is not None and not 1 <= target_percent <= 100:
        raise ValidationError({"target_percent": "A target is between 1% and 100%."})
    plan, created = SamplingPlan.objects.update_or_create(
        centre=centre,
        assessor=assessor,
        unit=unit,
        defaults={
            "iqa": iqa,
            "risk_rating": risk_rating,
            "method": method,
            "target_percent": target_percent or DEFAULT_TARGET_PERCENT[risk_rating],
            "rationale": rationale.strip(),
        },
    )
    plan.full_clean()
    audit_record(
        action="iqa.plan_set",
        actor=iqa,
        target=plan,
        centre=centre,
        details={
            "assessor": assessor.pk,
            "unit": unit.code,
            "risk": risk_rating,
            "method": method,
            "target_percent": plan.target_percent,
            "created": created,
        },
    )
    return plan


def _units_of_review(review: Review) -> set[int]:
    return set(
        MappingDecision.objects.filter(review=review).values_list(
            "criterion__outcome__unit_id", flat=True
        )
    )


@transaction.atomic
def iqa_sample_record(
    *,
    iqa: User,
    unit: Unit,
    method: str,
    decision: str,
    comments: str,
    actions: str = "",
    review: Review | None = None,
    sign_off: SignOff | None = None,
    countersign: bool = False,
) -> IqaSample:
    """Record the IQA's check of one review or one sign-off; countersign a unit sign-off they
    agree with. The assessor is told."""
    if (review is None) == (sign_off is None):
        raise ValueError("Sample exactly one review or one sign-off.")
    if review is not None:
        review = Review.objects.select_related("item__portfolio", "assessor").get(pk=review.pk)
        portfolio, assessor = review.item.portfolio, review.assessor
        if unit.pk not in _units_of_review(review):
            raise ValidationError({"unit": "That unit is not among this decision's criteria."})
    else:
        sign_off = (
            SignOff.objects.select_for_update(of=("self",))
            .select_related("portfolio", "assessor_signature__signer", "criterion__outcome")
            .get(pk=sign_off.pk)
        )
        portfolio, assessor = sign_off.portfolio, sign_off.assessor_signature.signer
        sign_off_unit = sign_off.unit_id or sign_off.criterion.outcome.unit_id
        if unit.pk != sign_off_unit:
            raise ValidationError({"unit": "That is not this sign-off's unit."})
    if iqa.pk != portfolio.iqa_id:
        raise ValidationError("Only the portfolio's IQA samples it.")
    if iqa.pk == assessor.pk:
        raise ValidationError("An IQA does not sample their own assessments.")
    if not comments.strip():
        raise ValidationError({"comments": "Record what you checked and found."})
    if decision == SampleDecision.DISAGREE and not actions.strip():
        raise ValidationError({"actions": "Say what the assessor must do."})
    if countersign:
        if sign_off is None or sign_off.kind != SignOffKind.UNIT:
            raise ValidationError("Only a unit sign-off is countersigned.")
        if decision != SampleDecision.AGREE:
            raise ValidationError("Countersign only a sign-off you agree with.")
        if not sign_off.is_active:
            raise ValidationError("This sign-off was withdrawn.")
        if sign_off.iqa_signature_id:
            raise AlreadyDecided("This unit sign-off is already countersigned by an IQA.")

    sample = IqaSample(
        iqa=iqa,
        assessor=assessor,
        portfolio=portfolio,
        unit=unit,
        review=review,
        sign_off=sign_off,
        method=method,
        decision=decision,
        comments=comments.strip(),
        actions=actions.strip(),
        sampled_at=timezone.now(),
    )
    if countersign:
        sample.countersignature = create_signature(
            signer=iqa,
            role=SignatureRole.IQA,
            statement=IQA_COUNTERSIGNATURE,
            payload={
                "type": "unit IQA countersignature",
                "sign_off": sign_off.pk,
                "unit": unit.code,
                "assessor_signature_sha256": sign_off.assessor_signature.payload_sha256,
                "comments": sample.comments,
            },
        )
        SignOff.objects.filter(pk=sign_off.pk).update(iqa_signature=sample.countersignature)
    sample.full_clean()
    sample.save()
    record(
        "iqa.sampled",
        actor=iqa,
        portfolio=portfolio,
        target=sample,
        decision=decision,
        method=method,
        unit=unit.code,
        countersigned=countersign,
    )
    notify(
        recipients=[assessor],
        kind="iqa_decision",
        message=(
            f"{iqa} sampled your assessment of {portfolio.learner} in {unit} and "
            f"{'agrees' if decision == SampleDecision.AGREE else 'disagrees: actions for you'}."
        ),
        url=reverse("evidence:iqa-sample-detail", args=[sample.pk]),
    )
    return sample


def iqa_sample_mark_seen(*, sample: IqaSample, assessor: User) -> None:
    if assessor.pk == sample.assessor_id and sample.seen_by_assessor_at is None:
        IqaSample.objects.filter(pk=sample.pk).update(seen_by_assessor_at=timezone.now())


# --- External quality assurance ----------------------------------------------------------------


@transaction.atomic
def eqa_grant(
    *, admin: User, eqa: User, portfolios: Iterable[Portfolio], expires_on: datetime.date
) -> list[EqaGrant]:
    """Give an EQA read-only access to portfolios until ``expires_on`` (inclusive). A grant
    that is already open is extended or shortened to the new date."""
    if expires_on < timezone.localdate():
        raise ValidationError({"expires_on": "The expiry date has passed."})
    portfolios = list(portfolios)
    if not portfolios:
        raise ValidationError({"portfolios": "Choose at least one portfolio."})
    grants = []
    now = timezone.now()
    for portfolio in portfolios:
        if not holds_role_at(admin, Role.CENTRE_ADMIN, portfolio.centre):
            raise ValidationError("You can grant access only to your centre's portfolios.")
        if not holds_role_at(eqa, Role.EQA, portfolio.centre):
            raise ValidationError({"eqa": f"{eqa} is not an EQA for {portfolio.centre}."})
        grant, created = EqaGrant.objects.select_for_update().get_or_create(
            eqa=eqa,
            portfolio=portfolio,
            revoked_at__isnull=True,
            defaults={"granted_by": admin, "granted_at": now, "expires_on": expires_on},
        )
        if not created and grant.expires_on != expires_on:
            EqaGrant.objects.filter(pk=grant.pk).update(expires_on=expires_on)
            grant.expires_on = expires_on
        record(
            "eqa.granted",
            actor=admin,
            portfolio=portfolio,
            target=grant,
            eqa=eqa.pk,
            expires_on=expires_on.isoformat(),
        )
        grants.append(grant)
    notify(
        recipients=[eqa],
        kind="eqa_granted",
        message=f"{admin} gave you read-only access to {len(grants)} portfolio(s) until "
        f"{expires_on:%-d %B %Y}.",
        url=reverse("evidence:eqa-dashboard"),
    )
    return grants


@transaction.atomic
def eqa_revoke(*, admin: User, grant: EqaGrant) -> None:
    locked = (
        EqaGrant.objects.select_for_update(of=("self",))
        .select_related("portfolio__centre")
        .get(pk=grant.pk)
    )
    if not holds_role_at(admin, Role.CENTRE_ADMIN, locked.portfolio.centre):
        raise ValidationError("You can revoke access only to your centre's portfolios.")
    if locked.revoked_at is not None:
        return
    EqaGrant.objects.filter(pk=locked.pk).update(revoked_at=timezone.now(), revoked_by=admin)
    record("eqa.revoked", actor=admin, portfolio=locked.portfolio, target=locked, eqa=locked.eqa_id)
