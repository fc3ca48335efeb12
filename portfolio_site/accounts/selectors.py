"""Reads about users, centres and memberships."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.urls import reverse

from portfolio_site.accounts.models import Centre, Membership, Role, User
from portfolio_site.accounts.permissions import roles_of


@dataclass(frozen=True)
class Dashboard:
    role: str
    label: str
    url: str


def dashboards_for(user: User) -> list[Dashboard]:
    """The dashboards a user may open, their home first (settings.ROLE_DASHBOARDS order)."""
    held = roles_of(user)
    return [
        Dashboard(role=role, label=Role(role).label, url=reverse(url_name))
        for role, url_name in settings.ROLE_DASHBOARDS.items()
        if role in held
    ]


def centres_where(*, user: User, role: Role) -> QuerySet[Centre]:
    """Centres where ``user`` holds ``role`` in force (not suspended, not ended)."""
    return Centre.objects.filter(
        pk__in=Membership.objects.active().filter(user=user.pk, role=role).values("centre")
    )


def users_with_role(*, role: Role, centres) -> QuerySet[User]:
    """Users holding ``role`` in force at any of ``centres`` (a centre or a queryset), by name."""
    if isinstance(centres, Centre):
        centres = [centres]
    return User.objects.filter(
        pk__in=Membership.objects.active().filter(centre__in=centres, role=role).values("user")
    ).order_by("last_name", "first_name", "username")
