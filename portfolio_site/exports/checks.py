"""A system check that the export time limits fit inside the broker's redelivery window.

Export tasks are acknowledged late (after the render). Redis hands an unacknowledged message to
another worker once its visibility timeout passes; if a render could outlast that, a slow export
would be rendered twice at once. So: soft limit < hard limit < visibility timeout.
"""

from django.conf import settings
from django.core.checks import Error, register

# kombu's default for Redis (and SQS) when broker_transport_options sets none.
KOMBU_DEFAULT_VISIBILITY_TIMEOUT = 60 * 60


def broker_visibility_timeout() -> int | None:
    """Seconds, or None for a broker without one (the filesystem broker keeps an unacknowledged
    message in the worker's memory, never handing it out twice)."""
    if settings.CELERY_BROKER_URL.startswith(("filesystem://", "memory://")):
        return None
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    return int(options.get("visibility_timeout", KOMBU_DEFAULT_VISIBILITY_TIMEOUT))


@register()
def check_export_time_limits(app_configs, **kwargs) -> list[Error]:
    soft, hard = settings.EXPORT_SOFT_TIME_LIMIT, settings.EXPORT_TIME_LIMIT
    visibility = broker_visibility_timeout()
    errors = []
    if not 0 < soft < hard:
        errors.append(
            Error(
                f"EXPORT_SOFT_TIME_LIMIT ({soft} s) must be above 0 and below "
                f"EXPORT_TIME_LIMIT ({hard} s), so that a slow export stops with a message "
                "before its worker is killed.",
                id="exports.E001",
            )
        )
    if visibility is not None and not hard < visibility:
        errors.append(
            Error(
                f"EXPORT_TIME_LIMIT ({hard} s) must be below the broker's visibility timeout "
                f"({visibility} s), or a slow export is handed to a second worker while the "
                "first still runs.",
                hint="Raise CELERY_BROKER_VISIBILITY_TIMEOUT or lower EXPORT_TIME_LIMIT.",
                id="exports.E002",
            )
        )
    return errors
