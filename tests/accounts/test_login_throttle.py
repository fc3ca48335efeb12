"""Log-in throttling (django-axes): a username that keeps failing from one address is locked out
of it for a while, with a page that says so; nobody else is, and the count cannot be dodged by
claiming a new address in X-Forwarded-For."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from portfolio_site.accounts.models import Role
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

HERE = "203.0.113.10"
ELSEWHERE = "198.51.100.7"


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.USE_X_FORWARDED_FOR = False


def log_in(client, username: str, password: str, address: str = HERE, **headers):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        headers=headers,
    )


def is_logged_in(response) -> bool:
    return response.status_code == 302 and response.url == reverse("home")


def fail(client, username: str, times: int, **kwargs) -> None:
    for _ in range(times):
        response = log_in(client, username, "wrong password", **kwargs)
        assert response.status_code == 200, "a wrong password shows the form again"


def lock_out(client, username: str, **kwargs) -> None:
    """Fail up to the limit (3 here): the last failure already answers with the lockout page."""
    fail(client, username, 2, **kwargs)
    assert log_in(client, username, "wrong password", **kwargs).status_code == 429


def test_a_username_failing_too_often_is_locked_out_even_with_the_right_password(client, people):
    learner = people[Role.LEARNER]
    fail(client, learner.username, 2)
    assert AccessAttempt.objects.get().failures_since_start == 2

    response = log_in(client, learner.username, "wrong password")
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many attempts to log in" in page
    assert learner.username in page and "15 minutes" in page
    assert reverse("password_reset") in page
    assert "_auth_user_id" not in client.session

    # Locked: the right password is refused too, with the same page.
    response = log_in(client, learner.username, TEST_PASSWORD)
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    # Every attempt is kept for a superuser to read, the refused right password included.
    logged = AccessFailureLog.objects.filter(username=learner.username, ip_address=HERE)
    assert [entry.locked_out for entry in logged.order_by("attempt_time")] == [
        False,
        False,
        True,
        True,
    ]


def test_the_lock_is_for_that_username_from_that_address_only(client, people):
    learner, assessor = people[Role.LEARNER], people[Role.ASSESSOR]
    lock_out(client, learner.username)
    assert log_in(client, learner.username, TEST_PASSWORD).status_code == 429

    # Someone else at the same college (same address) logs in as usual.
    assert is_logged_in(log_in(client, assessor.username, TEST_PASSWORD))
    client.logout()
    # The learner from home (another address) too.
    assert is_logged_in(log_in(client, learner.username, TEST_PASSWORD, address=ELSEWHERE))


def test_the_lock_ends_after_the_cool_off(client, people):
    learner = people[Role.LEARNER]
    lock_out(client, learner.username)
    assert log_in(client, learner.username, TEST_PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert is_logged_in(log_in(client, learner.username, TEST_PASSWORD))


def test_a_successful_log_in_starts_the_count_again(client, people):
    learner = people[Role.LEARNER]
    fail(client, learner.username, 2)
    assert is_logged_in(log_in(client, learner.username, TEST_PASSWORD))
    client.logout()
    fail(client, learner.username, 2)
    assert is_logged_in(log_in(client, learner.username, TEST_PASSWORD))


def test_a_forged_forwarded_address_does_not_reset_the_count(client, people):
    learner = people[Role.LEARNER]
    for number in range(2):
        forged = {"X-Forwarded-For": f"192.0.2.{number}"}
        assert log_in(client, learner.username, "wrong", **forged).status_code == 200
    forged = {"X-Forwarded-For": "192.0.2.2"}
    assert log_in(client, learner.username, "wrong", **forged).status_code == 429
    forged = {"X-Forwarded-For": "192.0.2.99"}
    assert log_in(client, learner.username, TEST_PASSWORD, **forged).status_code == 429


def test_behind_our_own_proxy_the_address_the_proxy_saw_is_counted(client, people, settings):
    settings.USE_X_FORWARDED_FOR = True
    learner = people[Role.LEARNER]
    proxy = "10.0.0.2"
    # The client claims a new address each time; the proxy appends the one it saw (HERE).
    for number, expected in ((0, 200), (1, 200), (2, 429)):
        forwarded = {"X-Forwarded-For": f"192.0.2.{number}, {HERE}"}
        response = log_in(client, learner.username, "wrong", address=proxy, **forwarded)
        assert response.status_code == expected
    locked = log_in(
        client, learner.username, TEST_PASSWORD, address=proxy, **{"X-Forwarded-For": HERE}
    )
    assert locked.status_code == 429
    # Another client behind the same proxy is not locked out.
    other = log_in(
        client, learner.username, TEST_PASSWORD, address=proxy, **{"X-Forwarded-For": ELSEWHERE}
    )
    assert is_logged_in(other)


def test_a_new_password_set_through_the_emailed_link_lifts_the_lockout(client, people):
    learner = people[Role.LEARNER]
    lock_out(client, learner.username)

    client.post(reverse("password_reset"), {"email": learner.email}, REMOTE_ADDR=HERE)
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", mail.outbox[0].body)[1]
    form_page = client.get(link, follow=True, REMOTE_ADDR=HERE)
    new_password = "a-fresh-passphrase-2026"
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
        REMOTE_ADDR=HERE,
    )
    assert done.url == reverse("password_reset_complete")

    assert is_logged_in(log_in(client, learner.username, new_password))
