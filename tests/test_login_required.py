"""Every page but login, password reset and the health check needs a signed-in user.

Walks the project's whole URL configuration, so a page added later is covered without anyone
remembering to add it here.
"""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# View names reachable without signing in, why, and what a sample URL answers.
PUBLIC = {
    "login": (200,),  # the way in
    "password_reset": (200,),  # for people who cannot sign in
    "password_reset_done": (200,),
    "password_reset_confirm": (200, 302),
    "password_reset_complete": (200,),
    "healthz": (200,),  # for load balancers; says only "ok"
    "witness-sign": (404,),  # witnesses have no account; a made-up token is not found
}

SAMPLE_ARGUMENTS = {
    "int": "1",
    "slug": "sample",
    "str": "sample",
    "path": "sample",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def walk(patterns, prefix=""):
    """(url, name) for every route pattern; admin URLs are left to Django admin's own login."""
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            yield from walk(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            url = "/" + prefix + route
            url = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_ARGUMENTS[m[1] or "str"], url)
            yield url, entry.name


URLS = sorted(set(walk(get_resolver().url_patterns)))


def test_the_walk_found_the_project_pages():
    names = {name for _, name in URLS}
    assert {"home", "login", "unit-detail", "learner-dashboard", "password_change"} <= names
    assert len(URLS) >= 15


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "name"), URLS, ids=[url for url, _ in URLS])
def test_anonymous_request(client, url, name):
    response = client.get(url)
    if name in PUBLIC:
        assert response.status_code in PUBLIC[name]
        if response.status_code == 302:
            assert not response.url.startswith(reverse("login"))
    else:
        assert response.status_code == 302, f"{url} answered {response.status_code}"
        assert response.url.startswith(f"{reverse('login')}?next=")


@pytest.mark.django_db
def test_admin_needs_its_own_login(client):
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
