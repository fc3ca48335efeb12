"""Django's account views, where ours need to do a little more."""

from base64 import b32encode

import qrcode
from axes.utils import reset as axes_reset
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from qrcode.image.svg import SvgPathImage

from portfolio_site.accounts import two_factor
from portfolio_site.accounts.forms import CentreTwoFactorForm, TwoFactorCodeForm
from portfolio_site.accounts.permissions import access_centre_as_admin


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Setting a new password through the emailed link also lifts a log-in lockout: whoever can
    read that mailbox owns the account, and should not wait out a lockout someone else caused."""

    def form_valid(self, form):
        response = super().form_valid(form)
        axes_reset(username=form.user.get_username())
        return response


# --- Two-factor sign-in (portfolio_site/accounts/two_factor.py has the rules) ------------------


def _next_or(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site: redirect() would take anything else ("123") for a view name to
    # reverse, and fail with a 500.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


def _qr_code_svg(text: str) -> str:
    """``text`` as an SVG QR code, for putting straight into the page (no image, no script)."""
    image = qrcode.make(text, image_factory=SvgPathImage, box_size=10, border=2)
    return image.to_string(encoding="unicode")


def _show_recovery_codes(request: HttpRequest, codes: list[str], *, first_time: bool):
    return render(
        request,
        "accounts/two_factor_recovery_codes.html",
        {"codes": codes, "first_time": first_time, "next": _next_or(request, "two_factor")},
    )


def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Scan the QR code (or type the key), enter the app's code; the recovery codes follow."""
    replacing = two_factor.app_device_of(request.user) is not None
    if replacing and not request.user.is_verified():
        # Moving to another phone needs a code from the current one first: a password alone
        # must not be enough to take over someone's second factor.
        return redirect("two_factor_verify")
    device = two_factor.app_device_pending(user=request.user)
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = two_factor.app_device_confirm(
                user=request.user, device=device, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            form.add_error("code", error)
        else:
            device.refresh_from_db()
            # They have just entered a code from the app: this session is verified.
            otp_login(request, device)
            two_factor.remember_state(request)
            return _show_recovery_codes(request, codes, first_time=True)
    return render(
        request,
        "accounts/two_factor_setup.html",
        {
            "form": form,
            "qr_code": mark_safe(_qr_code_svg(device.config_url)),  # noqa: S308 - our own SVG
            "secret": b32encode(device.bin_key).decode(),
            "required": two_factor.two_factor_required(request.user),
            "replacing": replacing,
            "next": request.POST.get("next") or request.GET.get("next", ""),
        },
    )


def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """After the password: a code from the app, or one of the recovery codes."""
    if two_factor.app_device_of(request.user) is None or request.user.is_verified():
        return redirect(_next_or(request, "home"))
    form = TwoFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.two_factor_verify(request, form.cleaned_data["code"]):
            if request.user.otp_device.persistent_id.startswith("otp_static"):
                left = two_factor.recovery_codes_left(request.user)
                messages.warning(
                    request,
                    f"You used a recovery code; {left} left. Each works once: make new ones "
                    "from your two-factor page if you are running low.",
                )
            return redirect(_next_or(request, "home"))
        form.add_error(
            "code",
            "That code is not right, or has been used. Enter the newest code from your app, "
            "or a recovery code. After several wrong codes, wait a little before trying again.",
        )
    return render(
        request,
        "accounts/two_factor_verify.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
    )


def two_factor_status(request: HttpRequest) -> HttpResponse:
    """One's own two-factor sign-in: on or off, recovery codes left, what can be done."""
    set_up = two_factor.app_device_of(request.user) is not None
    return render(
        request,
        "accounts/two_factor.html",
        {
            "set_up": set_up,
            "required": two_factor.two_factor_required(request.user),
            "codes_left": two_factor.recovery_codes_left(request.user) if set_up else 0,
        },
    )


@require_POST
def two_factor_recovery_codes(request: HttpRequest) -> HttpResponse:
    try:
        codes = two_factor.recovery_codes_regenerate(user=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("two_factor")
    return _show_recovery_codes(request, codes, first_time=False)


@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    try:
        two_factor.two_factor_turn_off(user=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        two_factor.remember_state(request)
        messages.success(request, "Two-factor sign-in is off. You sign in with your password.")
    return redirect("two_factor")


@require_POST
def centre_two_factor(request: HttpRequest, centre_code: str) -> HttpResponse:
    """A centre admin turns the centre's two-factor requirement on or off."""
    centre = access_centre_as_admin(request.user, centre_code)
    form = CentreTwoFactorForm(request.POST)
    form.is_valid()  # a lone checkbox: absent means off
    required = form.cleaned_data.get("require_two_factor", False)
    two_factor.centre_two_factor_set(centre=centre, required=required)
    if required:
        messages.success(
            request,
            f"{centre.name} now requires two-factor sign-in: its assessors, IQAs, centre admins "
            "and EQAs set it up the next time they open a page.",
        )
    else:
        messages.success(request, f"{centre.name} no longer requires two-factor sign-in.")
    # The admin's own session learns at once (others within a few minutes).
    two_factor.remember_state(request)
    return redirect(_next_or(request, "home"))
