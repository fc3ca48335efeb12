"""The export task: takes a job id and calls one service.

Acknowledged late, and rejected back to the queue if its worker process dies, so a killed
render is delivered again (export_run makes that safe). The time limits come from settings and
stay below the broker's visibility timeout (see checks.py). In a worker the render's memory is
capped while it runs (exports.limits, EXPORT_MEMORY_LIMIT_BYTES). A run that hits the hard limit is
acknowledged, not redelivered: the page shows it as failed once it has been silent that long.
"""

from celery import shared_task
from django.conf import settings

from portfolio_site.exports.limits import address_space_limit
from portfolio_site.exports.services import export_run


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=settings.EXPORT_SOFT_TIME_LIMIT,
    time_limit=settings.EXPORT_TIME_LIMIT,
)
def export_run_task(job_id: int) -> None:
    if export_run_task.request.is_eager:
        # In the caller's own process (tests, CELERY_TASK_ALWAYS_EAGER): a web server's other
        # threads must not share a render's memory cap.
        export_run(job_id)
        return
    with address_space_limit(settings.EXPORT_MEMORY_LIMIT_BYTES):
        export_run(job_id)
