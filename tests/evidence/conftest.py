import pytest

from tests.factories import EvidenceItemFactory


@pytest.fixture
def draft(portfolio):
    """A draft item of the learner's, to upload files to (test_item_views.py has its own)."""
    return EvidenceItemFactory(portfolio=portfolio, title="Process maps")
