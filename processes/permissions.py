"""Who may see and change process maps. Every processes view asks here.

A map is part of a learner's portfolio: whoever sees the portfolio (its learner, assessor,
IQA, the centre's admins, an EQA with a grant) sees its maps, read-only. Only the learner
draws, changes, submits and adds maps to their portfolio. As in evidence.permissions, an id
outside the user's reach gives 404 and a visible object the user may not change gives 403.
"""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from evidence.models import OPEN_STATUSES, Portfolio
from evidence.permissions import access_portfolio, portfolios_visible_to
from portfolio_site.accounts.models import User
from processes.models import ProcessMap, ProcessVersion


def _require_learner(user: User, portfolio: Portfolio) -> None:
    if portfolio.learner_id != user.pk:
        raise PermissionDenied("Only the learner draws and changes their process maps.")


def access_portfolio_to_map(user: User, portfolio_id: int) -> Portfolio:
    portfolio = access_portfolio(user, portfolio_id)
    _require_learner(user, portfolio)
    return portfolio


def access_map(user: User, map_id: int) -> ProcessMap:
    return get_object_or_404(
        ProcessMap.objects.select_related(
            "portfolio__learner", "portfolio__centre", "portfolio__qualification"
        ).filter(portfolio__in=portfolios_visible_to(user)),
        pk=map_id,
    )


def access_map_to_change(user: User, map_id: int) -> ProcessMap:
    process_map = access_map(user, map_id)
    _require_learner(user, process_map.portfolio)
    return process_map


def access_version(user: User, version_id: int) -> ProcessVersion:
    return get_object_or_404(
        ProcessVersion.objects.select_related(
            "process_map__portfolio__learner",
            "process_map__portfolio__centre",
            "process_map__portfolio__qualification",
            "parent",
        ).filter(process_map__portfolio__in=portfolios_visible_to(user)),
        pk=version_id,
    )


def access_version_to_change(user: User, version_id: int) -> ProcessVersion:
    version = access_version(user, version_id)
    _require_learner(user, version.process_map.portfolio)
    return version


def can_change_maps(user: User, portfolio: Portfolio) -> bool:
    return portfolio.learner_id == user.pk and portfolio.status in OPEN_STATUSES


def access_version_to_request_approval(user: User, version_id: int) -> ProcessVersion:
    """The learner, or their assessor, emails a stakeholder a link to decide."""
    version = access_version(user, version_id)
    portfolio = version.process_map.portfolio
    if user.pk not in (portfolio.learner_id, portfolio.assessor_id):
        raise PermissionDenied("Only the learner or their assessor asks a stakeholder to decide.")
    return version


def access_version_to_record_approval(user: User, version_id: int) -> ProcessVersion:
    """Only the assessor records a decision a stakeholder made in person; never the learner."""
    version = access_version(user, version_id)
    if user.pk != version.process_map.portfolio.assessor_id:
        raise PermissionDenied(
            "Only the learner's assessor records a decision made in person; the stakeholder "
            "decides through the link they are sent."
        )
    return version


def can_request_approval(user: User, portfolio: Portfolio) -> bool:
    return (
        user.pk in (portfolio.learner_id, portfolio.assessor_id)
        and portfolio.status in OPEN_STATUSES
    )


def can_record_approval(user: User, portfolio: Portfolio) -> bool:
    return user.pk == portfolio.assessor_id and portfolio.status in OPEN_STATUSES
