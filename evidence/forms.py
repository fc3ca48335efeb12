from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from criteria.models import Requirement, Unit
from evidence.models import (
    DEFAULT_TARGET_PERCENT,
    WITNESS_FIELDS,
    EvidenceItem,
    EvidenceKind,
    Portfolio,
    ReviewOutcome,
    RiskRating,
    SampleDecision,
    SamplingMethod,
)
from evidence.services import DECLARATION
from evidence.services.assessment import (
    ASSESSOR_RECORD_DECLARATION,
    CRITERION_SIGN_OFF_DECLARATION,
    LEARNER_CONFIRMATION,
    UNIT_COUNTERSIGNATURE,
    UNIT_SIGN_OFF_DECLARATION,
)
from evidence.services.quality import IQA_COUNTERSIGNATURE
from evidence.services.witness import WITNESS_DECLARATION
from portfolio_site.accounts.models import Centre, Role, User
from portfolio_site.accounts.selectors import centres_where, users_with_role


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class EvidenceItemForm(forms.ModelForm):
    """An item's details. `version` (editing) and `creation_token` (creating) travel with the
    form so that a stale or double-submitted form is recognised."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    creation_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = EvidenceItem
        fields = ["title", "kind", "activity_date", "narrative", *WITNESS_FIELDS]
        widgets = {
            "activity_date": DateInput(),
            # Filled by the rich-text editor (Trix) in the page; sanitised by the service.
            "narrative": forms.HiddenInput(),
        }
        labels = {
            "kind": "Type of evidence",
            "activity_date": "Date of the activity",
            "witness_name": "Witness's name",
            "witness_job_title": "Witness's job title",
            "witness_relationship": "Relationship to you",
            "witness_email": "Witness's email",
        }
        help_texts = {
            "title": 'A name you and your assessor will recognise, e.g. "Complaints process '
            'redesign, March".',
            "witness_relationship": 'e.g. "My line manager for two years".',
            "witness_email": "Your assessor may ask the witness to confirm their statement.",
        }

    def __init__(self, *args, kinds=None, **kwargs):
        super().__init__(*args, **kwargs)
        # An assessor writes observation and discussion records only.
        self.fields["kind"].choices = [
            (value, label)
            for value, label in EvidenceKind.choices
            if kinds is None or value in kinds
        ]
        for name in WITNESS_FIELDS:
            self.fields[name].required = False

    def clean_activity_date(self):
        date = self.cleaned_data["activity_date"]
        if date and date > timezone.localdate():
            raise ValidationError(
                "The date is in the future: give the date the activity took place."
            )
        return date

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == EvidenceKind.WITNESS_TESTIMONY:
            for name in WITNESS_FIELDS:
                if not cleaned.get(name):
                    self.add_error(name, "A witness testimony needs this.")
        return cleaned

    def item_fields(self) -> dict:
        return {name: self.cleaned_data.get(name) or "" for name in self.Meta.fields} | {
            "activity_date": self.cleaned_data["activity_date"]
        }


class SubmitForm(forms.Form):
    declared = forms.BooleanField(
        label=DECLARATION,
        error_messages={"required": "Confirm the declaration to submit this item."},
    )
    ai_use = forms.CharField(
        label="Did you use AI tools (such as ChatGPT or Copilot) for this evidence? If so, "
        "which, and for what?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Leave blank if you did not. Saying so is honest and expected; it does not "
        "count against you.",
    )


def parse_mapping_post(data) -> tuple[dict[int, str], int | None]:
    """The criteria ticked in the picker, with the reference typed for each, and the version
    the form was opened at. Malformed ids raise ValidationError (nothing is saved)."""
    references = {}
    for value in data.getlist("criteria"):
        try:
            criterion_id = int(value)
        except (TypeError, ValueError):
            raise ValidationError(
                "The form was not understood; reload the page and try again."
            ) from None
        references[criterion_id] = data.get(f"reference-{criterion_id}", "")
    try:
        version = int(data.get("version", ""))
    except ValueError:
        version = None
    return references, version


def optional_units(qualification) -> QuerySet[Unit]:
    """The units a learner may choose on ``qualification`` (none when it is not chosen)."""
    if qualification is None:
        return Unit.objects.none()
    return (
        Unit.objects.filter(qualification_links__qualification=qualification)
        .exclude(qualification_links__requirement=Requirement.MANDATORY)
        .order_by("title")
    )


class PortfolioForm(forms.ModelForm):
    """Enrol a learner (or change an enrolment) at one centre: every person offered holds the
    right role at that centre."""

    class Meta:
        model = Portfolio
        fields = [
            "learner",
            "qualification",
            "chosen_units",
            "assessor",
            "iqa",
            "start_date",
            "planned_end_date",
            "registration_number",
            "registered_on",
            "employer",
            "status",
        ]
        widgets = {
            "start_date": DateInput(),
            "planned_end_date": DateInput(),
            "registered_on": DateInput(),
            "chosen_units": forms.CheckboxSelectMultiple,
        }
        labels = {"chosen_units": "Optional units", "iqa": "Internal quality assurer"}

    def __init__(self, *args, centre: Centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.centre = centre

        self.fields["learner"].queryset = users_with_role(role=Role.LEARNER, centres=centre)
        self.fields["assessor"].queryset = users_with_role(role=Role.ASSESSOR, centres=centre)
        self.fields["iqa"].queryset = users_with_role(role=Role.IQA, centres=centre)
        for name in ("learner", "assessor", "iqa"):
            self.fields[name].label_from_instance = lambda user: f"{user} ({user.username})"

        self.fields["chosen_units"].queryset = optional_units(self._qualification())
        self.fields[
            "chosen_units"
        ].help_text = (
            "Mandatory units are always included. Choose the optional units this learner takes."
        )
        if self.instance.pk:
            # The learner is who the portfolio belongs to; a different learner is a new one.
            self.fields["learner"].disabled = True
        else:
            del self.fields["status"]

    def _qualification(self):
        if self.is_bound:
            try:
                return self.fields["qualification"].clean(self.data.get("qualification"))
            except ValidationError:
                return None
        return self.instance.qualification if self.instance.qualification_id else None


# --- Assessment -------------------------------------------------------------------------------


def parse_review_post(data, criterion_ids) -> dict[int, tuple[bool, str]]:
    """The review form's decision per mapped criterion: `decision-<id>` is "met" or
    "not_met", `feedback-<id>` the feedback. Undecided criteria are left out (the service
    asks for them)."""
    decisions = {}
    for criterion_id in criterion_ids:
        choice = data.get(f"decision-{criterion_id}")
        if choice in ("met", "not_met"):
            decisions[criterion_id] = (choice == "met", data.get(f"feedback-{criterion_id}", ""))
    return decisions


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=ReviewOutcome.choices, widget=forms.HiddenInput)
    feedback = forms.CharField(
        label="Overall feedback to the learner",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Required when you refer the item back: say what to change.",
    )


def _declaration(text: str, required_message: str) -> forms.BooleanField:
    return forms.BooleanField(label=text, error_messages={"required": required_message})


class RecordSendForm(forms.Form):
    declared = _declaration(ASSESSOR_RECORD_DECLARATION, "Confirm the declaration to send it.")


class RecordConfirmForm(forms.Form):
    declared = _declaration(LEARNER_CONFIRMATION, "Tick the box to confirm the record.")


class RecordReturnForm(forms.Form):
    comment = forms.CharField(
        label="What is not accurate?", widget=forms.Textarea(attrs={"rows": 3})
    )


class CriteriaSignOffForm(forms.Form):
    declared = _declaration(CRITERION_SIGN_OFF_DECLARATION, "Confirm the declaration to sign off.")


class UnitSignOffForm(forms.Form):
    declared = _declaration(UNIT_SIGN_OFF_DECLARATION, "Confirm the declaration to sign off.")


class CountersignForm(forms.Form):
    declared = _declaration(UNIT_COUNTERSIGNATURE, "Confirm the declaration to countersign.")


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing this sign-off?",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the sign-off for the learner, IQA and EQA to read.",
    )


class WitnessSignForm(forms.Form):
    comments = forms.CharField(
        label="Your comments (optional)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Anything you want to add about what you saw.",
    )
    confirmed = forms.BooleanField(
        label=WITNESS_DECLARATION,
        error_messages={"required": "Tick the box to confirm the statement is accurate."},
    )
    typed_name = forms.CharField(label="Type your full name to sign", max_length=200)
    # The SHA-256 of the statement on the page: the witness signs what they were shown.
    statement_sha256 = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


# --- Quality assurance ------------------------------------------------------------------------


class SamplingPlanForm(forms.Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.none())
    assessor = forms.ModelChoiceField(queryset=User.objects.none())
    unit = forms.ModelChoiceField(queryset=Unit.objects.order_by("title"))
    risk_rating = forms.ChoiceField(choices=RiskRating.choices, label="Risk")
    method = forms.ChoiceField(choices=SamplingMethod.choices)
    target_percent = forms.IntegerField(
        min_value=1,
        max_value=100,
        required=False,
        label="Target (% of learners)",
        help_text="Leave blank for the usual target for the risk: "
        + ", ".join(
            f"{RiskRating(k).label.lower()} {v}%" for k, v in DEFAULT_TARGET_PERCENT.items()
        )
        + ".",
    )
    rationale = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why this risk: a new assessor, a new unit, past disagreements ...",
    )

    def __init__(self, *args, iqa: User, **kwargs):
        super().__init__(*args, **kwargs)
        centres = centres_where(user=iqa, role=Role.IQA)
        self.fields["centre"].queryset = centres
        if centres.count() == 1:
            self.fields["centre"].initial = centres.first()
        self.fields["assessor"].queryset = users_with_role(
            role=Role.ASSESSOR, centres=centres
        ).exclude(pk=iqa.pk)


class IqaSampleForm(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), label="Unit sampled")
    method = forms.ChoiceField(choices=SamplingMethod.choices)
    decision = forms.ChoiceField(choices=SampleDecision.choices, widget=forms.RadioSelect)
    comments = forms.CharField(
        label="What you checked and found", widget=forms.Textarea(attrs={"rows": 4})
    )
    actions = forms.CharField(
        label="Actions for the assessor",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required if you disagree.",
    )

    def __init__(self, *args, units, countersign: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units
        if units.count() == 1:
            self.fields["unit"].initial = units.first()
        if countersign:
            self.fields["countersign"] = forms.BooleanField(
                required=False, label=f"Countersign the unit sign-off: {IQA_COUNTERSIGNATURE}"
            )


class EqaGrantForm(forms.Form):
    eqa = forms.ModelChoiceField(queryset=User.objects.none(), label="External quality assurer")
    portfolios = forms.ModelMultipleChoiceField(
        queryset=Portfolio.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    expires_on = forms.DateField(widget=DateInput(), label="Access until (inclusive)")

    def __init__(self, *args, centre: Centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["eqa"].queryset = users_with_role(role=Role.EQA, centres=centre)
        self.fields["portfolios"].queryset = (
            Portfolio.objects.filter(centre=centre)
            .select_related("learner", "qualification")
            .order_by("learner__last_name", "learner__first_name")
        )
        self.fields["portfolios"].label_from_instance = lambda portfolio: (
            f"{portfolio.learner} · {portfolio.qualification}"
        )
