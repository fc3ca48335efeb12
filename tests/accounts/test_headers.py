"""Response headers and session lifetime: Content-Security-Policy on every page, signed-in pages
kept out of caches, a session that ends after a working day without use, and every session of
a person ended when their password changes or their sessions are revoked."""

import re
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core import mail
from django.db.models import F
from django.test import Client
from django.urls import reverse

from portfolio_site.accounts.middleware import SESSION_RENEWED_KEY
from portfolio_site.accounts.models import Role, User
from tests.factories import TEST_PASSWORD, EvidenceFileFactory, EvidenceItemFactory

pytestmark = pytest.mark.django_db

LEARNER_DASHBOARD = reverse("evidence:learner-dashboard")


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


# --- Content-Security-Policy ------------------------------------------------------------------


@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_carry_a_policy_of_self_only_with_no_inline_script(client, people, signed_in):
    if signed_in:
        client.force_login(people[Role.LEARNER])
        url = LEARNER_DASHBOARD
    else:
        url = reverse("login")

    response = client.get(url)

    assert response.status_code == 200
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_the_item_form_lets_in_only_trix_styles_with_the_page_nonce(login, people, portfolio):
    client = login(people[Role.LEARNER])
    response = client.get(reverse("evidence:item-create", args=[portfolio.pk]))

    nonce = re.search(r'<meta name="trix-csp-nonce" content="([^"]+)">', response.text)[1]
    assert directives(response)["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    # A fresh nonce per response.
    again = client.get(reverse("evidence:item-create", args=[portfolio.pk]))
    assert f"'nonce-{nonce}'" not in again["Content-Security-Policy"]


def test_evidence_files_keep_their_own_stricter_policy(login, people, portfolio):
    item = EvidenceItemFactory(portfolio=portfolio)
    evidence_file = EvidenceFileFactory(item=item)
    client = login(people[Role.LEARNER])

    response = client.get(reverse("evidence:file-download", args=[evidence_file.pk]))
    b"".join(response.streaming_content)

    assert response["Content-Security-Policy"].startswith("default-src 'none'")


# Every template a browser is sent as a page or an htmx fragment. The PDF export's templates
# (rendered by WeasyPrint, never sent to a browser) may style inline.
TEMPLATE_ROOTS = [
    Path(settings.BASE_DIR) / "templates",
    *Path(settings.BASE_DIR).glob("*/templates"),
    *Path(settings.BASE_DIR).glob("*/*/templates"),
]
PDF_TEMPLATES = Path(settings.BASE_DIR) / "portfolio_site/exports/templates/exports/document"
INLINE_CODE = {
    "an inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "an event-handler attribute": re.compile(r"\son[a-z]+\s*=", re.IGNORECASE),
    "a javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "an inline style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "an inline style element": re.compile(r"<style[\s>]", re.IGNORECASE),
    "an htmx attribute that evaluates code": re.compile(r"\shx-on[:-]|js:", re.IGNORECASE),
}


def test_no_template_sent_to_a_browser_holds_inline_code_or_styles():
    """The policy refuses these, so each would be a broken page: a static check catches one
    before a browser does."""
    templates = [
        path
        for root in TEMPLATE_ROOTS
        for path in root.rglob("*.html")
        if PDF_TEMPLATES not in path.parents
    ]
    assert len(templates) > 40
    found = [
        f"{path.relative_to(settings.BASE_DIR)}: {what}"
        for path in templates
        for what, pattern in INLINE_CODE.items()
        if pattern.search(path.read_text())
    ]
    assert not found, "\n".join(found)


def test_htmx_is_told_not_to_inject_styles_or_evaluate_code(client):
    page = client.get(reverse("login")).text

    config = re.search(r"<meta name=\"htmx-config\" content='([^']+)'>", page)[1]
    assert '"includeIndicatorStyles": false' in config
    assert '"allowEval": false' in config


# --- Cache-Control --------------------------------------------------------------------------


def test_signed_in_pages_are_not_stored(login, people):
    response = login(people[Role.LEARNER]).get(LEARNER_DASHBOARD)

    assert response.status_code == 200
    assert set(response["Cache-Control"].replace(" ", "").split(",")) == {"private", "no-store"}


def test_anonymous_pages_are_left_to_the_default(client, db):
    assert "no-store" not in client.get(reverse("password_reset")).get("Cache-Control", "")


def test_a_response_that_sets_its_own_caching_keeps_it(login, people, portfolio):
    """Evidence files say private, no-cache (a phone revalidates and seeks by byte range)."""
    evidence_file = EvidenceFileFactory(item=EvidenceItemFactory(portfolio=portfolio))
    response = login(people[Role.LEARNER]).get(
        reverse("evidence:file-download", args=[evidence_file.pk])
    )
    b"".join(response.streaming_content)

    assert response["Cache-Control"] == "private, no-cache"


# --- Session lifetime -------------------------------------------------------------------------


def test_a_session_lasts_a_working_day_not_two_weeks():
    assert settings.SESSION_COOKIE_AGE == 9 * 60 * 60
    assert not settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def test_the_session_age_is_read_from_the_environment():
    import subprocess
    import sys

    output = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.SESSION_COOKIE_AGE)",
        ],
        env={
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "portfolio_site.settings",
            "SESSION_COOKIE_AGE": "3600",
            "DJANGO_VAR_DIR": str(Path(settings.TEST_RUN_DIR) / "session-age-var"),
        },
        capture_output=True,
        text=True,
        check=True,
        cwd=settings.BASE_DIR,
    )
    assert output.stdout.strip() == "3600"


def session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_a_session_in_use_is_renewed_and_an_idle_one_ends(client, people):
    client.force_login(people[Role.LEARNER])
    first_expiry = session_row(client).expire_date

    # Within the renewal interval nothing is written.
    client.get(LEARNER_DASHBOARD)
    assert session_row(client).expire_date == first_expiry

    # Later on, a request pushes the expiry a full SESSION_COOKIE_AGE from now.
    session = client.session
    session[SESSION_RENEWED_KEY] = int(time.time()) - settings.SESSION_RENEW_AFTER - 1
    session.save()
    before = session_row(client).expire_date
    response = client.get(LEARNER_DASHBOARD)
    assert response.status_code == 200
    assert session_row(client).expire_date > before
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE

    # A session left longer than its age is gone: the next page asks to log in.
    session = client.session
    session.set_expiry(-1)
    session.save()
    response = client.get(LEARNER_DASHBOARD)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- Every session ended ------------------------------------------------------------------------


def signed_in_twice(user: User) -> tuple[Client, Client]:
    here, elsewhere = Client(), Client()
    here.force_login(user)
    elsewhere.force_login(user)
    assert elsewhere.get(LEARNER_DASHBOARD).status_code == 200
    return here, elsewhere


def is_sent_to_log_in(client: Client) -> bool:
    response = client.get(LEARNER_DASHBOARD)
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def test_changing_the_password_signs_out_every_other_session(people):
    user = people[Role.LEARNER]
    here, elsewhere = signed_in_twice(user)

    response = here.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "a-much-better-passphrase",
            "new_password2": "a-much-better-passphrase",
        },
    )

    assert response.url == reverse("password_change_done")
    assert is_sent_to_log_in(elsewhere)
    assert not is_sent_to_log_in(here)  # the session that changed it carries on


def test_resetting_the_password_by_the_emailed_link_signs_out_every_session(people):
    user = people[Role.LEARNER]
    here, elsewhere = signed_in_twice(user)
    stranger = Client()

    stranger.post(reverse("password_reset"), {"email": user.email})
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)[1]
    form_page = stranger.get(link, follow=True)
    response = stranger.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "fresh-start-passphrase", "new_password2": "fresh-start-passphrase"},
    )

    assert response.url == reverse("password_reset_complete")
    assert is_sent_to_log_in(here)
    assert is_sent_to_log_in(elsewhere)


def test_raising_the_session_generation_signs_out_every_session(people):
    """What a suspension does (people/): the same password, every session ended."""
    user = people[Role.LEARNER]
    here, elsewhere = signed_in_twice(user)

    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)

    assert is_sent_to_log_in(here)
    assert is_sent_to_log_in(elsewhere)
    # Signing in again works.
    again = Client()
    again.force_login(User.objects.get(pk=user.pk))
    assert again.get(LEARNER_DASHBOARD).status_code == 200
