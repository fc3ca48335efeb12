"""``manage.py verify_files``: the fixity check of every stored evidence file, from the shell.

Does what the scheduled task does (evidence.services.fixity.files_verify_all): each file whose
bytes no longer hash to its recorded SHA-256, or that is missing, is named here, marked
damaged, recorded in the audit trail and reported to its centre's administrators. Exits with
status 1 when any file is damaged, so a cron job or a monitor can notice.
"""

from django.core.management.base import BaseCommand, CommandError

from evidence.services.fixity import files_verify_all


class Command(BaseCommand):
    help = "Check every stored evidence file against its recorded SHA-256 and name each mismatch."

    def handle(self, *args, **options) -> None:
        summary = files_verify_all(during="manage.py verify_files")
        for problem in summary.problems:
            self.stdout.write(problem.description)
        if summary.problems:
            raise CommandError(
                f"{len(summary.problems)} of {summary.checked} evidence files are damaged "
                "(listed above): they are marked damaged and the centres' administrators told."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"All {summary.checked} evidence files match their recorded SHA-256."
            )
        )
