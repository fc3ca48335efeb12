from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from criteria.services import CatalogueLoadError, catalogue_load


class Command(BaseCommand):
    help = (
        "Load the qualification catalogue from fixtures (default: everything in fixtures/). "
        "Idempotent: records are matched by natural key and updated in place; "
        "one broken record loads nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path, help="Fixture files or folders.")

    def handle(self, *args, paths: list[Path], verbosity: int, **options) -> None:
        complete = not paths
        try:
            report = catalogue_load(
                paths=paths or [settings.BASE_DIR / "fixtures"], complete=complete
            )
        except CatalogueLoadError as error:
            raise CommandError(f"Nothing was loaded. {error}") from error

        if verbosity >= 1:
            state = "updated" if report.changed else "already up to date"
            self.stdout.write(f"Catalogue {state} from {len(report.files)} file(s).")
            for line in report.summary_lines():
                self.stdout.write(f"  {line}")
            for label, keys in report.not_in_fixtures.items():
                listed = ", ".join(" ".join(str(part) for part in key) for key in keys)
                self.stdout.write(
                    self.style.WARNING(
                        f"  {label}: {len(keys)} in the database but in no fixture "
                        f"(kept, not deleted): {listed}"
                    )
                )
