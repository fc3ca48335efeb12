"""Every URL of the project, fed absurd input, answers with a page, never a server error.

The permission matrix (tests/test_permission_matrix.py) asks every URL with real ids and empty
forms. This walks the same URL configuration and asks again with what a hostile or careless
visitor sends instead:

- each path parameter in turn replaced by an absurd value (0, -1, integers too big for the
  database or for Python to convert, non-ASCII, empty, a NUL), the others kept real;
- every query and form parameter the views read (found by reading their source for
  ``request.GET`` / ``request.POST``) set to a huge integer, to non-ASCII text, and to nothing,
  as GET queries and as POSTs; and an empty POST;

as an anonymous visitor and as a few signed-in people of the permission world. Any answer of
500 or more, or an exception out of a view, is collected and all are reported together.
"""

import logging
import re
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import get_converters

from tests.permission_world import build_world
from tests.test_permission_matrix import MATRIX, clients

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
ABSURD_PATH_VALUES = [
    "0",
    "-1",
    HUGE,
    "9" * 4301,  # past Python's limit on converting digits to an int
    "é",
    "ŝ✓",
    "",
    "\x00",
]
POSTED_PATH_VALUES = {HUGE, "é", "\x00"}
ABSURD_PARAMETER_VALUES = {
    "huge": HUGE,
    "non-ASCII": "é\u202eŝ✓",
    "empty": "",
}
# Anonymous visitors and a person in each role whose pages differ most.
FUZZED_ACTORS = ["anonymous", "learner", "assessor", "admin"]

_PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")
_READ_PARAMETER = re.compile(
    r"""request\.(?:GET|POST)(?:\.get|\.getlist|\.__getitem__)?[(\[]\s*["']([\w-]+)["']"""
)
_SOURCE_FOLDERS = ["portfolio_site", "criteria", "evidence", "processes", "people"]


def routes(patterns, prefix: str = "", namespace: str = ""):
    """(name, full route) of every URL pattern, Django admin's apart (as the matrix's walk)."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from routes(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name}" if entry.name else f"<unnamed: {entry.pattern}>"
            yield name, prefix + str(entry.pattern)


def parameters_read_by_views() -> list[str]:
    base = Path(settings.BASE_DIR)
    names = set()
    for folder in _SOURCE_FOLDERS:
        for source in (base / folder).rglob("*.py"):
            names |= set(_READ_PARAMETER.findall(source.read_text()))
    return sorted(names)


def path_for(route: str, values: dict[str, str]) -> str:
    return "/" + _PARAMETER.sub(lambda match: quote(values[match["name"]], safe=""), route)


def asked(client: Client, cookies: SimpleCookie, method: str, path: str, data: dict) -> str | None:
    """What went wrong with one request (None if nothing did), undone afterwards as the
    matrix's requests are."""
    client.cookies = SimpleCookie(cookies)
    try:
        with transaction.atomic():
            send = client.get if method == "GET" else client.post
            response = send(path, data)
            if response.streaming:
                b"".join(response.streaming_content)
            transaction.set_rollback(True)
    except Exception as error:
        return f"raised {type(error).__name__}: {str(error)[:200]}"
    if response.status_code >= 500:
        return f"status {response.status_code}"
    return None


def requests_for(name: str, route: str, world, parameters: list[str]):
    """(method, path, data, what is absurd about it) for every absurd request to one URL."""
    names = [match["name"] for match in _PARAMETER.finditer(route)]
    page = MATRIX.get(name)
    real = {key: str(value) for key, value in page.kwargs(world).items()} if page else {}
    converters = {
        match["name"]: match["converter"] or "str" for match in _PARAMETER.finditer(route)
    }
    for key in names:
        regex = re.compile(get_converters()[converters[key]].regex)
        matching = [value for value in ABSURD_PATH_VALUES if regex.fullmatch(value)]
        # Values the converter does not match all stop at the resolver alike: one will do.
        others = [value for value in ABSURD_PATH_VALUES if value not in matching][:1]
        for value in matching + others:
            values = {other: real.get(other, value) for other in names} | {key: value}
            label = f"{key}={value[:30]!r}"
            yield "GET", path_for(route, values), {}, label
            if value in POSTED_PATH_VALUES or value in others:
                # A POST reaches the same lookups as a GET: fewer values will do.
                yield "POST", path_for(route, values), {}, label
    if set(names) - set(real):
        return  # no real ids for this pattern (the matrix test says it needs a row)
    path = path_for(route, real)
    real_query = {key: str(value) for key, value in page.query(world).items()}
    post_path = path + (f"?{urlencode(real_query)}" if real_query else "")
    yield "POST", post_path, {}, "an empty form"
    for label, value in ABSURD_PARAMETER_VALUES.items():
        absurd = dict.fromkeys(parameters, value)
        yield "GET", path, real_query | absurd, f"every parameter {label}"
        yield "POST", post_path, absurd, f"every parameter {label}"


def test_no_url_answers_absurd_input_with_a_server_error(catalogue, capsys):
    world = build_world()
    actors = {name: client for name, client in clients(world).items() if name in FUZZED_ACTORS}
    for client in actors.values():
        client.raise_request_exception = True
    cookies = {name: SimpleCookie(client.cookies) for name, client in actors.items()}
    parameters = parameters_read_by_views()
    assert {"ids", "next", "page"} <= set(parameters), parameters

    walked = list(routes(get_resolver().url_patterns))
    failures, checked = [], 0
    # Thousands of 404s and 403s each log a warning; keeping them is most of the test's time.
    logging.disable(logging.WARNING)
    try:
        for name, route in walked:
            for method, path, data, label in requests_for(name, route, world, parameters):
                for actor, client in actors.items():
                    problem = asked(client, cookies[actor], method, path, data)
                    checked += 1
                    if problem:
                        failures.append(
                            f"{name}: {method} {path[:80]} ({label}) as {actor}: {problem}"
                        )
    finally:
        logging.disable(logging.NOTSET)
    with capsys.disabled():
        print(
            f"\nURL fuzz: {len(walked)} URL patterns, {len(parameters)} query/form parameters, "
            f"{len(actors)} actors, {checked} requests"
        )
    assert checked > 4000
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures)
