import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from portfolio_site.accounts.models import Role
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
        assert client.login(username=user.username, password=TEST_PASSWORD)
        return client

    return log_in


@pytest.fixture
def fixtures_dir() -> Path:
    return Path(settings.BASE_DIR) / "fixtures"
