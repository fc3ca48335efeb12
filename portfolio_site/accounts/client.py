"""Who is on the other end of a request: one answer for the whole project (witness signatures
record it; log-in throttling counts failures by it)."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind our own proxy (USE_X_FORWARDED_FOR), the last address in
    X-Forwarded-For is the one the proxy saw; earlier ones are whatever the client claimed, so
    they are never trusted (a client could otherwise name a new address on every attempt)."""
    if settings.USE_X_FORWARDED_FOR:
        forwarded = request.headers.get("X-Forwarded-For", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - a value, not a bind
