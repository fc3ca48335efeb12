import datetime
import shutil
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from criteria.models import Qualification
from evidence.services import portfolio_enrol
from portfolio_site.accounts.models import Role
from processes import services as process_services
from processes.examples import CURRENT
from processes.models import Technique
from tests.evidence.helpers import ICQ_CUSTOMER_SERVICE
from tests.factories import TEST_PASSWORD, CentreFactory, member


def pytest_sessionfinish(session, exitstatus):
    # test_settings made a folder for this run (database, media); leave nothing in /tmp.
    shutil.rmtree(settings.TEST_RUN_DIR, ignore_errors=True)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path) -> Path:
    """Each test stores its files in a folder of its own, so tests can count what was written."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


@pytest.fixture
def catalogue(db):
    """The real catalogue, loaded from fixtures/ as `make run` loads it."""
    call_command("load_catalogue", verbosity=0)


@pytest.fixture
def centre(db):
    return CentreFactory(name="Riverside Training", code="riverside")


@pytest.fixture
def people(centre):
    """One user of each role at ``centre``, keyed by role."""
    return {role: member(role, centre, username=f"{role.value}-user") for role in Role}


@pytest.fixture
def login(client):
    """Log ``client`` in as the given user (with the factories' password) and return it."""

    def log_in(user):
        # force_login: django-axes needs the request that Client.login() does not pass on.
        # (tests/accounts/test_login_throttle.py logs in through the form.)
        assert user.check_password(TEST_PASSWORD)
        client.force_login(user)
        return client

    return log_in


@pytest.fixture
def fixtures_dir() -> Path:
    return Path(settings.BASE_DIR) / "fixtures"


# Shared by the evidence, process, export and hostile-upload tests.


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
def learner(people):
    return people[Role.LEARNER]


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


@pytest.fixture
def process_map(portfolio, learner):
    """A complaint-handling map whose version 1 holds the worked example's current state."""
    process_map, _ = process_services.process_map_create(
        portfolio=portfolio,
        author=learner,
        title="Complaint handling",
        business_need="Complaints take three days; customers leave.",
        techniques=list(Technique),
        creation_token=uuid.uuid4(),
    )
    version = process_map.versions.get()
    process_services.version_replace_content(
        version=version, editor=learner, data=CURRENT, expected_revision=version.revision
    )
    return process_map


@pytest.fixture
def version(process_map):
    return process_map.versions.get(number=1)
