"""Who holds which role. Every role check in the project goes through here."""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse

from portfolio_site.accounts.models import Centre, Membership, Role

_ROLES_CACHE_ATTRIBUTE = "_nvq_active_roles"


def roles_of(user) -> frozenset[str]:
    """The roles a user actively holds at any centre (cached on the user object per request)."""
    if not user.is_authenticated:
        return frozenset()
    roles = getattr(user, _ROLES_CACHE_ATTRIBUTE, None)
    if roles is None:
        roles = frozenset(
            Membership.objects.active().filter(user=user).values_list("role", flat=True)
        )
        setattr(user, _ROLES_CACHE_ATTRIBUTE, roles)
    return roles


def role_in_force_at(user, role: Role | str, centre_path: str = "centre") -> Exists:
    """A subquery for use in a filter: ``user`` actively holds ``role`` at the centre found at
    ``centre_path`` of the outer query's rows. A suspended or ended role makes it false, so
    every "who sees this" rule built from it refuses such a person, as it would a stranger."""
    return Exists(
        Membership.objects.active().filter(
            user=user.pk, role=str(role), centre=OuterRef(centre_path)
        )
    )


def has_role(user, role: Role | str) -> bool:
    return str(role) in roles_of(user)


def holds_role_at(user, role: Role | str, centre) -> bool:
    """Whether ``user`` actively holds ``role`` at ``centre`` (not just somewhere)."""
    return Membership.objects.active().filter(user=user, role=role, centre=centre).exists()


def role_required(role: Role) -> Callable:
    """View decorator: 403 for a signed-in user who does not hold ``role`` at any centre.

    Anonymous users never get this far: LoginRequiredMiddleware sends them to the login page.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not has_role(request.user, role):
                raise PermissionDenied(f"This page is for the {Role(role).label.lower()} role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def access_centre_as_admin(user, centre_code: str) -> Centre:
    """The centre with ``centre_code`` if ``user`` is an admin of it in force; else 404, so a
    guessed code says nothing about which centres exist."""
    centre = Centre.objects.filter(
        code=centre_code,
        pk__in=Membership.objects.active()
        .filter(user=user.pk, role=Role.CENTRE_ADMIN)
        .values("centre"),
    ).first()
    if centre is None:
        raise Http404("No such centre among those you administer.")
    return centre
