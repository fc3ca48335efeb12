"""Process maps: the one source of truth behind every diagram, figure and BPMN file.

A map belongs to a learner's portfolio and has numbered versions. Each version holds its own
lanes, steps, flows, SIPOC rows, causes and KPIs, so that an approved version stays exactly as
it was approved while the learner works on the next one (a new version starts as a copy).
Times are in minutes, costs in pounds, accuracy in percent.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from evidence.models import EvidenceItem, Portfolio


class Technique(models.TextChoices):
    SWIMLANE = "swimlane", "Swimlane flowchart"
    SIPOC = "sipoc", "SIPOC"
    VALUE_STREAM = "value_stream", "Value-stream map"
    FISHBONE = "fishbone", "Cause and effect (fishbone)"


class ProcessMap(models.Model):
    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="process_maps")
    title = models.CharField(max_length=200)
    business_need = models.TextField(
        help_text="What the organisation needs from this process, and why it is being mapped."
    )
    # A list of Technique values; services.process_maps.clean_techniques checks it.
    techniques = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    creation_token = models.UUIDField(default=uuid.uuid4, editable=False)

    class Meta:
        ordering = ["-updated_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "creation_token"], name="process_map_created_once"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def technique_labels(self) -> list[str]:
        labels = dict(Technique.choices)
        return [labels[value] for value in self.techniques if value in labels]


class VersionState(models.TextChoices):
    CURRENT = "current", "Current state (as is)"
    FUTURE = "future", "Future state (to be)"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Waiting for approval"
    APPROVED = "approved", "Approved"


class ProcessVersion(models.Model):
    process_map = models.ForeignKey(ProcessMap, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    state = models.CharField(max_length=10, choices=VersionState.choices)
    status = models.CharField(
        max_length=10, choices=VersionStatus.choices, default=VersionStatus.DRAFT
    )
    change_note = models.TextField(
        blank=True, help_text="What changed from the version this one started from, and why."
    )
    # The problem a fishbone diagram explains (its head).
    effect = models.CharField(
        "problem (effect)",
        max_length=200,
        blank=True,
        help_text="The problem the cause-and-effect diagram explains.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every change to the version or its rows: a form opened before someone else's
    # change is refused instead of overwriting it.
    revision = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["process_map", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["process_map", "number"], name="process_version_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(state__in=VersionState.values), name="process_version_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=VersionStatus.values), name="process_version_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=VersionStatus.APPROVED) | Q(approved_at__isnull=False),
                name="process_version_approved_has_time",
            ),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | ~Q(parent=F("pk")),
                name="process_version_not_own_parent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.process_map} v{self.number}"

    @property
    def is_editable(self) -> bool:
        return self.status == VersionStatus.DRAFT

    @property
    def is_frozen(self) -> bool:
        return self.status == VersionStatus.APPROVED


class Lane(models.Model):
    """A role or department: one horizontal band of the swimlane diagram."""

    version = models.ForeignKey(ProcessVersion, on_delete=models.CASCADE, related_name="lanes")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class StepKind(models.TextChoices):
    START = "start", "Start"
    TASK = "task", "Task"
    DECISION = "decision", "Decision"
    WAIT = "wait", "Wait"
    END = "end", "End"


class ValueClass(models.TextChoices):
    VALUE_ADDED = "va", "Value-added"
    BUSINESS_NECESSARY = "bn", "Business-necessary"
    NON_VALUE_ADDED = "nva", "Non-value-added"


_minutes = {
    "max_digits": 10,
    "decimal_places": 2,
    "default": 0,
    "validators": [MinValueValidator(0)],
}


class Step(models.Model):
    version = models.ForeignKey(ProcessVersion, on_delete=models.CASCADE, related_name="steps")
    lane = models.ForeignKey(Lane, on_delete=models.PROTECT, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=StepKind.choices, default=StepKind.TASK)
    label = models.CharField(max_length=120)
    inputs = models.CharField(max_length=300, blank=True)
    outputs = models.CharField(max_length=300, blank=True)
    customer_touchpoint = models.BooleanField(
        default=False, help_text="The customer sees, hears from or acts in this step."
    )
    value_class = models.CharField(
        "value", max_length=3, choices=ValueClass.choices, default=ValueClass.BUSINESS_NECESSARY
    )
    process_minutes = models.DecimalField("process time (min)", **_minutes)
    wait_minutes = models.DecimalField(
        "wait time (min)", help_text="Waiting before this step starts.", **_minutes
    )
    percent_complete_accurate = models.DecimalField(
        "% complete and accurate",
        max_digits=5,
        decimal_places=2,
        default=100,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    cost = models.DecimalField(
        "cost (£)", max_digits=10, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["version", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=StepKind.values), name="process_step_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(value_class__in=ValueClass.values), name="process_step_value_valid"
            ),
            models.CheckConstraint(
                condition=Q(process_minutes__gte=0) & Q(wait_minutes__gte=0) & Q(cost__gte=0),
                name="process_step_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(percent_complete_accurate__gte=0)
                & Q(percent_complete_accurate__lte=100),
                name="process_step_percent_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Flow(models.Model):
    version = models.ForeignKey(ProcessVersion, on_delete=models.CASCADE, related_name="flows")
    source = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="outgoing")
    target = models.ForeignKey(Step, on_delete=models.CASCADE, related_name="incoming")
    condition = models.CharField(
        max_length=60, blank=True, help_text='For a decision\'s branches: "Yes", "No", ...'
    )
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source=F("target")), name="process_flow_not_to_itself"
            ),
            models.UniqueConstraint(fields=["source", "target"], name="process_flow_once_per_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"


class SipocRow(models.Model):
    version = models.ForeignKey(ProcessVersion, on_delete=models.CASCADE, related_name="sipoc_rows")
    position = models.PositiveIntegerField(default=0)
    suppliers = models.CharField(max_length=300, blank=True)
    inputs = models.CharField(max_length=300, blank=True)
    process = models.CharField(max_length=300, blank=True)
    outputs = models.CharField(max_length=300, blank=True)
    customers = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["version", "position", "pk"]
        verbose_name = "SIPOC row"

    def __str__(self) -> str:
        return self.process or "SIPOC row"


class CauseCategory(models.TextChoices):
    PEOPLE = "people", "People"
    PROCESS = "process", "Process (methods)"
    EQUIPMENT = "equipment", "Equipment and systems"
    MATERIALS = "materials", "Materials and information"
    ENVIRONMENT = "environment", "Environment"
    MEASUREMENT = "measurement", "Measurement"


class Cause(models.Model):
    version = models.ForeignKey(ProcessVersion, on_delete=models.CASCADE, related_name="causes")
    category = models.CharField(max_length=20, choices=CauseCategory.choices)
    text = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["version", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=CauseCategory.values), name="process_cause_category_valid"
            ),
        ]

    def __str__(self) -> str:
        return self.text


class Kpi(models.Model):
    version = models.ForeignKey(ProcessVersion, on_delete=models.CASCADE, related_name="kpis")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=100, help_text="e.g. First contact resolution")
    unit = models.CharField(max_length=30, help_text="e.g. %, minutes, £, score out of 5")
    higher_is_better = models.BooleanField(
        default=True, help_text="Untick for cycle time, error rate, cost and the like."
    )
    baseline = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    target = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    measured = models.DecimalField(
        "measured value", max_digits=14, decimal_places=2, null=True, blank=True
    )
    source = models.CharField(
        max_length=200, blank=True, help_text="Where the figure comes from: a report, a survey..."
    )
    measured_on = models.DateField("date measured", null=True, blank=True)

    class Meta:
        ordering = ["version", "position", "pk"]
        verbose_name = "KPI"

    def __str__(self) -> str:
        return self.name


class ApprovalDecision(models.TextChoices):
    APPROVED = "approved", "Approved"
    CHANGES = "changes", "Changes requested"


class ApprovalRequest(models.Model):
    """A single-use link emailed to a stakeholder to decide on a submitted version (as a
    witness is asked to sign a testimony). A newer link to the same address supersedes it;
    taking the version back to draft supersedes every open one."""

    version = models.ForeignKey(
        ProcessVersion, on_delete=models.PROTECT, related_name="approval_requests"
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    stakeholder_name = models.CharField("stakeholder's name", max_length=200)
    stakeholder_role = models.CharField("stakeholder's role", max_length=200)
    sent_to = models.EmailField("stakeholder's email")
    sent_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # The version's content when the link went out (MapData.content_sha256): the stakeholder
    # decides on exactly that, and the page they submit carries the hash of what it showed.
    content_sha256 = models.CharField(max_length=64)
    # Random, unguessable; the link carries it inside a signed token.
    nonce = models.CharField(max_length=64, unique=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "sent_to"],
                condition=Q(superseded_at__isnull=True, used_at__isnull=True),
                name="process_approval_one_open_request_per_address",
            ),
        ]

    def __str__(self) -> str:
        return f"Approval request to {self.stakeholder_name} for {self.version}"


class StakeholderApproval(models.Model):
    """A stakeholder's decision on a submitted version: made by the stakeholder through an
    emailed link (``request``, with their IP address), or in person with the assessor, who
    is then ``recorded_by``. Never recorded by the learner whose version it is (rows from
    before links existed may be)."""

    version = models.ForeignKey(ProcessVersion, on_delete=models.PROTECT, related_name="approvals")
    name = models.CharField("stakeholder's name", max_length=200)
    role = models.CharField("stakeholder's role", max_length=200)
    decision = models.CharField(max_length=10, choices=ApprovalDecision.choices)
    comment = models.TextField(blank=True)
    decided_on = models.DateField("date of the decision")
    # The assessor who recorded a decision made in person; empty when the stakeholder
    # decided through their link.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    request = models.OneToOneField(
        ApprovalRequest,
        on_delete=models.PROTECT,
        related_name="approval",
        null=True,
        blank=True,
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["version", "recorded_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=ApprovalDecision.values),
                name="process_approval_decision_valid",
            ),
            models.CheckConstraint(
                condition=Q(request__isnull=False, ip_address__isnull=False)
                | Q(request__isnull=True, recorded_by__isnull=False),
                name="process_approval_by_link_or_in_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.get_decision_display()}"


class VersionEvidence(models.Model):
    """A version added to the portfolio: the evidence item made from it, and what it showed."""

    version = models.ForeignKey(
        ProcessVersion, on_delete=models.PROTECT, related_name="evidence_links"
    )
    item = models.OneToOneField(
        EvidenceItem, on_delete=models.PROTECT, related_name="process_version_link"
    )
    # The hash of the version's content when it was added; adding unchanged content again
    # returns the same item instead of making a second one.
    content_sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["version", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "content_sha256"], name="process_version_evidence_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.version} as {self.item}"
