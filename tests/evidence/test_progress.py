"""Seeing progress: the learner dashboard, the tracking grid and the evidence list, each in a
fixed number of queries whatever the portfolio's size."""

import datetime

import pytest
from django.urls import reverse

from evidence.models import CriterionMapping, EvidenceItem, EvidenceStatus
from evidence.selectors import GRID_CLAIMS_SHOWN
from portfolio_site.accounts.models import Role
from tests.evidence.helpers import DESIGN, QUALITY, criterion
from tests.factories import CriterionMappingFactory, EvidenceItemFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("evidence:learner-dashboard")


def submitted(portfolio, *criteria, title="Submitted work"):
    item = EvidenceItemFactory(
        portfolio=portfolio,
        title=title,
        status=EvidenceStatus.SUBMITTED,
        submitted_at=datetime.datetime(2026, 10, 2, 9, 0, tzinfo=datetime.UTC),
    )
    for number in criteria:
        CriterionMappingFactory(
            item=item, criterion=criterion(DESIGN, number), reference=f"p.{number}"
        )
    return item


def test_dashboard_shows_progress_per_unit_and_next_steps(learner_client, portfolio):
    submitted(portfolio, "1.1", "1.2")
    draft = EvidenceItemFactory(portfolio=portfolio, title="Half-done draft")
    CriterionMappingFactory(item=draft, criterion=criterion(DESIGN, "1.2"))  # already claimed
    CriterionMappingFactory(item=draft, criterion=criterion(DESIGN, "2.1"))

    page = learner_client.get(DASHBOARD).content.decode()

    assert "0 of 12 signed off" in page  # Design business processes
    assert "2 submitted · 1 in drafts · 9 without evidence" in page
    assert "0 of 3 signed off" in page  # Review the quality of customer service
    assert "0 submitted · 3 without evidence" in page
    assert "1 draft</a>" in page and "map it to criteria and submit" in page
    assert "9 criteria have no evidence yet" in page


def test_dashboard_for_a_new_learner_suggests_a_first_item(learner_client, portfolio):
    page = learner_client.get(DASHBOARD).content.decode()
    assert "Add your first piece of evidence" in page
    assert reverse("evidence:item-create", args=[portfolio.pk]) in page


def test_grid_lists_every_criterion_with_its_references_and_flags_gaps(learner_client, portfolio):
    submitted(portfolio, "1.1", title="Swimlane of complaints")
    response = learner_client.get(reverse("evidence:tracking-grid", args=[portfolio.pk]))
    page = response.content.decode()

    grid = {row.unit.code: row for row in response.context["grid"]}
    assert set(grid) == {DESIGN, QUALITY}
    assert (grid[DESIGN].criteria, grid[DESIGN].with_evidence) == (12, 1)
    assert "Swimlane of complaints" in page and "p.1.1" in page
    assert page.count('class="grid-gap"') == 12 + 3 - 1
    assert "No assessment criteria are given for this outcome." in page  # quality unit, LO 1


def test_grid_filters_by_unit(learner_client, portfolio):
    quality_unit = criterion(QUALITY, "2.1").outcome.unit
    response = learner_client.get(
        reverse("evidence:tracking-grid", args=[portfolio.pk]), {"unit": quality_unit.pk}
    )
    assert [row.unit.code for row in response.context["grid"]] == [QUALITY]
    # A unit id from outside the portfolio shows everything rather than leaking anything.
    response = learner_client.get(
        reverse("evidence:tracking-grid", args=[portfolio.pk]), {"unit": "999999"}
    )
    assert len(response.context["grid"]) == 2


def test_grid_shows_a_criterions_latest_claims_and_links_to_all_of_them(learner_client, portfolio):
    """A criterion claimed by many items shows the latest few and a link to the evidence list
    narrowed to that criterion, which lists every one of them."""
    for day in range(1, GRID_CLAIMS_SHOWN + 3):
        item = submitted(portfolio, "1.2", title=f"Weekly log {day:02d}")
        EvidenceItem.objects.filter(pk=item.pk).update(activity_date=datetime.date(2026, 10, day))
    submitted(portfolio, "1.1", title="Swimlane of complaints")
    one_point_two = criterion(DESIGN, "1.2")

    page = learner_client.get(reverse("evidence:tracking-grid", args=[portfolio.pk]))
    row = page.content.decode().split(f'id="grid-criterion-{one_point_two.pk}"')[1]
    row = row.split("</tr>")[0]

    shown = [f"Weekly log {day:02d}" for day in range(3, GRID_CLAIMS_SHOWN + 3)]
    assert [title for title in shown if title in row] == shown
    assert "Weekly log 01" not in row and "Weekly log 02" not in row
    list_url = reverse("evidence:evidence-list", args=[portfolio.pk])
    link = f'href="{list_url}?criterion={one_point_two.pk}">All {GRID_CLAIMS_SHOWN + 2} items'
    assert link in row

    listed = learner_client.get(list_url, {"criterion": one_point_two.pk})
    titles = [item.title for item in listed.context["page"].object_list]
    assert sorted(titles) == [f"Weekly log {day:02d}" for day in range(1, GRID_CLAIMS_SHOWN + 3)]
    assert "Evidence claiming <strong>1.2</strong> of Design business processes" in (
        listed.content.decode()
    )


def test_evidence_list_ignores_a_criterion_from_outside_the_portfolio(learner_client, portfolio):
    submitted(portfolio, "1.1", title="Swimlane of complaints")
    outside = criterion("plan-organise-and-control-customer-service-operations", "1.1")
    url = reverse("evidence:evidence-list", args=[portfolio.pk])

    for value in (outside.pk, "999999", "1.2", ""):
        response = learner_client.get(url, {"criterion": value})
        assert response.context["criterion"] is None
        assert [item.title for item in response.context["page"].object_list] == [
            "Swimlane of complaints"
        ]


def test_evidence_list_filters_by_type_status_and_unit(learner_client, portfolio):
    submitted(portfolio, "1.1", title="Design evidence")
    quality = EvidenceItemFactory(
        portfolio=portfolio, title="Quality draft", kind="reflective_account"
    )
    CriterionMappingFactory(item=quality, criterion=criterion(QUALITY, "2.1"))
    url = reverse("evidence:evidence-list", args=[portfolio.pk])
    quality_unit = criterion(QUALITY, "2.1").outcome.unit

    def titles(**query):
        response = learner_client.get(url, query)
        return [item.title for item in response.context["page"].object_list]

    assert set(titles()) == {"Design evidence", "Quality draft"}
    assert titles(status="draft") == ["Quality draft"]
    assert titles(kind="reflective_account") == ["Quality draft"]
    assert titles(unit=quality_unit.pk) == ["Quality draft"]
    assert titles(status="bogus") == titles()  # unknown filter values are ignored
    assert (
        "No evidence matches these filters"
        in learner_client.get(url, {"kind": "observation"}).content.decode()
    )


def grow(portfolio, count):
    """Add ``count`` items of three mappings each, in bulk."""
    criteria = list(criterion(DESIGN, "1.1").outcome.unit.outcomes.all())
    numbers = [c for outcome in criteria for c in outcome.criteria.all()]
    start = EvidenceItem.objects.count()
    items = EvidenceItem.objects.bulk_create(
        EvidenceItem(
            portfolio=portfolio,
            title=f"Bulk item {start + n}",
            kind="work_product",
            activity_date=datetime.date(2026, 10, 1),
            created_by=portfolio.learner,
            status=EvidenceStatus.SUBMITTED if n % 2 else EvidenceStatus.DRAFT,
            submitted_at=datetime.datetime(2026, 10, 2, tzinfo=datetime.UTC) if n % 2 else None,
        )
        for n in range(count)
    )
    CriterionMapping.objects.bulk_create(
        CriterionMapping(item=item, criterion=numbers[(n + k) % len(numbers)], reference="p.1")
        for n, item in enumerate(items)
        for k in range(3)
    )


@pytest.mark.parametrize("which", ["dashboard", "grid", "list"])
def test_pages_run_the_same_queries_for_10_and_300_items(
    learner_client, portfolio, django_assert_max_num_queries, django_assert_num_queries, which
):
    url = {
        "dashboard": DASHBOARD,
        "grid": reverse("evidence:tracking-grid", args=[portfolio.pk]),
        "list": reverse("evidence:evidence-list", args=[portfolio.pk]),
    }[which]
    grow(portfolio, 10)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        assert learner_client.get(url).status_code == 200
    grow(portfolio, 290)
    with django_assert_num_queries(len(small.captured_queries)):
        assert learner_client.get(url).status_code == 200
    with django_assert_max_num_queries(12):
        learner_client.get(url)


def test_other_roles_see_the_grid_but_cannot_add(client_for, people, portfolio):
    for role in (Role.ASSESSOR, Role.IQA, Role.CENTRE_ADMIN):
        client = client_for(people[role])
        assert client.get(reverse("evidence:tracking-grid", args=[portfolio.pk])).status_code == 200
        page = client.get(reverse("evidence:evidence-list", args=[portfolio.pk])).content.decode()
        assert "Add evidence" not in page
