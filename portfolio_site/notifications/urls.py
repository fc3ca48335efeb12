from django.urls import path

from portfolio_site.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notification_list, name="list"),
    path("<int:notification_id>/", views.notification_open, name="open"),
    path("read/", views.notification_mark_all_read, name="mark-all-read"),
]
