"""Centre admins enrol learners and change enrolments in pages of their own."""

import pytest
from django.urls import reverse

from criteria.models import Qualification
from evidence.models import Portfolio
from portfolio_site.accounts.models import Role
from tests.evidence.helpers import DESIGN, ICQ_CUSTOMER_SERVICE, QUALITY, criterion
from tests.factories import CriterionMappingFactory, EvidenceItemFactory, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client_for, people):
    return client_for(people[Role.CENTRE_ADMIN])


def enrol_data(people, qualification, **overrides):
    return {
        "learner": people[Role.LEARNER].pk,
        "qualification": qualification.pk,
        "chosen_units": [link.unit_id for link in qualification.unit_links.all()],
        "assessor": people[Role.ASSESSOR].pk,
        "iqa": people[Role.IQA].pk,
        "start_date": "2026-09-01",
        "planned_end_date": "2027-08-31",
        **overrides,
    }


@pytest.fixture
def qualification(catalogue):
    return Qualification.objects.get(code=ICQ_CUSTOMER_SERVICE)


def test_centre_admin_enrols_a_learner(admin_client, people, centre, qualification):
    url = reverse("evidence:portfolio-create", args=[centre.code])
    page = admin_client.get(url).content.decode()
    assert "Enrol a learner at Riverside Training" in page

    response = admin_client.post(url, enrol_data(people, qualification))

    assert response.url == reverse("evidence:centre-admin-dashboard")
    portfolio = Portfolio.objects.get()
    assert (portfolio.learner, portfolio.assessor, portfolio.iqa) == (
        people[Role.LEARNER],
        people[Role.ASSESSOR],
        people[Role.IQA],
    )
    assert portfolio.chosen_units.count() == 2
    dashboard = admin_client.get(response.url).content.decode()
    assert reverse("evidence:portfolio-edit", args=[portfolio.pk]) in dashboard


def test_form_offers_only_this_centres_people_in_their_roles(
    admin_client, people, centre, qualification, other_centre_people
):
    url = reverse("evidence:portfolio-create", args=[centre.code])
    response = admin_client.post(
        url,
        enrol_data(
            people,
            qualification,
            learner=other_centre_people[Role.LEARNER].pk,
            assessor=people[Role.LEARNER].pk,
        ),
    )
    form = response.context["form"]
    assert set(form.errors) == {"learner", "assessor"}
    assert not Portfolio.objects.exists()


def test_optional_units_follow_the_qualification_chosen(admin_client, centre, qualification):
    url = reverse("evidence:portfolio-create", args=[centre.code])
    response = admin_client.get(url, {"qualification": qualification.pk}, HTTP_HX_REQUEST="true")
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="chosen-units">')
    assert "Design business processes" in fragment
    assert "Review the quality of customer service" in fragment


def test_other_users_cannot_enrol(client_for, people, centre, other_centre_people):
    url = reverse("evidence:portfolio-create", args=[centre.code])
    for user in [
        people[Role.ASSESSOR],
        people[Role.LEARNER],
        other_centre_people[Role.CENTRE_ADMIN],
    ]:
        assert client_for(user).get(url).status_code == 404


def test_change_assessor_and_status(admin_client, people, portfolio, centre):
    new_assessor = member(Role.ASSESSOR, centre)
    url = reverse("evidence:portfolio-edit", args=[portfolio.pk])
    data = enrol_data(people, portfolio.qualification, assessor=new_assessor.pk, status="on_break")
    del data["learner"]

    response = admin_client.post(url, data)

    assert response.status_code == 302
    portfolio.refresh_from_db()
    assert (portfolio.assessor, portfolio.status) == (new_assessor, "on_break")


def test_unit_with_evidence_cannot_be_dropped(admin_client, people, portfolio):
    item = EvidenceItemFactory(portfolio=portfolio)
    CriterionMappingFactory(item=item, criterion=criterion(QUALITY, "2.1"))
    design_only = [criterion(DESIGN, "1.1").outcome.unit_id]
    data = enrol_data(people, portfolio.qualification, chosen_units=design_only, status="active")

    response = admin_client.post(reverse("evidence:portfolio-edit", args=[portfolio.pk]), data)

    assert "Evidence is already mapped to Review the quality of customer service" in (
        response.content.decode()
    )
    assert portfolio.chosen_units.count() == 2


def test_edit_is_limited_to_the_admins_centres(client_for, portfolio, other_centre_people, people):
    url = reverse("evidence:portfolio-edit", args=[portfolio.pk])
    assert client_for(other_centre_people[Role.CENTRE_ADMIN]).get(url).status_code == 404
    assert client_for(people[Role.ASSESSOR]).get(url).status_code == 404
