from django.apps import AppConfig


class ExportsConfig(AppConfig):
    """Portfolio exports: PDF/A documents rendered by Celery workers with WeasyPrint."""

    name = "portfolio_site.exports"
    label = "exports"
    verbose_name = "Portfolio exports"
