"""Data migrations of the exports app, run forwards from the migration before them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from tests.factories import PortfolioFactory

BEFORE = [("exports", "0001_initial")]
AFTER = [("exports", "0002_queued_at")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_existing_jobs_count_as_queued_when_they_were_asked_for():
    portfolio = PortfolioFactory()
    apps = migrate(BEFORE)
    try:
        asked = timezone.now() - timedelta(days=3)
        old_job = apps.get_model("exports", "ExportJob").objects.create(
            portfolio_id=portfolio.pk, requested_by_id=portfolio.learner_id, requested_at=asked
        )
    finally:
        apps = migrate(AFTER)
    job = apps.get_model("exports", "ExportJob").objects.get(pk=old_job.pk)
    assert job.queued_at == job.requested_at == asked
