"""Telling people what needs them: an in-app notification, and an email sent by the worker."""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portfolio_site.accounts.models import User
from portfolio_site.accounts.tasks import send_email
from portfolio_site.notifications.models import Notification


def notify(*, recipients: Iterable[User | None], kind: str, message: str, url: str = "") -> None:
    """Notify each recipient (None and duplicates are skipped). Emails leave only once the
    surrounding transaction commits, so nobody hears of something that was rolled back."""
    unique = {user.pk: user for user in recipients if user is not None}
    Notification.objects.bulk_create(
        Notification(recipient=user, kind=kind, message=message[:300], url=url)
        for user in unique.values()
    )
    link = f"{settings.SITE_URL.rstrip('/')}{url}" if url else settings.SITE_URL
    # A header may not contain line breaks (a learner's comment can): one line, shortened.
    subject = f"NVQ Portfolio: {' '.join(message.split())[:120]}"
    for user in unique.values():
        if user.email:
            body = f"Hello {user.get_full_name() or user.username},\n\n{message}\n\n{link}\n"
            transaction.on_commit(
                lambda to=user.email, body=body: send_email.delay(
                    subject=subject, body=body, to=[to]
                )
            )


def notifications_mark_read(*, user: User, notification_ids: Iterable[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=list(notification_ids))
    return unread.update(read_at=timezone.now())
