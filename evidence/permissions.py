"""Who may see and change portfolios and evidence. Every view asks here.

Objects outside a user's reach give 404, never 403: a forged or guessed id must not reveal
that the object exists. 403 is kept for objects a user may see but not change in that way
(an assessor opening a learner's edit form, say).
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

from evidence.models import EvidenceFile, EvidenceItem, Portfolio
from portfolio_site.accounts.models import Centre, Role, User
from portfolio_site.accounts.selectors import centres_where


def portfolios_visible_to(user: User) -> QuerySet[Portfolio]:
    """The learner's own; those they assess or quality-assure; all at centres they administer."""
    if not user.is_authenticated:
        return Portfolio.objects.none()
    administered = centres_where(user=user, role=Role.CENTRE_ADMIN).values("pk")
    return Portfolio.objects.filter(
        Q(learner=user) | Q(assessor=user) | Q(iqa=user) | Q(centre__in=administered)
    )


def access_portfolio(user: User, portfolio_id: int) -> Portfolio:
    return get_object_or_404(
        portfolios_visible_to(user).select_related(
            "learner", "centre", "assessor", "iqa", "qualification"
        ),
        pk=portfolio_id,
    )


def access_own_portfolio(user: User, portfolio_id: int) -> Portfolio:
    """A portfolio the user is the learner of: only they add evidence to it."""
    portfolio = access_portfolio(user, portfolio_id)
    if portfolio.learner_id != user.pk:
        raise PermissionDenied("Only the learner adds evidence to their portfolio.")
    return portfolio


def access_item(user: User, item_id: int) -> EvidenceItem:
    return get_object_or_404(
        EvidenceItem.objects.select_related(
            "portfolio__learner", "portfolio__qualification", "portfolio__centre"
        ).filter(portfolio__in=portfolios_visible_to(user)),
        pk=item_id,
    )


def access_own_item(user: User, item_id: int) -> EvidenceItem:
    """An item in the user's own portfolio (locked or not: services decide that)."""
    item = access_item(user, item_id)
    if item.portfolio.learner_id != user.pk:
        raise PermissionDenied("Only the learner changes their own evidence.")
    return item


def access_file(user: User, file_id: int) -> EvidenceFile:
    return get_object_or_404(
        EvidenceFile.objects.select_related("item__portfolio").filter(
            item__portfolio__in=portfolios_visible_to(user)
        ),
        pk=file_id,
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


def can_add_evidence(user: User, portfolio: Portfolio) -> bool:
    return portfolio.learner_id == user.pk


def can_change_item(user: User, item: EvidenceItem) -> bool:
    return item.portfolio.learner_id == user.pk and item.is_draft
