"""Project-level pages: error pages, the health check, and the base layout."""

import pytest
from django.test import Client
from django.urls import reverse

from portfolio_site.accounts.models import Role

pytestmark = pytest.mark.django_db


def test_404_page_is_friendly(login, people):
    response = login(people[Role.LEARNER]).get("/no/such/page/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "We could not find that page" in page
    assert "Go to your dashboard" in page


@pytest.mark.urls("tests.error_urls")
def test_500_page_says_what_happened_without_details(login, people, caplog):
    client = login(people[Role.LEARNER])
    client.raise_request_exception = False

    response = client.get("/broken/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "Something went wrong on our side" in page
    assert "a bug in our code" not in page
    assert "a bug in our code" in caplog.text  # logged for us


def test_stale_form_gets_a_clear_message(people):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("login"), {"username": people[Role.LEARNER].username, "password": "x"}
    )
    assert response.status_code == 403
    assert "That form had expired" in response.content.decode()
    assert "Nothing was saved" in response.content.decode()


def test_healthz_answers_without_login(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_layout_has_navigation_skip_link_and_vendored_assets(login, people):
    page = login(people[Role.LEARNER]).get(reverse("evidence:learner-dashboard")).content.decode()
    assert 'href="#main"' in page and 'id="main"' in page
    assert 'aria-label="Main"' in page
    assert "/static/vendor/bootstrap/bootstrap.min.css" in page
    assert "/static/vendor/htmx/htmx.min.js" in page
    assert "cdn" not in page.lower()
    assert 'aria-current="page"' in page
    assert "Log out" in page


def test_vendored_assets_are_served(client):
    for path in (
        "/static/vendor/bootstrap/bootstrap.min.css",
        "/static/vendor/bootstrap/bootstrap.bundle.min.js",
        "/static/vendor/htmx/htmx.min.js",
        "/static/css/site.css",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"".join(response.streaming_content)


def test_media_files_have_no_public_route(client, settings, login, people):
    (settings.MEDIA_ROOT / "secret.txt").write_text("evidence")
    response = login(people[Role.LEARNER]).get("/media/secret.txt")
    assert response.status_code == 404
