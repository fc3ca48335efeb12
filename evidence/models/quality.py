"""Quality assurance: the IQA's sampling plans and samples, and EQA access grants."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from criteria.models import Unit
from evidence.models.assessment import Review, Signature, SignOff
from evidence.models.portfolios import Portfolio
from portfolio_site.accounts.models import Centre


class RiskRating(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


# What share of an assessor's learners in a unit an IQA samples, by risk (a starting point the
# IQA may change per plan).
DEFAULT_TARGET_PERCENT = {RiskRating.LOW: 25, RiskRating.MEDIUM: 50, RiskRating.HIGH: 100}


class SamplingMethod(models.TextChoices):
    INTERIM = "interim", "Interim (during the course)"
    SUMMATIVE = "summative", "Summative (at sign-off)"


class SamplingPlan(models.Model):
    """How much of one assessor's work in one unit the IQA samples."""

    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="sampling_plans")
    iqa = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sampling_plans"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    risk_rating = models.CharField(max_length=10, choices=RiskRating.choices)
    method = models.CharField(max_length=10, choices=SamplingMethod.choices)
    target_percent = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="Share of this assessor's learners in this unit to sample.",
    )
    rationale = models.TextField(
        blank=True, help_text="Why this risk: new assessor, new unit, past disagreements ..."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["assessor__last_name", "unit__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["centre", "assessor", "unit"], name="evidence_plan_one_per_assessor_unit"
            ),
            models.CheckConstraint(
                condition=Q(target_percent__gte=1, target_percent__lte=100),
                name="evidence_plan_target_percent",
            ),
        ]

    def __str__(self) -> str:
        return f"Sampling {self.assessor} in {self.unit}"


class SampleDecision(models.TextChoices):
    AGREE = "agree", "Agree"
    DISAGREE = "disagree", "Disagree"


class IqaSample(models.Model):
    """The IQA's check of one assessment decision (a review) or one sign-off."""

    iqa = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="iqa_samples"
    )
    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="iqa_samples")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    review = models.ForeignKey(
        Review, on_delete=models.PROTECT, null=True, blank=True, related_name="iqa_samples"
    )
    sign_off = models.ForeignKey(
        SignOff, on_delete=models.PROTECT, null=True, blank=True, related_name="iqa_samples"
    )
    method = models.CharField(max_length=10, choices=SamplingMethod.choices)
    decision = models.CharField(max_length=10, choices=SampleDecision.choices)
    comments = models.TextField()
    actions = models.TextField(blank=True, help_text="What the assessor must do (on disagreement).")
    countersignature = models.OneToOneField(
        Signature, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sampled_at = models.DateTimeField()
    seen_by_assessor_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sampled_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(review__isnull=False, sign_off__isnull=True)
                | Q(review__isnull=True, sign_off__isnull=False),
                name="evidence_sample_one_target",
            ),
            models.CheckConstraint(
                condition=Q(decision=SampleDecision.AGREE) | ~Q(actions=""),
                name="evidence_sample_disagreement_has_actions",
            ),
            models.CheckConstraint(
                condition=Q(decision__in=SampleDecision.values),
                name="evidence_sample_decision_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"IQA {self.get_decision_display().lower()}s: {self.review or self.sign_off}"


class EqaGrantQuerySet(models.QuerySet):
    def current(self, today) -> "EqaGrantQuerySet":
        return self.filter(revoked_at__isnull=True, expires_on__gte=today)


class EqaGrant(models.Model):
    """Read-only access for one external quality assurer to one portfolio, until a date."""

    eqa = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="eqa_grants"
    )
    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="eqa_grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField()
    expires_on = models.DateField(help_text="Access ends at the end of this day.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = EqaGrantQuerySet.as_manager()

    class Meta:
        ordering = ["expires_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["eqa", "portfolio"],
                condition=Q(revoked_at__isnull=True),
                name="evidence_eqa_one_open_grant_per_portfolio",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.eqa} may read {self.portfolio} until {self.expires_on}"
