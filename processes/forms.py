"""The process map forms, above all the version editor.

The editor is one HTML form holding a formset per kind of row (lanes, steps, flows, SIPOC
rows, causes, KPIs). Rows refer to each other by a ``ref`` kept in a hidden field ("lane12",
"s40" for saved rows, "n" + random hex for rows added in the page), so a step can be put in a
lane, and a flow can join two steps, before anything is saved. ``VersionEditor.map_data()``
turns a valid editor into the MapData the preview draws and the service saves.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, formset_factory
from django.utils import timezone

from processes.diagram import (
    CauseData,
    FlowData,
    KpiData,
    LaneData,
    MapData,
    SipocRowData,
    StepData,
)
from processes.models import (
    ApprovalDecision,
    CauseCategory,
    ProcessMap,
    StakeholderApproval,
    StepKind,
    Technique,
    ValueClass,
    VersionState,
)


def new_ref() -> str:
    return "n" + uuid.uuid4().hex[:10]


class ProcessMapForm(forms.ModelForm):
    techniques = forms.MultipleChoiceField(
        choices=Technique.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="The units ask for at least two techniques. You can change these later.",
    )
    creation_token = forms.UUIDField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = ProcessMap
        fields = ["title", "business_need", "techniques"]
        widgets = {"business_need": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"title": 'The process in a few words, e.g. "Complaint handling".'}


# The editor's rows ----------------------------------------------------------------------


class CompactRowMixin:
    """Small Bootstrap controls: the editor shows many rows, on phones too."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if getattr(widget, "input_type", "") == "checkbox":
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.Select):
                widget.attrs.setdefault("class", "form-select form-select-sm")
            elif not widget.is_hidden:
                widget.attrs.setdefault("class", "form-control form-control-sm")


class RowFormSet(BaseFormSet):
    """Every row is optional: a row left blank (or a blank row added by mistake) is ignored.
    Rows are plain forms, not model forms: the service writes the version's rows whole."""

    def initial_form_count(self):
        return 0 if self.is_bound else super().initial_form_count()

    def kept_forms(self):
        return [
            form
            for form in self.forms
            if form.has_changed() and not (self.can_delete and self._should_delete_form(form))
        ]


def _text(max_length: int, label: str, **kwargs) -> forms.CharField:
    return forms.CharField(max_length=max_length, label=label, required=False, **kwargs)


def _number(label: str, default: int = 0, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        initial=default,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        **kwargs,
    )


class LaneRowForm(CompactRowMixin, forms.Form):
    ref = forms.CharField(widget=forms.HiddenInput, required=False)
    name = _text(100, "Lane (role or department)")

    def has_changed(self):
        return bool(self.data.get(self.add_prefix("name"), "").strip()) if self.is_bound else True


class StepRowForm(CompactRowMixin, forms.Form):
    ref = forms.CharField(widget=forms.HiddenInput, required=False)
    lane = forms.ChoiceField(label="Lane", choices=(), required=False)
    kind = forms.ChoiceField(label="Kind", choices=StepKind.choices, initial=StepKind.TASK)
    label = _text(120, "Step")
    inputs = _text(300, "Inputs")
    outputs = _text(300, "Outputs")
    customer_touchpoint = forms.BooleanField(label="Customer touchpoint", required=False)
    value_class = forms.ChoiceField(
        label="Value", choices=ValueClass.choices, initial=ValueClass.BUSINESS_NECESSARY
    )
    process_minutes = _number("Process time (min)")
    wait_minutes = _number("Wait before (min)")
    percent_complete_accurate = _number("% complete and accurate", default=100, max_value=100)
    cost = _number("Cost (£)")

    def __init__(self, *args, lanes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lane"].choices = [("", "Choose a lane"), *lanes]

    def has_changed(self):
        return bool(self.data.get(self.add_prefix("label"), "").strip()) if self.is_bound else True

    def clean(self):
        cleaned = super().clean()
        if self.has_changed() and not cleaned.get("lane"):
            self.add_error("lane", "Choose the lane this step happens in.")
        return cleaned


class FlowRowForm(CompactRowMixin, forms.Form):
    source = forms.ChoiceField(label="From", choices=(), required=False)
    target = forms.ChoiceField(label="To", choices=(), required=False)
    condition = _text(60, "Condition", help_text='For a decision: "Yes", "No" ...')

    def __init__(self, *args, steps=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "Choose a step"), *steps]
        self.fields["source"].choices = choices
        self.fields["target"].choices = choices

    def has_changed(self):
        if not self.is_bound:
            return True
        return bool(
            self.data.get(self.add_prefix("source")) or self.data.get(self.add_prefix("target"))
        )

    def clean(self):
        cleaned = super().clean()
        if not self.has_changed():
            return cleaned
        if not cleaned.get("source"):
            self.add_error("source", "Choose where the flow starts.")
        if not cleaned.get("target"):
            self.add_error("target", "Choose where the flow goes.")
        if cleaned.get("source") and cleaned.get("source") == cleaned.get("target"):
            self.add_error("target", "A flow goes to another step.")
        return cleaned


class SipocRowForm(CompactRowMixin, forms.Form):
    suppliers = _text(300, "Suppliers")
    inputs = _text(300, "Inputs")
    process = _text(300, "Process")
    outputs = _text(300, "Outputs")
    customers = _text(300, "Customers")

    def has_changed(self):
        if not self.is_bound:
            return True
        return any(self.data.get(self.add_prefix(name), "").strip() for name in self.fields)


class CauseRowForm(CompactRowMixin, forms.Form):
    category = forms.ChoiceField(label="Category", choices=CauseCategory.choices)
    text = _text(200, "Cause")

    def has_changed(self):
        return bool(self.data.get(self.add_prefix("text"), "").strip()) if self.is_bound else True


class KpiRowForm(CompactRowMixin, forms.Form):
    name = _text(100, "KPI")
    unit = _text(30, "Unit")
    higher_is_better = forms.BooleanField(label="Higher is better", required=False, initial=True)
    baseline = forms.DecimalField(label="Baseline", required=False, max_digits=14, decimal_places=2)
    target = forms.DecimalField(label="Target", required=False, max_digits=14, decimal_places=2)
    measured = forms.DecimalField(label="Measured", required=False, max_digits=14, decimal_places=2)
    source = _text(200, "Source")
    measured_on = forms.DateField(
        label="Date measured",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def has_changed(self):
        return bool(self.data.get(self.add_prefix("name"), "").strip()) if self.is_bound else True

    def clean(self):
        cleaned = super().clean()
        if self.has_changed() and not cleaned.get("unit", "").strip():
            self.add_error("unit", 'Say what the figure counts, e.g. "%" or "minutes".')
        return cleaned


def _formset(form, **kwargs):
    return formset_factory(form, formset=RowFormSet, extra=0, can_delete=True, **kwargs)


LaneFormSet = _formset(LaneRowForm)
StepFormSet = _formset(StepRowForm)
FlowFormSet = _formset(FlowRowForm)
SipocFormSet = _formset(SipocRowForm)
CauseFormSet = _formset(CauseRowForm)
KpiFormSet = _formset(KpiRowForm)


class VersionDetailsForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    state = forms.ChoiceField(label="This version shows", choices=VersionState.choices)
    change_note = forms.CharField(
        label="What changed, and why",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    effect = forms.CharField(
        label="Problem the cause-and-effect diagram explains", required=False, max_length=200
    )


def _dec(value, default) -> Decimal:
    return Decimal(default) if value is None else value


class VersionEditor:
    """All the editor's forms, bound together, with the refs that join their rows."""

    SECTIONS = ("lanes", "steps", "flows", "sipoc", "causes", "kpis")

    def __init__(
        self,
        data=None,
        *,
        techniques=(),
        saved: MapData | None = None,
        initial: MapData | None = None,
        details_initial=None,
    ):
        """``techniques`` decide which sections the page shows; the rows of a section it
        does not show (a technique dropped from the map) are kept from ``saved``."""
        self.is_bound = data is not None
        self.shown = sections_for(techniques)
        self.saved = saved or MapData(title="")
        self.details = VersionDetailsForm(data, initial=details_initial, prefix="version")
        self.lanes = LaneFormSet(data, prefix="lanes", initial=self._lane_rows(initial))
        lane_choices = self._choices(data, "lanes", "name", initial, "lanes")
        self.steps = StepFormSet(
            data,
            prefix="steps",
            initial=self._step_rows(initial),
            form_kwargs={"lanes": lane_choices},
        )
        step_choices = self._choices(data, "steps", "label", initial, "steps")
        self.flows = FlowFormSet(
            data,
            prefix="flows",
            initial=self._flow_rows(initial),
            form_kwargs={"steps": step_choices},
        )
        self.sipoc = SipocFormSet(data, prefix="sipoc", initial=self._plain_rows(initial, "sipoc"))
        self.causes = CauseFormSet(
            data, prefix="causes", initial=self._plain_rows(initial, "causes")
        )
        self.kpis = KpiFormSet(data, prefix="kpis", initial=self._plain_rows(initial, "kpis"))
        for name in self.SECTIONS:
            if name not in self.shown:
                formset = getattr(self, name)
                setattr(
                    self,
                    name,
                    type(formset)(prefix=formset.prefix, form_kwargs=formset.form_kwargs),
                )

    # Initial rows from a saved version ---------------------------------------------------

    @staticmethod
    def _lane_rows(initial):
        if initial is None:
            return None
        return [{"ref": lane.key, "name": lane.name} for lane in initial.lanes]

    @staticmethod
    def _step_rows(initial):
        if initial is None:
            return None
        return [{"ref": step.key, **_step_fields(step)} for step in initial.steps]

    @staticmethod
    def _flow_rows(initial):
        if initial is None:
            return None
        return [
            {"source": flow.source, "target": flow.target, "condition": flow.condition}
            for flow in initial.flows
        ]

    @staticmethod
    def _plain_rows(initial, name):
        if initial is None:
            return None
        return [asdict(row) for row in getattr(initial, name)]

    @staticmethod
    def _choices(data, prefix, label_field, initial, attribute):
        """(ref, label) of the rows of one formset, from the posted data or the version."""
        if data is None:
            if initial is None:
                return []
            rows = getattr(initial, attribute)
            return [(row.key, getattr(row, "name", None) or row.label) for row in rows]
        try:
            total = min(int(data.get(f"{prefix}-TOTAL_FORMS", 0)), 1000)
        except ValueError:
            total = 0
        choices = []
        for index in range(total):
            ref = data.get(f"{prefix}-{index}-ref", "")
            label = data.get(f"{prefix}-{index}-{label_field}", "").strip()
            # Deleted rows stay choosable, so that the editor can explain what depends on
            # them (a lane) or drop what hangs off them (a flow) instead of a bare "invalid".
            if data.get(f"{prefix}-{index}-DELETE"):
                label = f"{label} (deleted)"
            if ref and label:
                choices.append((ref, label))
        return choices

    # Validation and conversion -----------------------------------------------------------

    def formsets(self):
        """The formsets the page shows (the others are not posted)."""
        return [getattr(self, name) for name in self.SECTIONS if name in self.shown]

    def is_valid(self) -> bool:
        valid = self.details.is_valid() & all([fs.is_valid() for fs in self.formsets()])
        return valid and self._check_references()

    def _check_references(self) -> bool:
        """Rows that point at deleted rows: a lane still holding steps cannot go."""
        kept_lanes = {form.cleaned_data["ref"] for form in self.lanes.kept_forms()}
        ok = True
        for form in self.steps.kept_forms():
            if form.cleaned_data["lane"] not in kept_lanes:
                form.add_error("lane", "This lane was deleted: choose another one.")
                ok = False
        return ok

    def dropped_flows(self) -> int:
        kept = {form.cleaned_data["ref"] for form in self.steps.kept_forms()}
        return sum(
            1
            for form in self.flows.kept_forms()
            if form.cleaned_data["source"] not in kept or form.cleaned_data["target"] not in kept
        )

    def map_data(self, title: str = "") -> MapData:
        """The edited content (call after is_valid()). Flows to or from a deleted step go
        with it; duplicate flows are refused by the service."""
        lanes = tuple(
            LaneData(key=form.cleaned_data["ref"], name=form.cleaned_data["name"].strip())
            for form in self.lanes.kept_forms()
        )
        steps = []
        for form in self.steps.kept_forms():
            data = form.cleaned_data
            steps.append(
                StepData(
                    key=data["ref"],
                    lane=data["lane"],
                    kind=data["kind"],
                    label=data["label"].strip(),
                    inputs=data["inputs"].strip(),
                    outputs=data["outputs"].strip(),
                    customer_touchpoint=data["customer_touchpoint"],
                    value_class=data["value_class"],
                    process_minutes=_dec(data["process_minutes"], 0),
                    wait_minutes=_dec(data["wait_minutes"], 0),
                    percent_complete_accurate=_dec(data["percent_complete_accurate"], 100),
                    cost=_dec(data["cost"], 0),
                )
            )
        step_keys = {step.key for step in steps}
        flows = tuple(
            FlowData(
                source=form.cleaned_data["source"],
                target=form.cleaned_data["target"],
                condition=form.cleaned_data["condition"].strip(),
            )
            for form in self.flows.kept_forms()
            if form.cleaned_data["source"] in step_keys and form.cleaned_data["target"] in step_keys
        )
        sipoc = tuple(
            SipocRowData(
                **{name: form.cleaned_data[name].strip() for name in SipocRowForm.base_fields}
            )
            for form in self.sipoc.kept_forms()
        )
        causes = tuple(
            CauseData(
                category=form.cleaned_data["category"], text=form.cleaned_data["text"].strip()
            )
            for form in self.causes.kept_forms()
        )
        kpis = tuple(
            KpiData(
                name=form.cleaned_data["name"].strip(),
                unit=form.cleaned_data["unit"].strip(),
                higher_is_better=form.cleaned_data["higher_is_better"],
                baseline=form.cleaned_data["baseline"],
                target=form.cleaned_data["target"],
                measured=form.cleaned_data["measured"],
                source=form.cleaned_data["source"].strip(),
                measured_on=form.cleaned_data["measured_on"],
            )
            for form in self.kpis.kept_forms()
        )
        saved = self.saved
        flow_shown = "steps" in self.shown
        return MapData(
            title=title,
            lanes=lanes if flow_shown else saved.lanes,
            steps=tuple(steps) if flow_shown else saved.steps,
            flows=flows if flow_shown else saved.flows,
            sipoc=sipoc if "sipoc" in self.shown else saved.sipoc,
            causes=causes if "causes" in self.shown else saved.causes,
            kpis=kpis,
            effect=self.details.cleaned_data.get("effect", "").strip()
            if "causes" in self.shown
            else saved.effect,
        )

    def errors_summary(self) -> list[str]:
        """Plain sentences naming the rows that need attention (for the preview)."""
        summary = [
            f"{self.details.fields[name].label}: {' '.join(errors)}"
            for name, errors in self.details.errors.items()
            if name in self.details.fields
        ]
        titles = {
            "lanes": "Lane",
            "steps": "Step",
            "flows": "Flow",
            "sipoc": "SIPOC row",
            "causes": "Cause",
            "kpis": "KPI",
        }
        for name in self.SECTIONS:
            if name not in self.shown:
                continue
            formset = getattr(self, name)
            summary.extend(str(error) for error in formset.non_form_errors())
            for index, form in enumerate(formset.forms, start=1):
                for field, errors in form.errors.items():
                    where = f"{titles[name]} {index}"
                    if field in form.fields:
                        where += f", {form.fields[field].label}"
                    summary.append(f"{where}: {' '.join(errors)}")
        return summary


def sections_for(techniques) -> set[str]:
    """The editor sections a map's techniques need (KPIs always)."""
    techniques = set(techniques)
    shown = {"kpis"}
    if {Technique.SWIMLANE, Technique.VALUE_STREAM} & techniques:
        shown |= {"lanes", "steps", "flows"}
    if Technique.SIPOC in techniques:
        shown.add("sipoc")
    if Technique.FISHBONE in techniques:
        shown.add("causes")
    return shown


def add_row(data, section: str):
    """A copy of the posted editor with one more (blank) row in ``section``."""
    if section not in VersionEditor.SECTIONS:
        raise ValidationError("Unknown section.")
    data = data.copy()
    try:
        total = int(data.get(f"{section}-TOTAL_FORMS", 0))
    except ValueError:
        total = 0
    data[f"{section}-TOTAL_FORMS"] = str(total + 1)
    if section in ("lanes", "steps"):
        data[f"{section}-{total}-ref"] = new_ref()
    if section == "steps":
        # A new step starts in the lane of the step above it, or the first lane.
        data[f"steps-{total}-lane"] = data.get(f"steps-{total - 1}-lane") or data.get(
            "lanes-0-ref", ""
        )
        data[f"steps-{total}-kind"] = StepKind.TASK
        data[f"steps-{total}-value_class"] = ValueClass.BUSINESS_NECESSARY
        data[f"steps-{total}-percent_complete_accurate"] = "100"
    if section == "kpis":
        data[f"kpis-{total}-higher_is_better"] = "on"
    if section == "causes":
        data[f"causes-{total}-category"] = CauseCategory.PEOPLE
    return data


def _step_fields(step: StepData) -> dict:
    return {
        "lane": step.lane,
        "kind": step.kind,
        "label": step.label,
        "inputs": step.inputs,
        "outputs": step.outputs,
        "customer_touchpoint": step.customer_touchpoint,
        "value_class": step.value_class,
        "process_minutes": step.process_minutes,
        "wait_minutes": step.wait_minutes,
        "percent_complete_accurate": step.percent_complete_accurate,
        "cost": step.cost,
    }


class NewVersionForm(forms.Form):
    state = forms.ChoiceField(
        label="The new version shows",
        choices=VersionState.choices,
        initial=VersionState.FUTURE,
        widget=forms.RadioSelect,
    )
    change_note = forms.CharField(
        label="What you mean to change, and why",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ApprovalForm(forms.ModelForm):
    class Meta:
        model = StakeholderApproval
        fields = ["name", "role", "decision", "decided_on", "comment"]
        widgets = {
            "decided_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "comment": forms.Textarea(attrs={"rows": 2}),
            "decision": forms.RadioSelect,
        }
        help_texts = {"role": 'e.g. "Customer service manager"'}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["decision"].choices = ApprovalDecision.choices


class ApprovalRequestForm(forms.Form):
    """Whom to email a link to decide on a version."""

    name = forms.CharField(label="Stakeholder's name", max_length=200)
    role = forms.CharField(
        label="Stakeholder's role",
        max_length=200,
        help_text='e.g. "Customer service manager"',
    )
    email = forms.EmailField(label="Stakeholder's email address")


class StakeholderDecisionForm(forms.Form):
    """The stakeholder's own page, reached by their link."""

    decision = forms.ChoiceField(
        choices=ApprovalDecision.choices, widget=forms.RadioSelect, label="Your decision"
    )
    comment = forms.CharField(
        label="Comments (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    typed_name = forms.CharField(label="Type your full name", max_length=200)
    # The hash of the content the page showed: the stakeholder decides on what they saw.
    content_sha256 = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)


class BpmnImportForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput)
    file = forms.FileField(
        label="BPMN 2.0 file (.bpmn or .xml)",
        widget=forms.ClearableFileInput(attrs={"accept": ".bpmn,.xml,application/xml,text/xml"}),
    )
