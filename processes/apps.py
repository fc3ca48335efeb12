from django.apps import AppConfig


class ProcessesConfig(AppConfig):
    """Process design (maps, SIPOC, value streams, KPIs). Its models arrive with the process
    design issue; the app is registered now so the project's shape is settled."""

    name = "processes"
    verbose_name = "Process design"
