"""Celery tasks of the evidence app: take ids (or nothing), call one service."""

import logging

from celery import shared_task

from evidence.services.fixity import files_verify_all

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def files_verify_all_task() -> int:
    """The scheduled fixity check over every stored evidence file (CELERY_BEAT_SCHEDULE).
    Returns how many files are damaged (changed or missing)."""
    summary = files_verify_all()
    logger.info(
        "Fixity check: %s files checked, %s damaged", summary.checked, len(summary.problems)
    )
    return len(summary.problems)
