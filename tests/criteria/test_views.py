"""Catalogue pages: open to every signed-in user, each in a fixed number of queries."""

import pytest
from django.urls import reverse

from criteria.models import Qualification, Requirement
from portfolio_site.accounts.models import Role
from tests.factories import (
    AssessmentCriterionFactory,
    LearningOutcomeFactory,
    QualificationUnitFactory,
    UserFactory,
)

pytestmark = pytest.mark.usefixtures("catalogue")

UNIT_URL = reverse("criteria:unit-detail", args=["design-business-processes"])
QUALIFICATION_URL = reverse(
    "criteria:qualification-detail", args=["icq-l4-nvq-diploma-customer-service-rqf"]
)
LIST_URL = reverse("criteria:qualification-list")


@pytest.mark.parametrize("url", [LIST_URL, QUALIFICATION_URL, UNIT_URL])
def test_anonymous_visitors_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("role", list(Role))
def test_every_role_can_browse_the_catalogue(login, people, role):
    client = login(people[role])
    for url in (LIST_URL, QUALIFICATION_URL, UNIT_URL):
        assert client.get(url).status_code == 200


def test_signed_in_user_without_a_role_can_browse_too(login):
    client = login(UserFactory())
    assert client.get(UNIT_URL).status_code == 200


def test_list_groups_qualifications_by_awarding_organisation(login, people):
    page = login(people[Role.LEARNER]).get(LIST_URL).content.decode()

    assert page.index("iCan Qualifications Limited") < page.index("Pearson Education Ltd")
    assert "iCQ Level 4 NVQ Diploma in Customer Service (RQF)" in page
    assert "Level 3 · QCF" in page
    # The unit whose document names no qualification is listed on its own.
    assert "Units not yet in a qualification" in page
    assert "Plan, organise and control customer service operations" in page


def test_qualification_page_lists_units_and_says_what_is_not_known(login, people):
    page = login(people[Role.LEARNER]).get(QUALIFICATION_URL).content.decode()

    assert "Design business processes" in page
    assert "Review the quality of customer service" in page
    assert "do not say whether these units are mandatory" in page
    assert "12 assessment criteria" in page
    assert "Not given" in page  # qualification number


def test_qualification_page_separates_mandatory_and_optional(login, people):
    link = QualificationUnitFactory(requirement=Requirement.OPTIONAL)
    QualificationUnitFactory(qualification=link.qualification, requirement=Requirement.MANDATORY)
    url = reverse("criteria:qualification-detail", args=[link.qualification.code])

    page = login(people[Role.LEARNER]).get(url).content.decode()

    assert page.index("Mandatory units") < page.index("Optional units")
    assert "do not say whether" not in page


def test_unit_page_shows_outcomes_criteria_and_guidance(login, people):
    page = login(people[Role.LEARNER]).get(UNIT_URL).content.decode()

    assert "Outcome 2.</span> Be able to develop business processes" in page
    assert 'id="criterion-3.5"' in page
    assert "What the assessor looks for" in page
    assert "Award credit for demonstrating accurate application" in page
    assert "<strong>Performance Monitoring</strong>: Using key performance indicators" in page
    assert "Before you start" in page


def test_unit_page_flags_outcomes_without_criteria(login, people):
    url = reverse("criteria:unit-detail", args=["review-the-quality-of-customer-service"])
    page = login(people[Role.LEARNER]).get(url).content.decode()
    assert "The source documents give no assessment criteria for this outcome." in page


def test_criteria_sort_by_number_not_text(login, people):
    outcome = LearningOutcomeFactory(number=1)
    for number in ["1.10", "1.2", "1.1"]:
        AssessmentCriterionFactory(outcome=outcome, number=number)
    url = reverse("criteria:unit-detail", args=[outcome.unit.code])

    page = login(people[Role.LEARNER]).get(url).content.decode()

    positions = [page.index(f'id="criterion-{n}"') for n in ["1.1", "1.2", "1.10"]]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    "url",
    [
        reverse("criteria:unit-detail", args=["no-such-unit"]),
        reverse("criteria:qualification-detail", args=["no-such-qualification"]),
    ],
)
def test_unknown_codes_give_404(login, people, url):
    response = login(people[Role.LEARNER]).get(url)
    assert response.status_code == 404
    assert "We could not find that page" in response.content.decode()


def test_pages_cost_the_same_queries_whatever_the_catalogue_size(
    login, people, django_assert_num_queries
):
    """Session, user, the navigation's roles and unread count, then the page's own reads."""
    client = login(people[Role.LEARNER])
    expected = {UNIT_URL: 8, QUALIFICATION_URL: 6, LIST_URL: 6}
    for url, count in expected.items():
        with django_assert_num_queries(count):
            client.get(url)

    # Grow the catalogue tenfold: the counts stay the same.
    qualification = Qualification.objects.get(code="icq-l4-nvq-diploma-customer-service-rqf")
    for _ in range(10):
        unit_link = QualificationUnitFactory(qualification=qualification)
        for number in range(1, 4):
            outcome = LearningOutcomeFactory(unit=unit_link.unit, number=number)
            AssessmentCriterionFactory.create_batch(3, outcome=outcome)
    expected[reverse("criteria:unit-detail", args=[unit_link.unit.code])] = 8
    for url, count in expected.items():
        with django_assert_num_queries(count):
            client.get(url)
