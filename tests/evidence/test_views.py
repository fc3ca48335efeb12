"""Dashboards: each role sees its own people and nobody else's, in a fixed number of queries."""

import pytest
from django.urls import reverse

from evidence.models import PortfolioStatus
from portfolio_site.accounts.models import Role
from tests.factories import CentreFactory, PortfolioFactory, QualificationUnitFactory, member

pytestmark = pytest.mark.django_db

LEARNER_URL = reverse("evidence:learner-dashboard")
ASSESSOR_URL = reverse("evidence:assessor-dashboard")
IQA_URL = reverse("evidence:iqa-dashboard")
CENTRE_URL = reverse("evidence:centre-admin-dashboard")
EQA_URL = reverse("evidence:eqa-dashboard")


@pytest.fixture
def portfolio(people, centre):
    link = QualificationUnitFactory(unit__title="Handle customer complaints")
    return PortfolioFactory(
        centre=centre,
        qualification=link.qualification,
        learner=people[Role.LEARNER],
        assessor=people[Role.ASSESSOR],
        iqa=people[Role.IQA],
    )


def test_learner_sees_their_portfolio_and_units(login, people, portfolio):
    page = login(people[Role.LEARNER]).get(LEARNER_URL).content.decode()

    assert portfolio.qualification.title in page
    assert "Handle customer complaints" in page
    assert str(people[Role.ASSESSOR]) in page
    assert str(people[Role.IQA]) in page


def test_learner_without_a_portfolio_is_told_why(login, people):
    page = login(people[Role.LEARNER]).get(LEARNER_URL).content.decode()
    assert "You are not enrolled on a qualification yet" in page


def test_learner_does_not_see_another_learners_portfolio(login, people, centre, portfolio):
    other = PortfolioFactory(centre=centre)
    page = login(people[Role.LEARNER]).get(LEARNER_URL).content.decode()
    assert other.qualification.title not in page


def test_assessor_sees_only_their_open_caseload(login, people, centre, portfolio):
    someone_elses = PortfolioFactory(centre=centre)
    closed = PortfolioFactory(
        centre=centre, assessor=people[Role.ASSESSOR], status=PortfolioStatus.WITHDRAWN
    )

    page = login(people[Role.ASSESSOR]).get(ASSESSOR_URL).content.decode()

    assert str(portfolio.learner) in page
    assert str(someone_elses.learner) not in page
    assert str(closed.learner) not in page


def test_iqa_sees_portfolios_grouped_by_assessor(login, people, portfolio):
    page = login(people[Role.IQA]).get(IQA_URL).content.decode()
    assert f"Assessor: {people[Role.ASSESSOR]}" in page
    assert str(portfolio.learner) in page


def test_centre_admin_sees_their_centre_only(login, people, portfolio):
    other_centre = CentreFactory(name="Elsewhere College")
    stranger = member(Role.LEARNER, other_centre, first_name="Unseen", last_name="Stranger")

    page = login(people[Role.CENTRE_ADMIN]).get(CENTRE_URL).content.decode()

    assert "Riverside Training" in page
    assert str(portfolio.learner) in page
    for role in Role:
        assert str(people[role]) in page
    assert "Elsewhere College" not in page
    assert str(stranger) not in page


def test_eqa_sees_the_centres_they_quality_assure(login, people):
    page = login(people[Role.EQA]).get(EQA_URL).content.decode()
    assert "Riverside Training" in page


@pytest.mark.parametrize(
    ("role", "url", "queries"),
    [
        (Role.LEARNER, LEARNER_URL, 12),
        (Role.ASSESSOR, ASSESSOR_URL, 14),
        (Role.IQA, IQA_URL, 11),
        (Role.CENTRE_ADMIN, CENTRE_URL, 10),  # + the People link in the navigation
    ],
)
def test_dashboards_cost_the_same_queries_for_few_and_many(
    login, people, centre, django_assert_num_queries, role, url, queries
):
    def add_portfolios(count):
        # Each on its own qualification with two units, so nothing is shared between rows.
        mine = {"learner": people[Role.LEARNER]} if role == Role.LEARNER else {}
        for _ in range(count):
            link = QualificationUnitFactory()
            QualificationUnitFactory(qualification=link.qualification)
            PortfolioFactory(
                centre=centre,
                qualification=link.qualification,
                assessor=people[Role.ASSESSOR],
                iqa=people[Role.IQA],
                **mine,
            )

    client = login(people[role])
    add_portfolios(1)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    add_portfolios(15)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
