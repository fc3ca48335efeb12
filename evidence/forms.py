from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from criteria.models import Requirement, Unit
from evidence.models import WITNESS_FIELDS, EvidenceItem, EvidenceKind, Portfolio
from evidence.services import DECLARATION
from portfolio_site.accounts.models import Centre, Role, User


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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = EvidenceKind.choices
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


class UploadForm(forms.Form):
    file = forms.FileField(label="Add a file")


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
            "status",
        ]
        widgets = {
            "start_date": DateInput(),
            "planned_end_date": DateInput(),
            "chosen_units": forms.CheckboxSelectMultiple,
        }
        labels = {"chosen_units": "Optional units", "iqa": "Internal quality assurer"}

    def __init__(self, *args, centre: Centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.centre = centre

        def people(role: Role):
            return User.objects.filter(
                memberships__centre=centre, memberships__role=role, memberships__is_active=True
            ).order_by("last_name", "first_name", "username")

        self.fields["learner"].queryset = people(Role.LEARNER)
        self.fields["assessor"].queryset = people(Role.ASSESSOR)
        self.fields["iqa"].queryset = people(Role.IQA)
        for name in ("learner", "assessor", "iqa"):
            self.fields[name].label_from_instance = lambda user: f"{user} ({user.username})"

        qualification = self._qualification()
        self.fields["chosen_units"].queryset = (
            Unit.objects.filter(qualification_links__qualification=qualification)
            .exclude(qualification_links__requirement=Requirement.MANDATORY)
            .order_by("title")
            if qualification
            else Unit.objects.none()
        )
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
