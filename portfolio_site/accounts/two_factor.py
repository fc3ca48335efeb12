"""Two-factor sign-in: who must use it, setting it up, checking a code, and the middleware
that holds a signed-in person at the setup or code page until they have.

A person uses an authenticator app (a django-otp TOTP device) and holds ten single-use
recovery codes (the tokens of a django-otp static device) for when the phone is lost. Staff
(assessors, IQAs, centre admins, EQAs) with a role in force at a centre that requires it must
set it up; anyone may choose to. Whoever has it set up enters a code after their password.
"""

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portfolio_site.accounts.models import Centre, Membership, Role, User

# The roles a centre's requirement covers. Learners are not asked: many sign in on a shared
# computer at work with no phone to hand.
STAFF_ROLES = (Role.ASSESSOR, Role.IQA, Role.CENTRE_ADMIN, Role.EQA)
RECOVERY_CODE_COUNT = 10
APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"

# The session remembers the last answer (required? set up?) so that pages cost no extra query;
# it is asked again after SESSION_RENEW_AFTER seconds, and at once when the person changes it.
_STATE_KEY = "_nvq_two_factor"


# --- Reads ------------------------------------------------------------------------------------


def two_factor_required(user: User) -> bool:
    """Whether a centre where ``user`` holds a staff role in force requires two-factor sign-in."""
    return (
        Membership.objects.active()
        .filter(user=user.pk, role__in=STAFF_ROLES, centre__require_two_factor=True)
        .exists()
    )


def app_device_of(user: User) -> TOTPDevice | None:
    """The confirmed authenticator app of ``user``, if set up."""
    return TOTPDevice.objects.filter(user=user.pk, confirmed=True).first()


def users_with_two_factor(users) -> set[int]:
    """The ids of those of ``users`` (users or ids) who have an authenticator app set up."""
    ids = [getattr(user, "pk", user) for user in users]
    return set(
        TOTPDevice.objects.filter(user__in=ids, confirmed=True).values_list("user", flat=True)
    )


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user.pk, device__confirmed=True).count()


@dataclass(frozen=True)
class TwoFactorState:
    required: bool
    set_up: bool


def two_factor_state(user: User) -> TwoFactorState:
    return TwoFactorState(
        required=two_factor_required(user), set_up=app_device_of(user) is not None
    )


# --- Writes -----------------------------------------------------------------------------------


def app_device_pending(*, user: User) -> TOTPDevice:
    """The authenticator app being set up: one unconfirmed device with a fresh secret, kept
    across page loads so the QR code does not change under the person scanning it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def _recovery_codes_replace(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def app_device_confirm(*, user: User, device: TOTPDevice, code: str) -> list[str]:
    """Confirm ``device`` with a code from the app; replaces any earlier app and recovery
    codes. Returns the new recovery codes, which are shown once and stored nowhere else in
    the clear. Raises ValidationError for a wrong code."""
    if device.user_id != user.pk or device.confirmed:
        raise ValidationError("This setup has already been finished. Start again.")
    if not device.verify_token(code.strip().replace(" ", "")):
        raise ValidationError(
            "That code is not right. Check the app shows NVQ Portfolio and enter the newest code."
        )
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return _recovery_codes_replace(user)


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """New recovery codes for someone with an app set up; the old ones stop working."""
    if app_device_of(user) is None:
        raise ValidationError("Set up two-factor sign-in first.")
    return _recovery_codes_replace(user)


@transaction.atomic
def two_factor_turn_off(*, user: User) -> None:
    """Remove the app and the recovery codes; refused while a centre requires two-factor."""
    if two_factor_required(user):
        raise ValidationError(
            "A centre you work with requires two-factor sign-in, so it cannot be turned off."
        )
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()


def centre_two_factor_set(*, centre: Centre, required: bool) -> None:
    """Caller has checked that the person asking is an admin of ``centre``."""
    Centre.objects.filter(pk=centre.pk).update(require_two_factor=required)
    centre.require_two_factor = required


def two_factor_verify(request: HttpRequest, code: str) -> bool:
    """Check a code from the app, or a recovery code (used up by this), for the signed-in user;
    on a match, mark the session as verified. django-otp slows repeated wrong guesses down
    (each failure doubles the wait before the device accepts another try)."""
    user = request.user
    code = code.strip().replace(" ", "").replace("-", "")
    if not code:
        return False
    app = app_device_of(user)
    devices = [app] if app is not None else []
    devices += list(StaticDevice.objects.filter(user=user.pk, confirmed=True))
    for device in devices:
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(code):
            otp_login(request, device)
            return True
    return False


# --- The session's record -----------------------------------------------------------------------


def remember_state(request: HttpRequest, state: TwoFactorState | None = None) -> TwoFactorState:
    state = state or two_factor_state(request.user)
    request.session[_STATE_KEY] = {
        "required": state.required,
        "set_up": state.set_up,
        "checked": int(time.time()),
    }
    return state


def session_state(request: HttpRequest) -> TwoFactorState:
    saved = request.session.get(_STATE_KEY)
    if saved is None or int(time.time()) - saved.get("checked", 0) >= settings.SESSION_RENEW_AFTER:
        return remember_state(request)
    return TwoFactorState(required=saved["required"], set_up=saved["set_up"])


def remember_state_on_login(sender, request, user, **kwargs) -> None:
    """A user_logged_in receiver: the answer is worked out once at sign-in."""
    if request is not None and hasattr(request, "session"):
        state = two_factor_state(user)
        request.session[_STATE_KEY] = {
            "required": state.required,
            "set_up": state.set_up,
            "checked": int(time.time()),
        }


# --- Middleware ---------------------------------------------------------------------------------

# Pages open to a signed-in person who has not passed two-factor yet.
_OPEN_URL_NAMES = ("two_factor_setup", "two_factor_verify", "logout")


class TwoFactorMiddleware:
    """Holds a signed-in person at the setup page (required but not set up) or the code page
    (set up but not entered this session) until they are through. Needs OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_paths: tuple[str, ...] | None = None

    def _is_open(self, path: str) -> bool:
        if self._open_paths is None:
            self._open_paths = tuple(reverse(name) for name in _OPEN_URL_NAMES)
        return path in self._open_paths or path.startswith(settings.STATIC_URL)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not self._is_open(request.path_info):
            state = session_state(request)
            if state.set_up and not user.is_verified():
                return self._send_to("two_factor_verify", request)
            if state.required and not state.set_up:
                return self._send_to("two_factor_setup", request)
        return self.get_response(request)

    @staticmethod
    def _send_to(name: str, request: HttpRequest) -> HttpResponse:
        back = request.get_full_path() if request.method == "GET" else ""
        url = reverse(name) + (f"?{urlencode({'next': back})}" if back else "")
        if request.headers.get("HX-Request") == "true":
            # An htmx request would swap the page into a fragment: have htmx load it whole.
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
            return response
        return HttpResponseRedirect(url)
