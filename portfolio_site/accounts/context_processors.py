from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portfolio_site.accounts.selectors import dashboards_for


def roles(request: HttpRequest) -> dict:
    """The signed-in user's dashboards, for the navigation. Lazy: pages that do not show the
    navigation (error pages, emails) cost no query."""
    return {"user_dashboards": SimpleLazyObject(lambda: dashboards_for(request.user))}
