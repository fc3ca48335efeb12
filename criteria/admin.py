"""Django admin for editing the catalogue.

Edits here are overwritten the next time ``load_catalogue`` runs from fixtures that say
otherwise; keep fixtures the source of truth (README.md, "Catalogue").
"""

from django.contrib import admin

from criteria.models import (
    AssessmentCriterion,
    AwardingOrganisation,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Unit,
)


@admin.register(AwardingOrganisation)
class AwardingOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "short_name", "code"]
    search_fields = ["name", "short_name", "code"]


class QualificationUnitInline(admin.TabularInline):
    model = QualificationUnit
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Qualification)
class QualificationAdmin(admin.ModelAdmin):
    list_display = ["title", "awarding_organisation", "level", "framework", "qualification_number"]
    list_filter = ["awarding_organisation", "level", "framework"]
    search_fields = ["title", "code", "qualification_number"]
    inlines = [QualificationUnitInline]


class LearningOutcomeInline(admin.TabularInline):
    model = LearningOutcome
    extra = 0
    show_change_link = True  # criteria are edited on the outcome's own page


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["title", "reference", "level", "credit_value", "guided_learning_hours"]
    list_filter = ["level", "qualifications"]
    search_fields = ["title", "code", "reference"]
    inlines = [LearningOutcomeInline]
    fieldsets = [
        (None, {"fields": ["title", "code", "reference"]}),
        ("Size", {"fields": ["level", "credit_value", "guided_learning_hours"]}),
        (
            "Guidance for learners",
            {
                "fields": [
                    "synopsis",
                    "key_concepts",
                    "assessment_guidance",
                    "common_mistakes",
                    "prior_knowledge",
                ]
            },
        ),
    ]


class AssessmentCriterionInline(admin.StackedInline):
    model = AssessmentCriterion
    extra = 0


@admin.register(LearningOutcome)
class LearningOutcomeAdmin(admin.ModelAdmin):
    list_display = ["unit", "number", "text"]
    list_filter = ["unit"]
    search_fields = ["text", "unit__title"]
    inlines = [AssessmentCriterionInline]


@admin.register(AssessmentCriterion)
class AssessmentCriterionAdmin(admin.ModelAdmin):
    list_display = ["number", "text", "outcome"]
    list_filter = ["outcome__unit"]
    search_fields = ["number", "text", "outcome__unit__title"]
    list_select_related = ["outcome__unit"]
