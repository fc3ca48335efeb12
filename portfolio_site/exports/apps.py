from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """Portfolio exports: PDF/A documents rendered by Celery workers with WeasyPrint."""

    name = "portfolio_site.exports"
    label = "exports"
    verbose_name = "Portfolio exports"

    def ready(self) -> None:
        from portfolio_site.exports import checks  # noqa: F401  (registers the system check)
