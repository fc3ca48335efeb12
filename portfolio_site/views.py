"""Project-level pages: the home page that sends each role to its dashboard, and a health check."""

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from portfolio_site.accounts.selectors import dashboards_for


def home(request: HttpRequest) -> HttpResponse:
    dashboards = dashboards_for(request.user)
    if dashboards:
        return redirect(dashboards[0].url)
    # Signed in, but no role at any centre yet (or a site administrator).
    return render(request, "no_role.html")


@login_not_required
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and uptime checks: the process is up and the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
