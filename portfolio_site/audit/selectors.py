from django.db.models import QuerySet

from portfolio_site.accounts.models import Role, User
from portfolio_site.accounts.selectors import centres_where
from portfolio_site.audit.models import AuditEvent


def audit_events_for_admin(
    *,
    admin: User,
    action: str = "",
    actor: str = "",
    portfolio_id: int | None = None,
    since=None,
    until=None,
) -> QuerySet[AuditEvent]:
    """Events at the centres the user administers, newest first, filtered."""
    events = AuditEvent.objects.filter(
        centre__in=centres_where(user=admin, role=Role.CENTRE_ADMIN)
    ).select_related("centre")
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_label__icontains=actor)
    if portfolio_id:
        events = events.filter(portfolio_id=portfolio_id)
    if since:
        events = events.filter(created_at__date__gte=since)
    if until:
        events = events.filter(created_at__date__lte=until)
    return events.order_by("-sequence")


def audit_actions_for_admin(*, admin: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(centre__in=centres_where(user=admin, role=Role.CENTRE_ADMIN))
        .order_by("action")
        .values_list("action", flat=True)
        .distinct()
    )
