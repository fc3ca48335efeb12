from django import forms
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils import timezone

from criteria.models import Qualification, Requirement, Unit
from evidence.forms import DateInput, optional_units
from people.services import CASELOAD_ROLES, Enrolment
from portfolio_site.accounts.models import Centre, Role
from portfolio_site.accounts.selectors import users_with_role
from portfolio_site.accounts.validators import uln_problem


def _person_label(user) -> str:
    return f"{user} ({user.email or user.username})"


class PersonForm(forms.Form):
    """Add a person: who they are, their roles, and for a learner the enrolment and the
    learner record (all optional: a learner can be enrolled later)."""

    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="They sign in with this, and the invitation goes here.")
    roles = forms.MultipleChoiceField(
        choices=Role.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one role."},
    )
    uln = forms.CharField(
        label="ULN (Unique Learner Number)",
        max_length=10,
        required=False,
        help_text="Learners only: the 10-digit number from the Learning Records Service.",
    )
    qualification = forms.ModelChoiceField(
        queryset=Qualification.objects.order_by("title"),
        required=False,
        help_text="Learners: enrol them now, or later from the centre dashboard.",
    )
    chosen_units = forms.ModelMultipleChoiceField(
        label="Optional units",
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    assessor = forms.ModelChoiceField(queryset=None, required=False)
    iqa = forms.ModelChoiceField(label="Internal quality assurer", queryset=None, required=False)
    start_date = forms.DateField(widget=DateInput(), required=False)
    planned_end_date = forms.DateField(widget=DateInput(), required=False)
    registration_number = forms.CharField(
        label="Awarding organisation registration number", max_length=40, required=False
    )
    registered_on = forms.DateField(label="Date registered", widget=DateInput(), required=False)
    employer = forms.CharField(label="Employer or workplace", max_length=200, required=False)

    ENROLMENT_FIELDS = (
        "qualification",
        "chosen_units",
        "assessor",
        "iqa",
        "start_date",
        "planned_end_date",
        "registration_number",
        "registered_on",
        "employer",
    )

    def __init__(self, *args, centre: Centre, **kwargs):
        super().__init__(*args, **kwargs)
        self.centre = centre
        self.fields["assessor"].queryset = users_with_role(role=Role.ASSESSOR, centres=centre)
        self.fields["iqa"].queryset = users_with_role(role=Role.IQA, centres=centre)
        for name in ("assessor", "iqa"):
            self.fields[name].label_from_instance = _person_label
        self.fields["chosen_units"].queryset = optional_units(self._qualification())
        self.fields[
            "chosen_units"
        ].help_text = (
            "Mandatory units are always included. Choose the optional units this learner takes."
        )

    def _qualification(self):
        if not self.is_bound:
            return None
        try:
            return self.fields["qualification"].clean(self.data.get("qualification"))
        except ValidationError:
            return None

    def clean_uln(self):
        uln = self.cleaned_data["uln"].strip().replace(" ", "")
        if uln and (problem := uln_problem(uln)):
            raise ValidationError(problem)
        return uln

    def clean(self):
        cleaned = super().clean()
        learner = Role.LEARNER in cleaned.get("roles", [])
        if not learner:
            for name in ("uln", *self.ENROLMENT_FIELDS):
                if cleaned.get(name):
                    self.add_error(
                        name, "Only for a learner: tick the Learner role, or clear this."
                    )
            return cleaned
        if cleaned.get("qualification"):
            if not cleaned.get("start_date"):
                cleaned["start_date"] = timezone.localdate()
        else:
            for name in self.ENROLMENT_FIELDS[1:]:
                if cleaned.get(name):
                    self.add_error(name, "Choose the qualification this belongs to.")
        return cleaned

    def enrolment(self) -> Enrolment | None:
        data = self.cleaned_data
        qualification = data.get("qualification")
        if qualification is None:
            return None
        mandatory = list(
            Unit.objects.filter(
                qualification_links__qualification=qualification,
                qualification_links__requirement=Requirement.MANDATORY,
            )
        )
        return Enrolment(
            qualification=qualification,
            start_date=data["start_date"],
            units=mandatory + list(data.get("chosen_units") or []),
            assessor=data.get("assessor"),
            iqa=data.get("iqa"),
            planned_end_date=data.get("planned_end_date"),
            registration_number=data.get("registration_number", ""),
            registered_on=data.get("registered_on"),
            employer=data.get("employer", ""),
        )


class PersonEditForm(forms.Form):
    first_name = forms.CharField(max_length=150)
    last_name = forms.CharField(max_length=150)
    email = forms.EmailField(help_text="Their sign-in: tell them when you change it.")
    uln = forms.CharField(label="ULN (Unique Learner Number)", max_length=10, required=False)

    def __init__(self, *args, is_learner: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_learner:
            del self.fields["uln"]

    def clean_uln(self):
        uln = self.cleaned_data["uln"].strip().replace(" ", "")
        if uln and (problem := uln_problem(uln)):
            raise ValidationError(problem)
        return uln


class RoleAddForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class MembershipEndForm(forms.Form):
    ended_on = forms.DateField(
        label="Last day in the role",
        widget=DateInput(),
        help_text="Today or earlier. Until they leave, suspend the role instead.",
    )
    reason = forms.CharField(max_length=300, required=False, label="Reason (for the audit trail)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ended_on"].initial = timezone.localdate()


class ReassignForm(forms.Form):
    role = forms.ChoiceField(
        choices=[(role.value, role.label) for role in CASELOAD_ROLES],
        widget=forms.RadioSelect,
        initial=Role.ASSESSOR.value,
    )
    from_user = forms.ModelChoiceField(label="From", queryset=None)
    to_user = forms.ModelChoiceField(label="To", queryset=None)
    move_all = forms.BooleanField(
        label="Move all of their open caseload", required=False, initial=False
    )
    portfolios = forms.TypedMultipleChoiceField(
        label="Or choose the learners to move",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Goes in the audit trail and to both people, "
        'e.g. "Sam\'s caseload while on leave".',
    )

    def __init__(self, *args, centre: Centre, holders, candidates, portfolio_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_user"].queryset = holders
        self.fields["to_user"].queryset = candidates
        self.fields["from_user"].label_from_instance = lambda user: (
            f"{_person_label(user)}: {user.caseload} open"
        )
        self.fields["to_user"].label_from_instance = _person_label
        self.fields["portfolios"].choices = portfolio_choices

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("move_all") and not cleaned.get("portfolios"):
            self.add_error("portfolios", "Tick the learners to move, or move all of them.")
        return cleaned


class CentreForm(forms.ModelForm):
    class Meta:
        model = Centre
        fields = ["name", "centre_number", "address"]
        labels = {"centre_number": "Awarding organisation centre number"}
        widgets = {"address": forms.Textarea(attrs={"rows": 4})}


class InvitationAcceptForm(SetPasswordForm):
    """Django's set-password form (its validators and messages), for the invited person."""
