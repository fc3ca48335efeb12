import datetime
import uuid

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from evidence.models import Portfolio
from processes import services
from processes.examples import CURRENT, FUTURE
from processes.models import ProcessMap, Technique, VersionState

# A fixed token: running the command twice finds the map it made the first time.
DEMO_MAP_TOKEN = uuid.UUID("00000000-0000-4000-8000-0000000000a1")


class Command(BaseCommand):
    help = (
        "Give the demo learner (seed_demo) the worked complaint-handling map: an approved "
        "current state and an approved future state, both added to the portfolio. Idempotent."
    )

    def handle(self, *args, verbosity: int, **options) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError("seed_demo_processes is for demonstration installs only.")
        portfolio = (
            Portfolio.objects.filter(learner__username="learner", centre__code="demo-centre")
            .select_related("learner", "assessor")
            .first()
        )
        if portfolio is None:
            raise CommandError("No demo learner: run `manage.py seed_demo` first.")
        if ProcessMap.objects.filter(portfolio=portfolio, creation_token=DEMO_MAP_TOKEN).exists():
            if verbosity >= 1:
                self.stdout.write("Demo process map: already present, unchanged.")
            return
        with transaction.atomic():
            self._seed(portfolio)
        if verbosity >= 1:
            self.stdout.write(
                "Demo process map: created (versions 1 and 2, both in the portfolio)."
            )

    def _seed(self, portfolio: Portfolio) -> None:
        learner = portfolio.learner
        process_map, _ = services.process_map_create(
            portfolio=portfolio,
            author=learner,
            title=CURRENT.title,
            business_need="Complaints take three days to resolve and customers leave: the "
            "business needs most complaints resolved on first contact.",
            techniques=Technique.values,
            creation_token=DEMO_MAP_TOKEN,
        )
        current = process_map.versions.get()
        services.version_replace_content(
            version=current, editor=learner, data=CURRENT, expected_revision=None
        )
        self._approve(current, learner)
        future = services.version_create_from(
            version=current,
            author=learner,
            state=VersionState.FUTURE,
            change_note="Advisers resolve within a remedy limit; specialists call the customer "
            "directly, so there is no hand-back.",
        )
        services.version_replace_content(
            version=future, editor=learner, data=FUTURE, expected_revision=None
        )
        self._approve(future, learner)
        for version in (current, future):
            services.version_add_to_portfolio(version=version, user=learner)

    @staticmethod
    def _approve(version, learner) -> None:
        services.version_submit(version=version, user=learner, expected_revision=None)
        # The stakeholder decided at the service review meeting, with the assessor there.
        services.version_record_approval(
            version=version,
            user=version.process_map.portfolio.assessor,
            name="Morgan Ellis",
            role="Head of customer service",
            decision="approved",
            comment="Agreed at the service review meeting.",
            decided_on=datetime.date.today(),
        )
