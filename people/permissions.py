"""Who may run a centre's people: its centre admins, while that role is in force. To anyone
else a centre, a person or a role outside their reach does not exist (404)."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from evidence.permissions import access_centre_as_admin
from people.models import PeopleImport
from portfolio_site.accounts.models import Centre, Invitation, Membership, Role, User
from portfolio_site.accounts.selectors import centres_where

__all__ = [
    "access_centre_as_admin",
    "access_import",
    "access_invitation",
    "access_membership",
    "access_person",
]


def _administered(user: User):
    return centres_where(user=user, role=Role.CENTRE_ADMIN)


def access_person(user: User, centre_code: str, person_id: int) -> tuple[Centre, User]:
    """A person with a role (in any state) at a centre ``user`` administers."""
    centre = access_centre_as_admin(user, centre_code)
    person = User.objects.filter(pk=person_id, memberships__centre=centre).distinct().first()
    if person is None:
        raise Http404("No such person at this centre.")
    return centre, person


def access_membership(user: User, membership_id: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "centre").filter(centre__in=_administered(user)),
        pk=membership_id,
    )


def access_invitation(user: User, invitation_id: int) -> Invitation:
    return get_object_or_404(
        Invitation.objects.select_related("user", "centre").filter(centre__in=_administered(user)),
        pk=invitation_id,
    )


def access_import(user: User, import_id: int) -> PeopleImport:
    return get_object_or_404(
        PeopleImport.objects.select_related("centre").filter(centre__in=_administered(user)),
        pk=import_id,
    )
