import uuid

import pytest

from portfolio_site.accounts.models import Role
from processes import services
from processes.examples import CURRENT
from processes.models import Technique

# The evidence tests' portfolio and clients, shared here.
from tests.evidence.conftest import (  # noqa: F401
    client_for,
    learner_client,
    other_centre_people,
    portfolio,
)

ALL_TECHNIQUES = [
    Technique.SWIMLANE,
    Technique.SIPOC,
    Technique.VALUE_STREAM,
    Technique.FISHBONE,
]


@pytest.fixture
def learner(people):
    return people[Role.LEARNER]


@pytest.fixture
def process_map(portfolio, learner):  # noqa: F811 (the imported fixture)
    """A complaint-handling map whose version 1 holds the worked example's current state."""
    process_map, _ = services.process_map_create(
        portfolio=portfolio,
        author=learner,
        title="Complaint handling",
        business_need="Complaints take three days; customers leave.",
        techniques=ALL_TECHNIQUES,
        creation_token=uuid.uuid4(),
    )
    version = process_map.versions.get()
    services.version_replace_content(
        version=version, editor=learner, data=CURRENT, expected_revision=version.revision
    )
    return process_map


@pytest.fixture
def version(process_map):
    return process_map.versions.get(number=1)
