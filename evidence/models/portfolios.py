"""A portfolio: a learner's enrolment on one qualification at a centre."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.functional import cached_property

from criteria.models import Qualification, Unit
from portfolio_site.accounts.models import Centre, Membership, Role


class PortfolioStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_BREAK = "on_break", "Break in learning"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


# A learner holds at most one open portfolio per qualification at a centre.
OPEN_STATUSES = (PortfolioStatus.ACTIVE, PortfolioStatus.ON_BREAK)


class Portfolio(models.Model):
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="portfolios"
    )
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="portfolios")
    qualification = models.ForeignKey(
        Qualification, on_delete=models.PROTECT, related_name="portfolios"
    )
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assessed_portfolios",
    )
    iqa = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quality_assured_portfolios",
        verbose_name="internal quality assurer",
    )
    chosen_units = models.ManyToManyField(
        Unit,
        blank=True,
        related_name="+",
        help_text="Optional units the learner is taking. Mandatory units are always included.",
    )
    start_date = models.DateField()
    planned_end_date = models.DateField(null=True, blank=True)
    # The learner record the awarding organisation and funders ask for.
    registration_number = models.CharField(
        "awarding organisation registration number", max_length=40, blank=True
    )
    registered_on = models.DateField("date registered", null=True, blank=True)
    employer = models.CharField("employer or workplace", max_length=200, blank=True)
    status = models.CharField(
        max_length=20, choices=PortfolioStatus.choices, default=PortfolioStatus.ACTIVE
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "centre", "qualification"],
                condition=Q(status__in=OPEN_STATUSES),
                name="evidence_portfolio_one_open_per_qualification",
                violation_error_message=(
                    "This learner already has an open portfolio for this qualification here."
                ),
            ),
            models.CheckConstraint(
                condition=Q(planned_end_date__isnull=True)
                | Q(planned_end_date__gte=F("start_date")),
                name="evidence_portfolio_end_after_start",
                violation_error_message="The planned end date is before the start date.",
            ),
            # Nobody judges or quality-assures their own work, and an IQA does not sample
            # their own assessment decisions.
            models.CheckConstraint(
                condition=Q(assessor__isnull=True) | ~Q(assessor=F("learner")),
                name="evidence_portfolio_assessor_not_learner",
                violation_error_message="A learner cannot be their own assessor.",
            ),
            models.CheckConstraint(
                condition=Q(iqa__isnull=True) | ~Q(iqa=F("learner")),
                name="evidence_portfolio_iqa_not_learner",
                violation_error_message="A learner cannot be their own IQA.",
            ),
            models.CheckConstraint(
                condition=Q(iqa__isnull=True) | Q(assessor__isnull=True) | ~Q(iqa=F("assessor")),
                name="evidence_portfolio_iqa_not_assessor",
                violation_error_message="The IQA must be someone other than the assessor.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PortfolioStatus.values),
                name="evidence_portfolio_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} - {self.qualification}"

    @cached_property
    def learner_uln(self) -> str:
        """The learner's ULN, kept on their learner role at the centre (one per person)."""
        return (
            Membership.objects.filter(
                user=self.learner_id, centre=self.centre_id, role=Role.LEARNER
            )
            .values_list("uln", flat=True)
            .first()
            or ""
        )
