from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """A centre's people, run by its centre admins: add and invite, import a spreadsheet,
    suspend, reactivate or end a role, reassign caseloads. It has no tables of its own beyond
    the import records; accounts and roles live in portfolio_site.accounts."""

    name = "people"
    verbose_name = "People"
