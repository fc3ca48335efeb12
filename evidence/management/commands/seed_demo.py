import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from criteria.models import Qualification, Requirement
from evidence.demo import seed_demo_evidence
from evidence.models import Portfolio
from evidence.services import portfolio_enrol
from portfolio_site.accounts.models import Centre, Membership, Role, User

DEMO_CENTRE_CODE = "demo-centre"
DEMO_QUALIFICATION_CODE = "icq-l4-nvq-diploma-customer-service-rqf"
# Printed by `make run` and in README.md; seed_demo refuses to run in production.
DEMO_PASSWORD = "portfolio-demo"  # noqa: S105
# username, first name, last name, role (None: a superuser for Django admin, with no role)
DEMO_PEOPLE = [
    ("learner", "Sam", "Patel", Role.LEARNER),
    ("assessor", "Alex", "Morgan", Role.ASSESSOR),
    ("iqa", "Priya", "Shah", Role.IQA),
    ("centreadmin", "Chris", "Walker", Role.CENTRE_ADMIN),
    ("eqa", "Jordan", "Lee", Role.EQA),
    ("admin", "Site", "Administrator", None),
]
# More learners, with the same assessor and IQA, so that a centre admin has several
# portfolios to export in one go.
MORE_LEARNERS = [("learner2", "Jamie", "Hughes"), ("learner3", "Taylor", "Brown")]


class Command(BaseCommand):
    help = (
        "Create the demo centre, one user of each role and the demo learner's portfolio. "
        "Idempotent: existing demo records are left as they are. Refused in production."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--without-evidence",
            action="store_true",
            help="Enrol the demo learner with an empty portfolio (browser tests start there).",
        )

    def handle(self, *args, verbosity: int, without_evidence: bool = False, **options) -> None:
        if settings.IS_PRODUCTION:
            raise CommandError(
                "seed_demo creates accounts with known passwords: not in production."
            )
        qualification = Qualification.objects.filter(code=DEMO_QUALIFICATION_CODE).first()
        if qualification is None:
            raise CommandError(
                f"Qualification {DEMO_QUALIFICATION_CODE!r} is missing: "
                "run `manage.py load_catalogue` first."
            )

        with transaction.atomic():
            created = self._seed(qualification, with_evidence=not without_evidence)

        if verbosity >= 1:
            state = f"created {', '.join(created)}" if created else "already present, unchanged"
            self.stdout.write(f"Demo centre: {state}.")
            self.stdout.write(f"Demo accounts (password for each: {DEMO_PASSWORD}):")
            for username, first, last, role in DEMO_PEOPLE:
                what = role.label if role else "Django admin (superuser)"
                self.stdout.write(f"  {username:<12} {first} {last}, {what}")
            for username, first, last in MORE_LEARNERS:
                self.stdout.write(f"  {username:<12} {first} {last}, {Role.LEARNER.label}")
            if not created:
                self.stdout.write("  A password you changed yourself stays changed.")

    def _seed(self, qualification: Qualification, *, with_evidence: bool) -> list[str]:
        created: list[str] = []
        centre, new = Centre.objects.get_or_create(
            code=DEMO_CENTRE_CODE, defaults={"name": "Demo Training Centre"}
        )
        if new:
            created.append("the centre")

        people = {}
        for username, first, last, role in DEMO_PEOPLE:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@demo.nvq-portfolio.invalid",
                    is_staff=role is None,
                    is_superuser=role is None,
                )
                user.set_password(DEMO_PASSWORD)
                user.save()
                created.append(username)
            if role is not None:
                Membership.objects.get_or_create(user=user, centre=centre, role=role)
            people[role] = user

        learners = [people[Role.LEARNER]]
        for username, first, last in MORE_LEARNERS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(
                    username=username,
                    first_name=first,
                    last_name=last,
                    email=f"{username}@demo.nvq-portfolio.invalid",
                )
                user.set_password(DEMO_PASSWORD)
                user.save()
                created.append(username)
            Membership.objects.get_or_create(user=user, centre=centre, role=Role.LEARNER)
            learners.append(user)

        for learner in learners:
            if Portfolio.objects.filter(learner=learner, qualification=qualification).exists():
                continue
            today = timezone.localdate()
            portfolio = portfolio_enrol(
                learner=learner,
                centre=centre,
                qualification=qualification,
                assessor=people[Role.ASSESSOR],
                iqa=people[Role.IQA],
                start_date=today,
                planned_end_date=today + datetime.timedelta(days=365),
                # The sources do not say which units are optional: the demo takes them all.
                chosen_units=[
                    link.unit
                    for link in qualification.unit_links.exclude(
                        requirement=Requirement.MANDATORY
                    ).select_related("unit")
                ],
            )
            created.append(f"{learner.username}'s portfolio")
            if (
                with_evidence
                and learner == people[Role.LEARNER]
                and seed_demo_evidence(portfolio, people[Role.ASSESSOR])
            ):
                created.append("the demo evidence")
        return created
