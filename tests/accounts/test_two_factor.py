"""Two-factor sign-in for staff: setting it up with a real authenticator code, the code asked
for after the password, recovery codes that work once, the centre admin's switch, and the EQA
access page saying who uses it."""

import re
from base64 import b32encode

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from portfolio_site.accounts.models import Role
from portfolio_site.accounts.two_factor import RECOVERY_CODE_COUNT
from tests.factories import TEST_PASSWORD, CentreFactory, member

pytestmark = pytest.mark.django_db

SETUP = reverse("two_factor_setup")
VERIFY = reverse("two_factor_verify")
ASSESSOR_DASHBOARD = reverse("evidence:assessor-dashboard")


def code_for(device: TOTPDevice, *, drift: int = 0) -> str:
    """The code an authenticator app shows now for ``device``'s key."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.drift = drift
    return f"{totp.token():0{device.digits}d}"


def set_up(client: Client) -> tuple[TOTPDevice, list[str]]:
    """Go through the setup page as a person would: read the key, type the app's code."""
    page = client.get(SETUP)
    assert page.status_code == 200
    secret = re.search(r'<code class="setup-key">([A-Z2-7]+)</code>', page.text)[1]
    device = TOTPDevice.objects.get(user=page.wsgi_request.user, confirmed=False)
    assert secret == b32encode(device.bin_key).decode()
    assert "<svg" in page.text  # the QR code, drawn in the page
    response = client.post(SETUP, {"code": code_for(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", response.text)
    device.refresh_from_db()
    return device, codes


def password_login(username: str) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def strict_centre(centre):
    centre.require_two_factor = True
    centre.save()
    return centre


def test_staff_at_a_centre_that_requires_it_set_it_up_before_any_page(login, people, strict_centre):
    client = login(people[Role.ASSESSOR])

    response = client.get(ASSESSOR_DASHBOARD)

    assert response.status_code == 302
    assert response.url == f"{SETUP}?next={ASSESSOR_DASHBOARD.replace('/', '%2F')}"
    # Static files and logging out stay open.
    assert client.post(reverse("logout")).status_code == 302


def test_setup_with_the_apps_code_turns_it_on_and_shows_ten_recovery_codes(
    login, people, strict_centre
):
    client = login(people[Role.ASSESSOR])

    device, codes = set_up(client)

    assert device.confirmed
    assert len(codes) == RECOVERY_CODE_COUNT == len(set(codes))
    assert StaticToken.objects.filter(device__user=people[Role.ASSESSOR]).count() == 10
    # The session that set it up is through.
    assert client.get(ASSESSOR_DASHBOARD).status_code == 200
    # The codes are shown once: the status page only counts them.
    status = client.get(reverse("two_factor")).text
    assert "10 recovery codes left" in status
    assert codes[0] not in status


def test_a_wrong_code_at_setup_is_refused_with_a_message(login, people, strict_centre):
    client = login(people[Role.ASSESSOR])
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=people[Role.ASSESSOR])

    wrong = f"{(int(code_for(device)) + 1) % 1000000:06d}"
    response = client.post(SETUP, {"code": wrong})

    assert response.status_code == 200
    assert "That code is not right" in response.text
    device.refresh_from_db()
    assert not device.confirmed
    assert client.get(ASSESSOR_DASHBOARD).url.startswith(SETUP)


def test_after_the_password_the_code_is_asked_for(login, people, strict_centre):
    assessor = people[Role.ASSESSOR]
    device, _ = set_up(login(assessor))

    client = password_login(assessor.username)
    response = client.get(ASSESSOR_DASHBOARD)
    assert response.status_code == 302 and response.url.startswith(VERIFY)

    wrong = client.post(VERIFY, {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert "That code is not right" in wrong.text
    assert client.get(ASSESSOR_DASHBOARD).status_code == 302

    # Wrong guesses slow the device down (django-otp's throttle); let it accept one again.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    response = client.post(
        f"{VERIFY}?next={ASSESSOR_DASHBOARD}", {"code": code_for(device, drift=1)}
    )
    assert response.status_code == 302 and response.url == ASSESSOR_DASHBOARD
    assert client.get(ASSESSOR_DASHBOARD).status_code == 200


def test_a_recovery_code_works_once(login, people, strict_centre):
    assessor = people[Role.ASSESSOR]
    _, codes = set_up(login(assessor))

    first = password_login(assessor.username)
    response = first.post(VERIFY, {"code": codes[0]}, follow=True)
    assert response.status_code == 200
    assert "You used a recovery code; 9 left" in response.text
    assert first.get(ASSESSOR_DASHBOARD).status_code == 200

    second = password_login(assessor.username)
    response = second.post(VERIFY, {"code": codes[0]})
    assert "That code is not right, or has been used" in response.text
    assert second.get(ASSESSOR_DASHBOARD).status_code == 302


def test_a_password_alone_cannot_move_two_factor_to_another_phone(login, people, strict_centre):
    assessor = people[Role.ASSESSOR]
    set_up(login(assessor))

    client = password_login(assessor.username)
    response = client.get(SETUP)

    assert response.status_code == 302 and response.url == VERIFY
    assert TOTPDevice.objects.filter(user=assessor).count() == 1


def test_htmx_requests_are_sent_to_the_code_page_whole(login, people, strict_centre):
    client = login(people[Role.ASSESSOR])

    response = client.get(ASSESSOR_DASHBOARD, headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(SETUP)


def test_nobody_is_asked_when_no_centre_requires_it(login, people):
    for role, url in [
        (Role.ASSESSOR, ASSESSOR_DASHBOARD),
        (Role.EQA, reverse("evidence:eqa-dashboard")),
        (Role.LEARNER, reverse("evidence:learner-dashboard")),
    ]:
        assert login(people[role]).get(url).status_code == 200, role


def test_learners_are_not_asked_even_where_it_is_required(login, people, strict_centre):
    assert login(people[Role.LEARNER]).get(reverse("evidence:learner-dashboard")).status_code == 200


def test_someone_who_chose_it_is_asked_for_the_code_and_may_turn_it_off(login, people):
    learner = people[Role.LEARNER]
    client = login(learner)
    set_up(client)

    response = client.post(reverse("two_factor_disable"), follow=True)
    assert "Two-factor sign-in is off" in response.text
    assert not TOTPDevice.objects.filter(user=learner).exists()


def test_it_cannot_be_turned_off_where_it_is_required(login, people, strict_centre):
    assessor = people[Role.ASSESSOR]
    client = login(assessor)
    set_up(client)

    response = client.post(reverse("two_factor_disable"), follow=True)

    assert "cannot be turned off" in response.text
    assert TOTPDevice.objects.filter(user=assessor, confirmed=True).exists()


def test_new_recovery_codes_replace_the_old(login, people):
    client = login(people[Role.IQA])
    _, old_codes = set_up(client)

    response = client.post(reverse("two_factor_recovery_codes"))
    new_codes = re.findall(r"<li>([a-z0-9]{8})</li>", response.text)

    assert len(new_codes) == 10
    assert not set(old_codes) & set(new_codes)
    tokens = set(StaticToken.objects.values_list("token", flat=True))
    assert tokens == set(new_codes)


# --- The centre admin's switch -----------------------------------------------------------------


def toggle_url(centre) -> str:
    return reverse("centre_two_factor", args=[centre.code])


def test_the_centre_admin_turns_the_requirement_on_and_off(login, people, centre):
    client = login(people[Role.CENTRE_ADMIN])
    back = reverse("evidence:eqa-access", args=[centre.code])

    response = client.post(toggle_url(centre), {"require_two_factor": "on", "next": back})

    assert response.url == back
    centre.refresh_from_db()
    assert centre.require_two_factor
    # The admin is staff at that centre too: their own next page is the setup.
    assert client.get(back).url.startswith(SETUP)
    # Everyone else on staff is asked as well.
    assert login(people[Role.EQA]).get(reverse("evidence:eqa-dashboard")).url.startswith(SETUP)

    client = login(people[Role.CENTRE_ADMIN])
    set_up(client)
    client.post(toggle_url(centre), {"next": back})
    centre.refresh_from_db()
    assert not centre.require_two_factor


@pytest.mark.parametrize("role", [Role.ASSESSOR, Role.IQA, Role.EQA, Role.LEARNER])
def test_only_the_centres_admins_may_switch_it(login, people, centre, role):
    response = login(people[role]).post(toggle_url(centre), {"require_two_factor": "on"})

    assert response.status_code == 404
    centre.refresh_from_db()
    assert not centre.require_two_factor


def test_an_admin_of_another_centre_gets_404(login, centre):
    elsewhere_admin = member(Role.CENTRE_ADMIN, CentreFactory(), username="elsewhere-admin")

    response = login(elsewhere_admin).post(toggle_url(centre), {"require_two_factor": "on"})

    assert response.status_code == 404
    centre.refresh_from_db()
    assert not centre.require_two_factor


def test_the_eqa_access_page_says_who_uses_two_factor(login, people, centre):
    careful = people[Role.EQA]
    casual = member(Role.EQA, centre, username="casual-eqa", first_name="Casual", last_name="EQA")
    set_up(login(careful))

    page = login(people[Role.CENTRE_ADMIN]).get(reverse("evidence:eqa-access", args=[centre.code]))

    assert page.status_code == 200
    listing = page.text[page.text.index("How the EQAs sign in") :]
    rows = dict(
        re.findall(r"<span>([^<]+)</span>\s*<span class=\"badge[^\"]*\">([^<]+)</span>", listing)
    )
    assert rows[str(careful)] == "Uses two-factor sign-in"
    assert rows[str(casual)] == "Password only"
    assert f'action="{toggle_url(centre)}"' in page.text
