"""Headers and session lifetime for signed-in people."""

import time

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

# When the session's expiry was last pushed forward (seconds since the epoch).
SESSION_RENEWED_KEY = "_nvq_session_renewed"


class PrivatePagesMiddleware:
    """A signed-in person's pages are theirs: no browser cache keeps them (the back button on a
    shared college computer after logging out), no proxy stores them.

    A response that already says how to cache it is left alone. Evidence files and exported
    PDFs say ``private, no-cache`` (evidence/serving.py): never in a shared cache, and the
    browser checks back before each use, which is what lets a phone seek in a video through
    byte ranges without fetching it whole again; ``no-store`` there would only cost bandwidth,
    since whoever could read the browser's cache could equally read the downloaded file.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # request.user reflects the end of the request: a log-out's answer is not private,
        # a log-in's is. The user object is loaded already (LoginRequiredMiddleware).
        if request.user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class SlidingSessionMiddleware:
    """The session lasts SESSION_COOKIE_AGE seconds from the last request, not from sign-in.

    Renewing it means writing the session row and a new cookie, so it is done at most once
    every SESSION_RENEW_AFTER seconds rather than on every request (which is what
    SESSION_SAVE_EVERY_REQUEST would do): the session may end up to that much earlier than a
    full SESSION_COOKIE_AGE after the last request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            renewed = request.session.get(SESSION_RENEWED_KEY, 0)
            now = int(time.time())
            if now - renewed >= settings.SESSION_RENEW_AFTER:
                # Changing the session makes SessionMiddleware save it with a fresh expiry.
                request.session[SESSION_RENEWED_KEY] = now
        return self.get_response(request)


def mark_session_renewed(sender, request, user, **kwargs) -> None:
    """On sign-in (a user_logged_in receiver): the session was just saved with a full age."""
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_RENEWED_KEY] = int(time.time())
