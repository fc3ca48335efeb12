"""Logging in and out, passwords, and the home page that sends each role to its dashboard."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from portfolio_site.accounts.models import Membership, Role
from tests.factories import TEST_PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD_URLS = {role: reverse(name) for role, name in settings.ROLE_DASHBOARDS.items()}


@pytest.mark.parametrize("role", list(Role))
def test_each_role_lands_on_its_own_dashboard(client, people, role):
    response = client.post(
        reverse("login"),
        {"username": people[role].username, "password": TEST_PASSWORD},
        follow=True,
    )

    assert response.redirect_chain[-1] == (DASHBOARD_URLS[role], 302)
    assert response.status_code == 200
    assert response.resolver_match.view_name == settings.ROLE_DASHBOARDS[role]


@pytest.mark.parametrize("role", list(Role))
def test_other_roles_dashboards_are_forbidden(login, people, role):
    client = login(people[role])
    for other, url in DASHBOARD_URLS.items():
        if other != role:
            response = client.get(url)
            assert response.status_code == 403, (role, other)
            assert "You do not have access to this page" in response.content.decode()


def test_user_with_two_roles_lands_on_the_first_and_sees_both(login, centre):
    user = UserFactory()
    MembershipFactory(user=user, centre=centre, role=Role.LEARNER)
    MembershipFactory(user=user, centre=centre, role=Role.ASSESSOR)
    client = login(user)

    response = client.get(reverse("home"))
    assert response.url == DASHBOARD_URLS[Role.ASSESSOR]

    page = client.get(DASHBOARD_URLS[Role.ASSESSOR]).content.decode()
    assert f'href="{DASHBOARD_URLS[Role.LEARNER]}">Learner</a>' in page
    assert client.get(DASHBOARD_URLS[Role.LEARNER]).status_code == 200


def test_suspended_role_gives_no_dashboard(login, centre):
    user = UserFactory()
    MembershipFactory(user=user, centre=centre, role=Role.ASSESSOR, is_active=False)
    client = login(user)

    assert client.get(DASHBOARD_URLS[Role.ASSESSOR]).status_code == 403
    page = client.get(reverse("home")).content.decode()
    assert "not linked to a role at any centre" in page


def test_user_without_a_role_is_told_what_to_do(login):
    client = login(UserFactory(is_staff=True))
    page = client.get(reverse("home")).content.decode()
    assert "Ask your centre admin" in page
    assert reverse("admin:index") in page


def test_wrong_password_is_refused_with_a_message(client, people):
    response = client.post(
        reverse("login"), {"username": people[Role.LEARNER].username, "password": "wrong"}
    )
    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_returns_to_the_page_asked_for(client, people, catalogue):
    url = reverse("criteria:unit-detail", args=["design-business-processes"])
    response = client.post(
        f"{reverse('login')}?next={url}",
        {"username": people[Role.LEARNER].username, "password": TEST_PASSWORD, "next": url},
    )
    assert response.url == url


def test_login_ignores_a_next_url_on_another_site(client, people):
    response = client.post(
        reverse("login"),
        {
            "username": people[Role.LEARNER].username,
            "password": TEST_PASSWORD,
            "next": "https://evil.example/phish",
        },
    )
    assert response.url == reverse("home")


def test_logout_needs_post_and_ends_the_session(login, people):
    client = login(people[Role.LEARNER])
    assert client.get(reverse("logout")).status_code == 405

    response = client.post(reverse("logout"))

    assert response.url == reverse("login")
    assert client.get(reverse("home")).status_code == 302


def test_password_change(login, people):
    user = people[Role.LEARNER]
    client = login(user)
    response = client.post(
        reverse("password_change"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "a-much-better-passphrase",
            "new_password2": "a-much-better-passphrase",
        },
    )
    assert response.url == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password("a-much-better-passphrase")


def test_password_reset_by_email_end_to_end(client, people):
    user = people[Role.LEARNER]

    response = client.post(reverse("password_reset"), {"email": user.email.upper()})

    assert response.url == reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [user.email]
    assert message.subject == "Reset your NVQ Portfolio password"
    link = re.search(r"http://testserver(/accounts/password/reset/\S+/)", message.body)[1]

    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "fresh-start-passphrase", "new_password2": "fresh-start-passphrase"},
    )
    assert response.url == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("fresh-start-passphrase")

    # The link works once.
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_password_reset_for_unknown_email_reveals_nothing(client, db):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.url == reverse("password_reset_done")
    assert mail.outbox == []


def test_two_accounts_cannot_share_an_email(db):
    from django.db import IntegrityError, transaction

    UserFactory(email="same@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="SAME@example.org")
    # Accounts without an email are allowed side by side.
    UserFactory(email="")
    UserFactory(email="")


def test_one_role_per_user_and_centre(people, centre):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(user=people[Role.LEARNER], centre=centre, role=Role.LEARNER)
