import datetime
import uuid

import pytest
from django.test import Client

from criteria.models import AssessmentCriterion, Qualification
from evidence.services import portfolio_enrol
from portfolio_site.accounts.models import Role
from tests.factories import CentreFactory, EvidenceItemFactory, member

ICQ_CUSTOMER_SERVICE = "icq-l4-nvq-diploma-customer-service-rqf"
DESIGN = "design-business-processes"
QUALITY = "review-the-quality-of-customer-service"
PLAN = "plan-organise-and-control-customer-service-operations"  # in no qualification


def criterion(unit_code: str, number: str) -> AssessmentCriterion:
    return AssessmentCriterion.objects.get_by_natural_key(unit_code, number)


@pytest.fixture
def portfolio(catalogue, people, centre):
    """The learner enrolled on the iCQ Level 4 Customer Service diploma with both its units."""
    qualification = Qualification.objects.get(code=ICQ_CUSTOMER_SERVICE)
    return portfolio_enrol(
        learner=people[Role.LEARNER],
        centre=centre,
        qualification=qualification,
        assessor=people[Role.ASSESSOR],
        iqa=people[Role.IQA],
        start_date=datetime.date(2026, 9, 1),
        chosen_units=[link.unit for link in qualification.unit_links.all()],
    )


@pytest.fixture
def draft(portfolio):
    """A draft item of the learner's, to upload files to (test_item_views.py has its own)."""
    return EvidenceItemFactory(portfolio=portfolio, title="Process maps")


@pytest.fixture
def learner_client(login, people):
    return login(people[Role.LEARNER])


@pytest.fixture
def other_centre_people(db):
    """One user of each role at another centre."""
    elsewhere = CentreFactory(name="Elsewhere College", code="elsewhere")
    return {role: member(role, elsewhere, username=f"other-{role.value}") for role in Role}


@pytest.fixture
def client_for(people):
    """A fresh logged-in client for any user (several can be used in one test)."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def item_form_data(**overrides) -> dict:
    return {
        "title": "Complaints process redesign",
        "kind": "work_product",
        "activity_date": "2026-10-01",
        "narrative": "<div>I mapped the complaints process.</div>",
        "creation_token": str(uuid.uuid4()),
        **overrides,
    }


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart body written by hand, so that file names reach the server exactly as given
    (Django's test client strips folders from them)."""
    boundary = "----nvq-test-boundary"
    parts = []
    for name, value in fields.items():
        disposition = f'Content-Disposition: form-data; name="{name}"'
        parts.append(f"--{boundary}\r\n{disposition}\r\n\r\n{value}\r\n".encode())
    for field, filename, content in files:
        header = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; '
            f'filename="{filename}"\r\nContent-Type: application/pdf\r\n\r\n'
        )
        parts.append(header.encode("utf-8") + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
