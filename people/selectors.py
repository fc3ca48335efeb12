"""Reads for the People pages: everyone with a role at a centre, and one person's page."""

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from evidence.models import OPEN_STATUSES, Portfolio
from portfolio_site.accounts.models import (
    ACTIVE_MEMBERSHIP,
    Centre,
    Invitation,
    Membership,
    MembershipStatus,
    Role,
    User,
)
from portfolio_site.audit.models import AuditEvent

# A role's status, as a filter on Membership rows (the same rules as Membership.status).
_UNUSABLE_PASSWORD = Q(user__password__startswith=UNUSABLE_PASSWORD_PREFIX)
MEMBERSHIP_STATUS_FILTERS: dict[str, Q] = {
    MembershipStatus.LEFT: Q(ended_on__isnull=False),
    MembershipStatus.SUSPENDED: Q(ended_on__isnull=True)
    & (Q(is_active=False) | Q(user__is_active=False)),
    MembershipStatus.INVITED: ACTIVE_MEMBERSHIP & _UNUSABLE_PASSWORD,
    MembershipStatus.ACTIVE: ACTIVE_MEMBERSHIP & ~_UNUSABLE_PASSWORD,
}


def _open_caseload(field_name: str, centre: Centre) -> Subquery:
    return Coalesce(
        Subquery(
            Portfolio.objects.filter(
                centre=centre, status__in=OPEN_STATUSES, **{field_name: OuterRef("pk")}
            )
            .order_by()
            .values(field_name)
            .annotate(count=Count("pk"))
            .values("count"),
            output_field=IntegerField(),
        ),
        0,
    )


def people_at(
    *, centre: Centre, search: str = "", role: str = "", status: str = ""
) -> QuerySet[User]:
    """Everyone who holds or held a role at ``centre``, by name, with ``centre_roles`` (their
    memberships there) prefetched and their open caseloads as assessor and IQA counted."""
    memberships = Membership.objects.filter(centre=centre)
    if role in Role.values:
        memberships = memberships.filter(role=role)
    if status in MEMBERSHIP_STATUS_FILTERS:
        memberships = memberships.filter(MEMBERSHIP_STATUS_FILTERS[status])
    people = User.objects.filter(pk__in=memberships.values("user"))
    for word in search.split()[:5]:
        people = people.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(username__icontains=word)
        )
    return (
        people.annotate(
            assessor_caseload=_open_caseload("assessor", centre),
            iqa_caseload=_open_caseload("iqa", centre),
        )
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(centre=centre)
                .select_related("user")
                .order_by("role"),
                to_attr="centre_roles",
            )
        )
        .order_by("last_name", "first_name", "email", "pk")
    )


def person_roles(*, centre: Centre, person: User) -> list[Membership]:
    return list(
        Membership.objects.filter(centre=centre, user=person)
        .select_related("user")
        .order_by("role")
    )


def person_portfolios(*, centre: Centre, person: User) -> dict[str, list[Portfolio]]:
    """Their portfolios at the centre as learner, and their caseloads as assessor and IQA."""
    base = Portfolio.objects.filter(centre=centre).select_related(
        "learner", "assessor", "iqa", "qualification"
    )
    return {
        "as_learner": list(base.filter(learner=person).order_by("-start_date")),
        "as_assessor": list(
            base.filter(assessor=person).order_by(
                "status", "learner__last_name", "learner__first_name"
            )
        ),
        "as_iqa": list(
            base.filter(iqa=person).order_by("status", "learner__last_name", "learner__first_name")
        ),
    }


def person_events(*, centre: Centre, person: User, limit: int = 50) -> list[AuditEvent]:
    """The centre's audit events about this person: those naming them, and those they did."""
    return list(
        AuditEvent.objects.filter(centre=centre)
        .filter(Q(object_type=User._meta.label_lower, object_id=str(person.pk)) | Q(actor=person))
        .select_related("actor")
        .order_by("-sequence")[:limit]
    )


def person_invitations(*, centre: Centre, person: User) -> list[Invitation]:
    return list(Invitation.objects.filter(centre=centre, user=person).select_related("invited_by"))


def caseload_holders(*, centre: Centre, role: Role) -> QuerySet[User]:
    """Everyone who holds (or held) ``role`` at the centre and still has learners assigned."""
    field_name = "assessor" if role == Role.ASSESSOR else "iqa"
    return (
        User.objects.filter(
            pk__in=Portfolio.objects.filter(centre=centre, status__in=OPEN_STATUSES).values(
                field_name
            )
        )
        .annotate(caseload=_open_caseload(field_name, centre))
        .order_by("last_name", "first_name", "email")
    )


def caseload_of(*, centre: Centre, role: Role, holder: User) -> QuerySet[Portfolio]:
    field_name = "assessor" if role == Role.ASSESSOR else "iqa"
    return (
        Portfolio.objects.filter(centre=centre, status__in=OPEN_STATUSES, **{field_name: holder})
        .select_related("learner", "qualification")
        .order_by("learner__last_name", "learner__first_name")
    )
