"""Who may see and do what with portfolios and evidence. Every view asks here.

Objects outside a user's reach give 404, never 403: a forged or guessed id must not reveal
that the object exists. 403 is kept for objects a user may see but not act on in that way (an
assessor opening a learner's edit form, a learner opening the review page).

Who sees a portfolio: its learner, assessor and IQA; the admins of its centre; and an EQA
with a current grant for it (read-only: no action below is open to them). Each only while
their role at the portfolio's centre is in force: a suspended or ended role sees what a
stranger sees (``role_in_force_at``), whatever the portfolio's own fields still name.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from evidence.models import (
    OPEN_STATUSES,
    EqaGrant,
    EvidenceFile,
    EvidenceItem,
    IqaSample,
    Portfolio,
    Review,
    SignOff,
)
from portfolio_site.accounts.models import Centre, Role, User
from portfolio_site.accounts.permissions import role_in_force_at
from portfolio_site.accounts.selectors import centres_where


def portfolios_visible_to(user: User) -> QuerySet[Portfolio]:
    if not user.is_authenticated:
        return Portfolio.objects.none()
    administered = centres_where(user=user, role=Role.CENTRE_ADMIN).values("pk")
    granted = EqaGrant.objects.current(timezone.localdate()).filter(
        eqa=user, portfolio=OuterRef("pk")
    )
    return Portfolio.objects.filter(
        (Q(learner=user) & role_in_force_at(user, Role.LEARNER))
        | (Q(assessor=user) & role_in_force_at(user, Role.ASSESSOR))
        | (Q(iqa=user) & role_in_force_at(user, Role.IQA))
        | Q(centre__in=administered)
        | (Exists(granted) & role_in_force_at(user, Role.EQA))
    )


def access_portfolio(user: User, portfolio_id: int) -> Portfolio:
    return get_object_or_404(
        portfolios_visible_to(user).select_related(
            "learner", "centre", "assessor", "iqa", "qualification"
        ),
        pk=portfolio_id,
    )


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def access_portfolio_to_add(user: User, portfolio_id: int) -> Portfolio:
    """A portfolio the user adds evidence to: its learner, or its assessor (for records)."""
    portfolio = access_portfolio(user, portfolio_id)
    _require(
        user.pk in (portfolio.learner_id, portfolio.assessor_id),
        "Only the learner, or their assessor, adds evidence to a portfolio.",
    )
    return portfolio


def access_portfolio_as_assessor(user: User, portfolio_id: int) -> Portfolio:
    portfolio = access_portfolio(user, portfolio_id)
    _require(portfolio.assessor_id == user.pk, "Only the learner's assessor can do this.")
    return portfolio


def access_item(user: User, item_id: int) -> EvidenceItem:
    return get_object_or_404(
        EvidenceItem.objects.select_related(
            "portfolio__learner",
            "portfolio__assessor",
            "portfolio__qualification",
            "portfolio__centre",
        ).filter(portfolio__in=portfolios_visible_to(user)),
        pk=item_id,
    )


def access_item_to_change(user: User, item_id: int) -> EvidenceItem:
    """An item the user wrote (locked or not: services decide that)."""
    item = access_item(user, item_id)
    _require(item.created_by_id == user.pk, "Only the item's author changes it.")
    return item


def access_item_as_assessor(user: User, item_id: int) -> EvidenceItem:
    item = access_item(user, item_id)
    _require(item.portfolio.assessor_id == user.pk, "Only the learner's assessor reviews it.")
    return item


def access_item_as_learner(user: User, item_id: int) -> EvidenceItem:
    item = access_item(user, item_id)
    _require(item.portfolio.learner_id == user.pk, "Only the learner can do this.")
    return item


def access_file(user: User, file_id: int) -> EvidenceFile:
    # Removed files too: an earlier submission's history still links to them.
    return get_object_or_404(
        EvidenceFile.all_objects.select_related("item__portfolio").filter(
            item__portfolio__in=portfolios_visible_to(user)
        ),
        pk=file_id,
    )


def access_sign_off(user: User, sign_off_id: int) -> SignOff:
    return get_object_or_404(
        SignOff.objects.select_related("portfolio", "unit", "criterion__outcome__unit").filter(
            portfolio__in=portfolios_visible_to(user)
        ),
        pk=sign_off_id,
    )


def access_review_as_iqa(user: User, review_id: int) -> Review:
    review = get_object_or_404(
        Review.objects.select_related("item__portfolio", "assessor").filter(
            item__portfolio__in=portfolios_visible_to(user)
        ),
        pk=review_id,
    )
    _require(review.item.portfolio.iqa_id == user.pk, "Only the portfolio's IQA samples it.")
    return review


def access_sign_off_as_iqa(user: User, sign_off_id: int) -> SignOff:
    sign_off = access_sign_off(user, sign_off_id)
    _require(sign_off.portfolio.iqa_id == user.pk, "Only the portfolio's IQA samples it.")
    return sign_off


def access_sample(user: User, sample_id: int) -> IqaSample:
    """An IQA sample, for its IQA, the assessor it concerns, the centre's admins, and an EQA
    with a current grant for the portfolio (IQA records are what an EQA comes to check).
    Not for the learner: the sample judges the assessor."""
    administered = centres_where(user=user, role=Role.CENTRE_ADMIN).values("pk")
    granted = EqaGrant.objects.current(timezone.localdate()).filter(
        eqa=user, portfolio=OuterRef("portfolio")
    )
    return get_object_or_404(
        IqaSample.objects.select_related(
            "iqa", "assessor", "portfolio__learner", "unit", "review__item", "sign_off"
        ).filter(
            (Q(iqa=user) & role_in_force_at(user, Role.IQA, "portfolio__centre"))
            | (Q(assessor=user) & role_in_force_at(user, Role.ASSESSOR, "portfolio__centre"))
            | Q(portfolio__centre__in=administered)
            | (Exists(granted) & role_in_force_at(user, Role.EQA, "portfolio__centre"))
        ),
        pk=sample_id,
    )


def access_centre_as_admin(user: User, centre_code: str) -> Centre:
    centre = centres_where(user=user, role=Role.CENTRE_ADMIN).filter(code=centre_code).first()
    if centre is None:
        raise Http404("No such centre among those you administer.")
    return centre


def access_portfolio_as_admin(user: User, portfolio_id: int) -> Portfolio:
    administered = centres_where(user=user, role=Role.CENTRE_ADMIN).values("pk")
    return get_object_or_404(
        Portfolio.objects.select_related("centre", "learner", "qualification").filter(
            centre__in=administered
        ),
        pk=portfolio_id,
    )


def access_grant_as_admin(user: User, grant_id: int) -> EqaGrant:
    administered = centres_where(user=user, role=Role.CENTRE_ADMIN).values("pk")
    return get_object_or_404(
        EqaGrant.objects.select_related("portfolio__centre", "eqa").filter(
            portfolio__centre__in=administered
        ),
        pk=grant_id,
    )


def can_add_evidence(user: User, portfolio: Portfolio) -> bool:
    return portfolio.learner_id == user.pk and portfolio.status in OPEN_STATUSES


def can_write_records(user: User, portfolio: Portfolio) -> bool:
    """An assessor writes observation and professional discussion records for their learners."""
    return portfolio.assessor_id == user.pk and portfolio.status in OPEN_STATUSES


def can_change_item(user: User, item: EvidenceItem) -> bool:
    return item.created_by_id == user.pk and item.is_editable


def can_request_witness(user: User, item: EvidenceItem) -> bool:
    """The learner or their assessor asks a testimony's witness to confirm it. Others who read
    the item (IQA, EQA, centre admin) are refused with a 403; whether this item can be sent
    (a testimony, with an email, not yet signed) is the service's to say."""
    return user.pk in (item.portfolio.learner_id, item.portfolio.assessor_id)


def can_review(user: User, item: EvidenceItem) -> bool:
    return item.portfolio.assessor_id == user.pk and item.status == "submitted"
