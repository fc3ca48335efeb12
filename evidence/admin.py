from django.contrib import admin

from evidence.models import Portfolio


@admin.register(Portfolio)
class PortfolioAdmin(admin.ModelAdmin):
    list_display = ["learner", "qualification", "centre", "assessor", "iqa", "status", "start_date"]
    list_filter = ["status", "centre", "qualification"]
    search_fields = ["learner__username", "learner__first_name", "learner__last_name"]
    list_select_related = ["learner", "qualification", "centre", "assessor", "iqa"]
    autocomplete_fields = ["learner", "assessor", "iqa"]
    filter_horizontal = ["chosen_units"]
