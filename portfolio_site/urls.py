from django.contrib import admin
from django.urls import include, path

from portfolio_site import views

admin.site.site_header = "NVQ Portfolio administration"
admin.site.site_title = "NVQ Portfolio admin"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("portfolio_site.accounts.urls")),
    path("catalogue/", include("criteria.urls")),
    path("notifications/", include("portfolio_site.notifications.urls")),
    path("audit/", include("portfolio_site.audit.urls")),
    path("exports/", include("portfolio_site.exports.urls")),
    path("people/", include("people.urls")),
    path("", include("evidence.urls")),
    path("", include("processes.urls")),
    path("admin/", admin.site.urls),
]
# Deliberately no media route: evidence files are served only by views that check access.
