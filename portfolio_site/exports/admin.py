"""Export jobs in Django admin, read-only: for a superuser finding out why an export stopped
(which worker ran it, how many starts, the error). Retrying is the export page's Retry button,
which goes through the service and the audit trail; nothing here changes a job."""

from django.contrib import admin

from portfolio_site.exports.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "portfolio",
        "requested_by",
        "status",
        "progress",
        "attempts",
        "retries",
        "requested_at",
        "finished_at",
    ]
    list_filter = ["status", "portfolio__centre"]
    search_fields = ["portfolio__learner__username", "portfolio__learner__last_name", "run_by"]
    list_select_related = ["portfolio__learner", "portfolio__qualification", "requested_by"]
    date_hierarchy = "requested_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
