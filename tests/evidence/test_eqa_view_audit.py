"""Issue 14, finding 5 (and issue 13): every page an EQA opens is on the centre's audit trail
against its portfolio, process maps' pages (keyed by map or version id) included, and an EQA's
views are recorded from their grant, whatever their role rows say."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from evidence import services
from evidence.middleware import portfolio_of_page
from portfolio_site.accounts.models import Membership, Role
from portfolio_site.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def grant(people, portfolio):
    (granted,) = services.eqa_grant(
        admin=people[Role.CENTRE_ADMIN],
        eqa=people[Role.EQA],
        portfolios=[portfolio],
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    return granted


def process_pages(process_map) -> list[str]:
    version = process_map.versions.get()
    return [
        reverse("processes:map", args=[process_map.pk]),
        reverse("processes:compare", args=[process_map.pk]),
        reverse("processes:version", args=[version.pk]),
        reverse("processes:version-svg", args=[version.pk, "swimlane"]),
        reverse("processes:version-bpmn", args=[version.pk]),
    ]


def views() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="eqa.page_viewed").order_by("pk"))


def test_eqa_views_of_process_maps_are_recorded_against_the_portfolio(
    client_for, people, centre, portfolio, process_map, grant
):
    eqa = client_for(people[Role.EQA])
    pages = process_pages(process_map)

    for url in pages:
        assert eqa.get(url).status_code == 200, url

    recorded = views()
    assert [event.details["path"] for event in recorded] == pages
    assert {event.portfolio_id for event in recorded} == {portfolio.pk}
    assert {event.centre_id for event in recorded} == {centre.pk}


def test_a_refused_process_page_is_recorded_as_an_attempt(
    client_for, people, portfolio, process_map, centre
):
    """No grant: the EQA gets 404s, and the attempts are on the portfolio's record."""
    eqa = client_for(people[Role.EQA])

    for url in process_pages(process_map):
        assert eqa.get(url).status_code == 404, url

    recorded = views()
    assert {event.details["status"] for event in recorded} == {404}
    assert {event.portfolio_id for event in recorded} == {portfolio.pk}


def test_views_are_recorded_from_the_grant_whatever_the_role_rows_say(
    client_for, people, portfolio, process_map, grant
):
    eqa_user = people[Role.EQA]
    Membership.objects.filter(user=eqa_user, role=Role.EQA).update(
        ended_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    eqa = client_for(eqa_user)
    pages = [
        reverse("evidence:evidence-list", args=[portfolio.pk]),
        reverse("processes:map", args=[process_map.pk]),
    ]

    for url in pages:
        eqa.get(url)

    recorded = views()
    assert [event.details["path"] for event in recorded] == pages
    assert {event.portfolio_id for event in recorded} == {portfolio.pk}
    assert {event.actor_id for event in recorded} == {eqa_user.pk}


def test_other_people_with_no_grant_are_not_recorded(client_for, people, portfolio, process_map):
    for role in (Role.LEARNER, Role.ASSESSOR, Role.IQA, Role.CENTRE_ADMIN):
        client = client_for(people[role])
        for url in process_pages(process_map):
            client.get(url)

    assert views() == []


@pytest.mark.parametrize("value", ["999999999999999999999999", "-1", "x", 0])
def test_absurd_ids_resolve_to_no_portfolio(value):
    assert portfolio_of_page({"version_id": value}) is None
    assert portfolio_of_page({"map_id": value}) is None
    assert portfolio_of_page({"item_id": value}) is None
