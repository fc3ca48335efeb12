"""Import a centre's people from a spreadsheet, as the import page does, for people who script it.

    manage.py import_people --centre CENTRE_CODE FILE [--commit] [--invite]

Prints one line per row with its status, then a summary line exactly of the form
``N new, N updated, N unchanged, N errors``. Without ``--commit`` it only reports. It exits
with status 1 when any row has an error, and then changes nothing even with ``--commit``.
"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from people.importing import RowStatus, import_apply, import_plan, import_record
from portfolio_site.accounts.models import Centre


class Command(BaseCommand):
    help = "Import people (learners, assessors, IQAs ...) into a centre from a CSV or XLSX file."

    def add_arguments(self, parser):
        parser.add_argument("--centre", required=True, help="The centre's code, e.g. riverside.")
        parser.add_argument("file", help="A .csv (UTF-8, with or without BOM) or .xlsx file.")
        parser.add_argument(
            "--commit", action="store_true", help="Apply the rows (otherwise only report)."
        )
        parser.add_argument(
            "--invite",
            action="store_true",
            help="With --commit: email an invitation to set a password to each new account.",
        )

    def handle(self, *args, centre, file, commit, invite, **options):
        found = Centre.objects.filter(code=centre).first()
        if found is None:
            raise CommandError(f"No centre has the code {centre!r}.")
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        plan = import_plan(centre=found, content=content, filename=path.name)
        if commit and not plan.has_errors:
            people_import = import_record(
                centre=found, content=content, filename=path.name, uploaded_by=None, plan=plan
            )
            plan = import_apply(
                people_import=people_import,
                applied_by=None,
                invite=invite,
                actor_label="manage.py import_people",
            )
        for problem in plan.problems:
            self.stdout.write(f"file: error: {problem}")
        for row in plan.rows:
            line = row.line()
            self.stdout.write(self.style.ERROR(line) if row.status == RowStatus.ERROR else line)
        if plan.has_errors:
            self.stderr.write("Nothing was imported: correct the errors above and run it again.")
        elif plan.applied:
            invited = f"; {plan.invited} invitations sent" if invite else ""
            self.stderr.write(f"Imported into {found}{invited}.")
        else:
            self.stderr.write("Nothing was changed: run it again with --commit to apply it.")
        self.stdout.write(plan.summary())
        if plan.has_errors:
            sys.exit(1)
