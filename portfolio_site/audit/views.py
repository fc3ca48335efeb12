import datetime

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from portfolio_site.accounts.models import Role
from portfolio_site.accounts.permissions import role_required
from portfolio_site.audit import selectors


def _date(value: str) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        return None


@role_required(Role.CENTRE_ADMIN)
def audit_trail(request: HttpRequest) -> HttpResponse:
    """The centre's audit trail, newest first, filtered by action, who, portfolio and date."""
    filters = {
        "action": request.GET.get("action", ""),
        "actor": request.GET.get("actor", "").strip(),
        "portfolio": request.GET.get("portfolio", "").strip(),
        "since": request.GET.get("since", ""),
        "until": request.GET.get("until", ""),
    }
    events = selectors.audit_events_for_admin(
        admin=request.user,
        action=filters["action"],
        actor=filters["actor"],
        # isascii(): "²".isdigit() is true, but int("²") fails.
        portfolio_id=(
            int(filters["portfolio"])
            if filters["portfolio"].isascii() and filters["portfolio"].isdigit()
            else None
        ),
        since=_date(filters["since"]),
        until=_date(filters["until"]),
    )
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "audit/audit_trail.html",
        {
            "page": page,
            "filters": filters,
            "filtered": any(filters.values()),
            "actions": selectors.audit_actions_for_admin(admin=request.user),
        },
    )
