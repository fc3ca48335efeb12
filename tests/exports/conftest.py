# The evidence tests' portfolio and clients, shared here (as in tests/processes/conftest.py).
from tests.evidence.conftest import (  # noqa: F401
    client_for,
    other_centre_people,
    portfolio,
)
