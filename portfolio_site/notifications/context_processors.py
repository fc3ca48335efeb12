from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portfolio_site.notifications.models import Notification


def unread_notifications(request: HttpRequest) -> dict:
    """The unread count for the navigation badge; lazy, so pages without the badge pay nothing."""

    def count() -> int:
        if not request.user.is_authenticated:
            return 0
        return Notification.objects.filter(recipient=request.user, read_at__isnull=True).count()

    return {"unread_notifications": SimpleLazyObject(count)}
