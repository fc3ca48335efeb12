"""The qualification catalogue: what a learner must prove, as the awarding organisation states it.

Every model has a natural key, so catalogue fixtures name records by code and number and never
by primary key: they load in any order, on any database, and update records in place.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

# RQF/QCF levels run from Entry to 8; Entry level units are not in scope, so 1-8.
LEVEL_VALIDATORS = [MinValueValidator(1), MaxValueValidator(8)]


def bullet_points(text: str) -> list[str]:
    """Guidance texts are stored one point per line; this gives the points."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class CodeManager(models.Manager):
    """For models whose natural key is their unique ``code``."""

    def get_by_natural_key(self, code: str) -> models.Model:
        return self.get(code=code)


class AwardingOrganisation(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200, help_text="Legal name, e.g. Pearson Education Ltd.")
    short_name = models.CharField(max_length=60, blank=True, help_text="e.g. Pearson, iCQ.")

    objects = CodeManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name or self.name

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class Framework(models.TextChoices):
    RQF = "RQF", "Regulated Qualifications Framework (RQF)"
    QCF = "QCF", "Qualifications and Credit Framework (QCF)"


class Qualification(models.Model):
    code = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=255)
    awarding_organisation = models.ForeignKey(
        AwardingOrganisation, on_delete=models.PROTECT, related_name="qualifications"
    )
    level = models.PositiveSmallIntegerField(validators=LEVEL_VALIDATORS)
    framework = models.CharField(max_length=3, choices=Framework.choices)
    qualification_number = models.CharField(
        max_length=20,
        blank=True,
        help_text="Ofqual qualification number, e.g. 603/1234/5, where known.",
    )
    overview = models.TextField(
        blank=True, help_text="What the qualification is and who it is for."
    )
    minimum_credits = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Rules of combination: the credits a learner must achieve, where known.",
    )
    units = models.ManyToManyField(
        "Unit", through="QualificationUnit", related_name="qualifications"
    )

    objects = CodeManager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification_number"],
                condition=~models.Q(qualification_number=""),
                name="criteria_qualification_number_unique_when_set",
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=1, level__lte=8), name="criteria_qualification_level"
            ),
            models.CheckConstraint(
                condition=models.Q(framework__in=Framework.values),
                name="criteria_qualification_framework_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    natural_key.dependencies = ["criteria.awardingorganisation"]


class Unit(models.Model):
    code = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=255)
    reference = models.CharField(
        max_length=30, blank=True, help_text="Unit reference number, e.g. F/601/1227, where known."
    )
    level = models.PositiveSmallIntegerField(null=True, blank=True, validators=LEVEL_VALIDATORS)
    credit_value = models.PositiveSmallIntegerField(null=True, blank=True)
    guided_learning_hours = models.PositiveSmallIntegerField(null=True, blank=True)
    synopsis = models.TextField(blank=True)
    # Guidance for a learner mapping evidence, one point per line (see bullet_points()).
    key_concepts = models.TextField(blank=True, help_text="One point per line.")
    assessment_guidance = models.TextField(
        blank=True, help_text="What assessors look for. One point per line."
    )
    common_mistakes = models.TextField(blank=True, help_text="One point per line.")
    prior_knowledge = models.TextField(
        blank=True, help_text="What helps before starting this unit. One point per line."
    )

    objects = CodeManager()

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__isnull=True) | models.Q(level__gte=1, level__lte=8),
                name="criteria_unit_level",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    def synopsis_paragraphs(self) -> list[str]:
        return bullet_points(self.synopsis)

    def key_concept_points(self) -> list[str]:
        return bullet_points(self.key_concepts)

    def assessment_guidance_points(self) -> list[str]:
        return bullet_points(self.assessment_guidance)

    def common_mistake_points(self) -> list[str]:
        return bullet_points(self.common_mistakes)

    def prior_knowledge_points(self) -> list[str]:
        return bullet_points(self.prior_knowledge)


class Requirement(models.TextChoices):
    MANDATORY = "mandatory", "Mandatory"
    OPTIONAL = "optional", "Optional"
    # The source documents do not always say; we record that rather than guess.
    NOT_STATED = "", "Not stated"


class QualificationUnitManager(models.Manager):
    def get_by_natural_key(self, qualification_code: str, unit_code: str) -> "QualificationUnit":
        return self.get(qualification__code=qualification_code, unit__code=unit_code)


class QualificationUnit(models.Model):
    """A unit's place in a qualification's rules of combination."""

    qualification = models.ForeignKey(
        Qualification, on_delete=models.CASCADE, related_name="unit_links"
    )
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="qualification_links")
    requirement = models.CharField(
        max_length=10, choices=Requirement.choices, blank=True, default=Requirement.NOT_STATED
    )

    objects = QualificationUnitManager()

    class Meta:
        ordering = ["qualification", "unit__title"]
        constraints = [
            models.UniqueConstraint(
                fields=["qualification", "unit"], name="criteria_qualificationunit_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(requirement__in=Requirement.values),
                name="criteria_qualificationunit_requirement_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit} in {self.qualification}"

    def natural_key(self) -> tuple[str, str]:
        return (self.qualification.code, self.unit.code)

    natural_key.dependencies = ["criteria.qualification", "criteria.unit"]


class LearningOutcomeManager(models.Manager):
    def get_by_natural_key(self, unit_code: str, number: int) -> "LearningOutcome":
        return self.get(unit__code=unit_code, number=number)


class LearningOutcome(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="outcomes")
    number = models.PositiveSmallIntegerField()
    text = models.TextField(help_text='e.g. "Be able to develop business processes".')

    objects = LearningOutcomeManager()

    class Meta:
        ordering = ["unit", "number"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "number"], name="criteria_outcome_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"

    def natural_key(self) -> tuple[str, int]:
        return (self.unit.code, self.number)

    natural_key.dependencies = ["criteria.unit"]


CRITERION_NUMBER = re.compile(r"^(?P<outcome>\d+)\.(?P<position>\d+)$")


def criterion_position(number: str) -> int:
    """Where a criterion sorts within its outcome: 10 for "1.10", so that 1.10 follows 1.9."""
    match = CRITERION_NUMBER.match(number)
    if match is None:
        raise ValueError(f"Malformed criterion number {number!r}")
    return int(match["position"])


class AssessmentCriterionManager(models.Manager):
    def get_by_natural_key(self, unit_code: str, number: str) -> "AssessmentCriterion":
        return self.get(outcome__unit__code=unit_code, number=number)


class AssessmentCriterion(models.Model):
    """The unit of judgement: an assessor decides whether evidence meets this."""

    outcome = models.ForeignKey(LearningOutcome, on_delete=models.CASCADE, related_name="criteria")
    number = models.CharField(
        max_length=10,
        validators=[
            RegexValidator(CRITERION_NUMBER, 'A criterion number looks like "2.3".'),
        ],
    )
    # Derived from the number on save, so that 1.10 sorts after 1.9.
    position = models.PositiveSmallIntegerField(default=0, editable=False)
    text = models.TextField()
    guidance = models.TextField(
        blank=True, help_text="What the assessor looks for, in the awarding organisation's words."
    )

    objects = AssessmentCriterionManager()

    class Meta:
        verbose_name_plural = "assessment criteria"
        ordering = ["outcome", "position"]
        constraints = [
            models.UniqueConstraint(fields=["outcome", "number"], name="criteria_criterion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.text}"

    def save(self, *args, **kwargs) -> None:
        self.position = criterion_position(self.number)
        super().save(*args, **kwargs)

    def natural_key(self) -> tuple[str, str]:
        return (self.outcome.unit.code, self.number)

    natural_key.dependencies = ["criteria.learningoutcome"]

    def clean(self) -> None:
        match = CRITERION_NUMBER.match(self.number or "")
        if match and self.outcome_id and int(match["outcome"]) != self.outcome.number:
            # Keeps criterion numbers unique across the unit, not only within the outcome.
            raise ValidationError(
                {
                    "number": f"Criterion {self.number} must start with its outcome's number "
                    f"({self.outcome.number}.)."
                }
            )
        if match:
            # Derived here as well as in save(): the catalogue loader cleans every record but
            # saves it raw, past save(), as deserialized objects are.
            self.position = criterion_position(self.number)
