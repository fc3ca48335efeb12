from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "portfolio_site.audit"
    label = "audit"
    verbose_name = "Audit trail"
