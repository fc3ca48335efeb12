from django.core.management.base import BaseCommand, CommandError

from portfolio_site.audit.services import ChainBreak, audit_verify


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; name the first event that breaks it."

    def handle(self, *args, **options) -> None:
        try:
            count = audit_verify()
        except ChainBreak as error:
            raise CommandError(f"Audit trail NOT intact. {error}") from error
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {count} events verified."))
