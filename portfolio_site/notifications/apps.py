from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "portfolio_site.notifications"
    label = "notifications"
    verbose_name = "Notifications"
