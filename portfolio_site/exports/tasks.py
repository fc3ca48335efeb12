"""The export task: takes a job id and calls one service.

Acknowledged late, and rejected back to the queue if its worker process dies, so a killed
render is delivered again (export_run makes that safe). The time limits come from settings and
stay below the broker's visibility timeout (see checks.py). A run that hits the hard limit is
acknowledged, not redelivered: the page shows it as failed once it has been silent that long.
"""

from celery import shared_task
from django.conf import settings

from portfolio_site.exports.services import export_run


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.EXPORT_SOFT_TIME_LIMIT,
    time_limit=settings.EXPORT_TIME_LIMIT,
)
def export_run_task(job_id: int) -> None:
    export_run(job_id)
