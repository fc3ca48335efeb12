"""Changing process maps: every write goes through here.

A version's content (lanes, steps, flows, SIPOC rows, causes, KPIs) is always written whole,
from a MapData, by ``version_replace_content``: the editor, BPMN import and "new version"
all use it, so there is one place where a version's rows are made. It holds a lock on the
version's row, refuses a version that is no longer a draft, and refuses a form opened before
someone else's change (the ``revision`` counter), so nothing is overwritten silently.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from evidence import services as evidence_services
from evidence.models import EvidenceItem, EvidenceKind, Portfolio
from evidence.services.common import record, require_open_portfolio, when
from portfolio_site.accounts.models import User
from portfolio_site.accounts.tasks import send_email
from portfolio_site.notifications.services import notify
from processes import bpmn, figures
from processes.diagram import MapData, map_data_for
from processes.models import (
    ApprovalDecision,
    ApprovalRequest,
    Cause,
    Flow,
    Kpi,
    Lane,
    ProcessMap,
    ProcessVersion,
    SipocRow,
    StakeholderApproval,
    Step,
    Technique,
    VersionEvidence,
    VersionState,
    VersionStatus,
)
from processes.render import technique_svg


class VersionLocked(ValidationError):
    """The version is waiting for approval or approved: its content no longer changes."""


class StaleVersion(ValidationError):
    """The version changed after the form was opened; the form's changes were not applied."""


def clean_techniques(values: Iterable[str]) -> list[str]:
    """The chosen techniques in a fixed order, unknown values refused."""
    chosen = set(values)
    unknown = chosen - set(Technique.values)
    if unknown:
        raise ValidationError({"techniques": f"Unknown technique: {', '.join(sorted(unknown))}."})
    if not chosen:
        raise ValidationError({"techniques": "Choose at least one technique."})
    return [value for value in Technique.values if value in chosen]


def _record(action: str, *, actor: User, version: ProcessVersion, **details) -> None:
    record(
        action,
        actor=actor,
        portfolio=version.process_map.portfolio,
        target=version,
        map=version.process_map_id,
        version=version.number,
        **details,
    )


# Maps -----------------------------------------------------------------------------------


@transaction.atomic
def process_map_create(
    *,
    portfolio: Portfolio,
    author: User,
    title: str,
    business_need: str,
    techniques: Iterable[str],
    creation_token: uuid.UUID,
) -> tuple[ProcessMap, bool]:
    """A new map with an empty current-state draft as version 1. Returns (map, created): the
    same creation token twice (a form sent twice) gives back the first map."""
    existing = ProcessMap.objects.filter(portfolio=portfolio, creation_token=creation_token).first()
    if existing is not None:
        return existing, False
    require_open_portfolio(portfolio)
    if author.pk != portfolio.learner_id:
        raise ValidationError("Only the learner draws process maps in their portfolio.")
    process_map = ProcessMap(
        portfolio=portfolio,
        created_by=author,
        title=title.strip(),
        business_need=business_need.strip(),
        techniques=clean_techniques(techniques),
        creation_token=creation_token,
    )
    process_map.full_clean(exclude=["creation_token"])
    try:
        with transaction.atomic():
            process_map.save()
    except IntegrityError:
        return ProcessMap.objects.get(portfolio=portfolio, creation_token=creation_token), False
    version = ProcessVersion.objects.create(
        process_map=process_map, number=1, state=VersionState.CURRENT, created_by=author
    )
    _record("process.map_created", actor=author, version=version, title=process_map.title)
    return process_map, True


@transaction.atomic
def process_map_update(
    *, process_map: ProcessMap, editor: User, title: str, business_need: str, techniques
) -> ProcessMap:
    locked = ProcessMap.objects.select_for_update(of=("self",)).get(pk=process_map.pk)
    require_open_portfolio(process_map.portfolio)
    if editor.pk != process_map.portfolio.learner_id:
        raise ValidationError("Only the learner changes their process maps.")
    locked.title = title.strip()
    locked.business_need = business_need.strip()
    locked.techniques = clean_techniques(techniques)
    locked.full_clean(exclude=["creation_token"])
    locked.save()
    record(
        "process.map_updated",
        actor=editor,
        portfolio=process_map.portfolio,
        target=locked,
        title=locked.title,
    )
    return locked


# Versions -------------------------------------------------------------------------------


def _lock_version(version: ProcessVersion) -> ProcessVersion:
    return (
        ProcessVersion.objects.select_for_update(of=("self",))
        .select_related("process_map__portfolio")
        .get(pk=version.pk)
    )


def _lock_for_change(
    version: ProcessVersion, user: User, expected_revision: int | None
) -> ProcessVersion:
    locked = _lock_version(version)
    portfolio = locked.process_map.portfolio
    require_open_portfolio(portfolio)
    if user.pk != portfolio.learner_id:
        raise ValidationError("Only the learner changes their process maps.")
    if not locked.is_editable:
        raise VersionLocked(
            f"Version {locked.number} is {locked.get_status_display().lower()}: its content "
            "no longer changes. Start a new version to make changes."
        )
    if expected_revision is not None and locked.revision != expected_revision:
        raise StaleVersion(
            "This version was changed elsewhere (another tab or device) after you opened "
            "this page, so your changes were not saved. The editor now shows your changes "
            "over the latest version: check them and save again."
        )
    return locked


def _write_content(version: ProcessVersion, data: MapData) -> None:
    """Replace the version's rows with ``data`` (the caller holds the version's lock)."""
    version.flows.all().delete()
    version.steps.all().delete()
    version.lanes.all().delete()
    version.sipoc_rows.all().delete()
    version.causes.all().delete()
    version.kpis.all().delete()

    lanes = {}
    for position, lane in enumerate(data.lanes):
        lanes[lane.key] = Lane.objects.create(version=version, name=lane.name, position=position)
    steps = {}
    for position, step in enumerate(data.steps):
        if step.lane not in lanes:
            raise ValidationError(f"The step “{step.label}” is in a lane that does not exist.")
        row = Step(
            version=version,
            lane=lanes[step.lane],
            position=position,
            kind=step.kind,
            label=step.label,
            inputs=step.inputs,
            outputs=step.outputs,
            customer_touchpoint=step.customer_touchpoint,
            value_class=step.value_class,
            process_minutes=step.process_minutes,
            wait_minutes=step.wait_minutes,
            percent_complete_accurate=step.percent_complete_accurate,
            cost=step.cost,
        )
        row.full_clean(exclude=["version", "lane"])
        row.save()
        steps[step.key] = row
    seen_pairs = set()
    for position, flow in enumerate(data.flows):
        if flow.source not in steps or flow.target not in steps:
            raise ValidationError("A flow connects a step that does not exist.")
        if flow.source == flow.target:
            raise ValidationError(f"A flow cannot go from “{steps[flow.source].label}” to itself.")
        if (flow.source, flow.target) in seen_pairs:
            raise ValidationError(
                f"There are two flows from “{steps[flow.source].label}” to "
                f"“{steps[flow.target].label}”: keep one."
            )
        seen_pairs.add((flow.source, flow.target))
        Flow.objects.create(
            version=version,
            source=steps[flow.source],
            target=steps[flow.target],
            condition=flow.condition,
            position=position,
        )
    SipocRow.objects.bulk_create(
        SipocRow(
            version=version,
            position=position,
            suppliers=row.suppliers,
            inputs=row.inputs,
            process=row.process,
            outputs=row.outputs,
            customers=row.customers,
        )
        for position, row in enumerate(data.sipoc)
    )
    Cause.objects.bulk_create(
        Cause(version=version, position=position, category=cause.category, text=cause.text)
        for position, cause in enumerate(data.causes)
    )
    for position, kpi in enumerate(data.kpis):
        row = Kpi(
            version=version,
            position=position,
            name=kpi.name,
            unit=kpi.unit,
            higher_is_better=kpi.higher_is_better,
            baseline=kpi.baseline,
            target=kpi.target,
            measured=kpi.measured,
            source=kpi.source,
            measured_on=kpi.measured_on,
        )
        row.full_clean(exclude=["version"])
        row.save()


def _bump(version: ProcessVersion, **fields) -> None:
    for name, value in fields.items():
        setattr(version, name, value)
    version.revision = F("revision") + 1
    version.save()
    version.refresh_from_db(fields=["revision", "updated_at"])


@transaction.atomic
def version_replace_content(
    *,
    version: ProcessVersion,
    editor: User,
    data: MapData,
    expected_revision: int | None,
    change_note: str | None = None,
    state: str | None = None,
    action: str = "process.version_saved",
    **audit_details,
) -> ProcessVersion:
    """Save a draft version's whole content (and optionally its details) in one go."""
    locked = _lock_for_change(version, editor, expected_revision)
    _write_content(locked, data)
    details = {"effect": data.effect.strip()[:200]}
    if change_note is not None:
        details["change_note"] = change_note.strip()
    if state is not None:
        if state not in VersionState.values:
            raise ValidationError({"state": "Choose current or future state."})
        details["state"] = state
    _bump(locked, **details)
    _record(
        action,
        actor=editor,
        version=locked,
        steps=len(data.steps),
        flows=len(data.flows),
        **audit_details,
    )
    return locked


def version_import_bpmn(
    *, version: ProcessVersion, editor: User, raw: bytes, expected_revision: int | None
) -> tuple[ProcessVersion, tuple[str, ...]]:
    """Replace a draft's diagram (lanes, steps, flows) with a BPMN file's; SIPOC rows, causes
    and KPIs are kept. Returns the version and the import's report of what could not be
    represented. A file that cannot be read raises bpmn.BpmnImportError and changes nothing."""
    result = bpmn.import_bpmn(raw, title=version.process_map.title)
    current = map_data_for(version)
    merged = MapData(
        title=current.title,
        lanes=result.data.lanes,
        steps=result.data.steps,
        flows=result.data.flows,
        sipoc=current.sipoc,
        causes=current.causes,
        kpis=current.kpis,
        effect=current.effect,
    )
    saved = version_replace_content(
        version=version,
        editor=editor,
        data=merged,
        expected_revision=expected_revision,
        action="process.bpmn_imported",
        report=list(result.report),
    )
    return saved, tuple(result.report)


@transaction.atomic
def version_create_from(
    *, version: ProcessVersion, author: User, state: str, change_note: str = ""
) -> ProcessVersion:
    """A new draft version starting as a copy of ``version``; ``version`` stays as it is."""
    process_map = ProcessMap.objects.select_for_update(of=("self",)).get(pk=version.process_map_id)
    portfolio = version.process_map.portfolio
    require_open_portfolio(portfolio)
    if author.pk != portfolio.learner_id:
        raise ValidationError("Only the learner changes their process maps.")
    if state not in VersionState.values:
        raise ValidationError({"state": "Choose current or future state."})
    number = (process_map.versions.aggregate(last=Max("number"))["last"] or 0) + 1
    new = ProcessVersion.objects.create(
        process_map=process_map,
        number=number,
        parent=version,
        state=state,
        change_note=change_note.strip(),
        effect=version.effect,  # a version's effect travels with its content (MapData.effect)
        created_by=author,
    )
    _write_content(new, map_data_for(version))
    _record("process.version_created", actor=author, version=new, parent=version.number)
    return new


def version_problems_blocking_submission(
    version: ProcessVersion, data: MapData | None = None
) -> list[str]:
    """What is missing before the version can go for approval (``data``: the version's
    content, when the caller has read it already)."""
    data = data or map_data_for(version)
    techniques = version.process_map.techniques
    problems = []
    if {Technique.SWIMLANE, Technique.VALUE_STREAM} & set(techniques) and not data.steps:
        problems.append("Add the process's steps before asking for approval.")
    if Technique.SIPOC in techniques and not data.sipoc:
        problems.append("Add at least one SIPOC row before asking for approval.")
    if Technique.FISHBONE in techniques and not data.causes:
        problems.append("Add the causes for the cause-and-effect diagram first.")
    return problems


@transaction.atomic
def version_submit(
    *, version: ProcessVersion, user: User, expected_revision: int | None
) -> ProcessVersion:
    """Ask for stakeholder approval: the content is frozen until a decision is recorded."""
    locked = _lock_for_change(version, user, expected_revision)
    problems = version_problems_blocking_submission(locked)
    if problems:
        raise ValidationError(problems)
    _bump(locked, status=VersionStatus.SUBMITTED, submitted_at=timezone.now())
    _record("process.version_submitted", actor=user, version=locked)
    return locked


@transaction.atomic
def version_withdraw(*, version: ProcessVersion, user: User) -> ProcessVersion:
    """Take a version back from approval to change it (no decision recorded yet)."""
    locked = _lock_version(version)
    if user.pk != locked.process_map.portfolio.learner_id:
        raise ValidationError("Only the learner changes their process maps.")
    if locked.status != VersionStatus.SUBMITTED:
        raise VersionLocked(f"Version {locked.number} is not waiting for approval.")
    _bump(locked, status=VersionStatus.DRAFT, submitted_at=None)
    _supersede_open_requests(locked)
    _record("process.version_withdrawn", actor=user, version=locked)
    return locked


class ApprovalLinkInvalid(Exception):
    """Not a link we sent (forged, altered, or for a request that no longer exists)."""


class ApprovalLinkClosed(Exception):
    """A real link that no longer works; ``str(error)`` says why and whom to ask."""

    def __init__(self, message: str, request: ApprovalRequest):
        super().__init__(message)
        self.request = request


class ApprovedContentChanged(ValidationError):
    """The page the stakeholder submitted showed other content than the version has now."""


_APPROVAL_SALT = "processes.approval-link"


def approval_token(request: ApprovalRequest) -> str:
    return signing.dumps({"r": request.pk, "n": request.nonce}, salt=_APPROVAL_SALT, compress=True)


def _supersede_open_requests(version: ProcessVersion, **filters) -> None:
    version.approval_requests.filter(
        superseded_at__isnull=True, used_at__isnull=True, **filters
    ).update(superseded_at=timezone.now())


@transaction.atomic
def approval_request_send(
    *, version: ProcessVersion, sender: User, name: str, role: str, email: str
) -> tuple[ApprovalRequest, str]:
    """Email a stakeholder a single-use link to decide on a version waiting for approval (or
    to add their approval to an approved one). Returns the request and the link's path."""
    locked = _lock_version(version)
    portfolio = locked.process_map.portfolio
    require_open_portfolio(portfolio)
    if sender.pk not in (portfolio.learner_id, portfolio.assessor_id):
        raise ValidationError("Only the learner or their assessor asks a stakeholder to decide.")
    if locked.status == VersionStatus.DRAFT:
        raise VersionLocked(
            "Ask for approval first: a draft can still change, so it cannot be approved."
        )
    email = email.strip()
    if not (name.strip() and role.strip() and email):
        raise ValidationError("Give the stakeholder's name, role and email address.")
    learner_email = (portfolio.learner.email or "").strip().lower()
    if learner_email and email.lower() == learner_email:
        raise ValidationError(
            {"email": "This is your own email address: the stakeholder decides, not you."}
        )
    now = timezone.now()
    _supersede_open_requests(locked, sent_to__iexact=email)
    request = ApprovalRequest.objects.create(
        version=locked,
        sent_by=sender,
        stakeholder_name=name.strip()[:200],
        stakeholder_role=role.strip()[:200],
        sent_to=email,
        sent_at=now,
        expires_at=now + timedelta(days=settings.WITNESS_LINK_DAYS),
        content_sha256=map_data_for(locked).content_sha256(),
        nonce=secrets.token_urlsafe(32),
    )
    path = reverse("processes:stakeholder-approval", args=[approval_token(request)])
    link = f"{settings.SITE_URL.rstrip('/')}{path}"
    body = (
        f"Dear {request.stakeholder_name},\n\n"
        f"{portfolio.learner} has asked you, as {request.stakeholder_role}, to approve their "
        f"process map “{locked.process_map.title}” (version {locked.number}) for their "
        f"{portfolio.qualification}. Please look at its diagrams and figures and record your "
        "decision. You do not need an account:\n\n"
        f"{link}\n\n"
        f"The link works once and expires on {when(request.expires_at)}. If it has expired, "
        f"ask {portfolio.learner} or their assessor ({portfolio.assessor}) for a new one.\n"
    )
    transaction.on_commit(
        lambda: send_email.delay(
            subject=f"Please approve {portfolio.learner}'s process map",
            body=body,
            to=[request.sent_to],
        )
    )
    _record(
        "process.approval_requested",
        actor=sender,
        version=locked,
        stakeholder=request.stakeholder_name,
        sent_to=request.sent_to,
    )
    return request, path


def approval_request_from_token(token: str) -> ApprovalRequest:
    """The open request a link names; ApprovalLinkInvalid or ApprovalLinkClosed otherwise."""
    try:
        data = signing.loads(token, salt=_APPROVAL_SALT)
        request = ApprovalRequest.objects.select_related(
            "version__process_map__portfolio__learner",
            "version__process_map__portfolio__assessor",
            "version__process_map__portfolio__qualification",
        ).get(pk=int(data["r"]), nonce=str(data["n"]))
    except (signing.BadSignature, KeyError, TypeError, ValueError, ApprovalRequest.DoesNotExist):
        raise ApprovalLinkInvalid() from None
    portfolio = request.version.process_map.portfolio
    ask = f"Ask {portfolio.learner} or their assessor, {portfolio.assessor}, for a new link."
    if request.used_at is not None:
        raise ApprovalLinkClosed(
            f"This link was used on {when(request.used_at)}, when your decision was recorded. "
            "It works only once.",
            request,
        )
    if request.superseded_at is not None:
        raise ApprovalLinkClosed(
            f"This link no longer works: a newer link replaced it, or the version was taken "
            f"back to change it. {ask}",
            request,
        )
    if timezone.now() >= request.expires_at:
        raise ApprovalLinkClosed(f"This link expired on {when(request.expires_at)}. {ask}", request)
    return request


def _decide(
    locked: ProcessVersion,
    *,
    name: str,
    role: str,
    decision: str,
    comment: str,
    decided_on,
    recorded_by: User | None,
    request: ApprovalRequest | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> StakeholderApproval:
    """Record a decision on ``locked`` (caller holds its row lock, and has checked who may).
    "Approved" freezes the version (further stakeholders may add their approval); "changes
    requested" sends a waiting version back to draft."""
    if locked.status == VersionStatus.DRAFT:
        raise VersionLocked(
            "Ask for approval first: a draft can still change, so it cannot be approved."
        )
    if locked.status == VersionStatus.APPROVED and decision != ApprovalDecision.APPROVED:
        raise VersionLocked(
            f"Version {locked.number} is approved and frozen. To act on the requested "
            "changes, start a new version from it."
        )
    if decided_on > timezone.localdate():
        raise ValidationError({"decided_on": "The date of the decision cannot be in the future."})
    approval = StakeholderApproval(
        version=locked,
        name=name.strip(),
        role=role.strip(),
        decision=decision,
        comment=comment.strip(),
        decided_on=decided_on,
        recorded_by=recorded_by,
        request=request,
        ip_address=ip_address,
        user_agent=user_agent[:300],
    )
    approval.full_clean(exclude=["version", "recorded_by", "request"])
    approval.save()
    if locked.status == VersionStatus.SUBMITTED:
        if decision == ApprovalDecision.APPROVED:
            _bump(locked, status=VersionStatus.APPROVED, approved_at=timezone.now())
        else:
            _bump(locked, status=VersionStatus.DRAFT, submitted_at=None)
            # Back to draft: the other stakeholders' links would decide on content that changes.
            _supersede_open_requests(locked)
    return approval


@transaction.atomic
def approval_decide_by_link(
    *,
    request: ApprovalRequest,
    typed_name: str,
    decision: str,
    comment: str,
    shown_content_sha256: str,
    ip_address: str,
    user_agent: str,
) -> StakeholderApproval:
    """The stakeholder's own decision through their link, on the content they were shown
    (``shown_content_sha256``, which must be the version's content now)."""
    locked = _lock_version(request.version)
    held = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
    # Checked again under the lock: two clicks of the link's button decide once.
    approval_request_from_token(approval_token(held))
    require_open_portfolio(locked.process_map.portfolio)
    content = map_data_for(locked).content_sha256()
    if shown_content_sha256 != content or held.content_sha256 != content:
        raise ApprovedContentChanged(
            "The process map changed after you opened this page, so nothing was recorded. "
            "Look at it again below and then decide."
        )
    if decision not in ApprovalDecision.values:
        raise ValidationError({"decision": "Choose approve or request changes."})
    if not typed_name.strip():
        raise ValidationError({"typed_name": "Type your name to record your decision."})
    approval = _decide(
        locked,
        name=typed_name.strip()[:200],
        role=held.stakeholder_role,
        decision=decision,
        comment=comment,
        decided_on=timezone.localdate(),
        recorded_by=None,
        request=held,
        ip_address=ip_address,
        user_agent=user_agent,
    )
    ApprovalRequest.objects.filter(pk=held.pk).update(used_at=timezone.now())
    record(
        "process.approval_recorded",
        actor=None,
        actor_label=f"Stakeholder {approval.name} <{held.sent_to}>"[:200],
        portfolio=locked.process_map.portfolio,
        target=locked,
        map=locked.process_map_id,
        version=locked.number,
        stakeholder=approval.name,
        decision=decision,
        ip_address=ip_address,
        how="link",
    )
    portfolio = locked.process_map.portfolio
    notify(
        recipients=[portfolio.learner, portfolio.assessor],
        kind="process_approval",
        message=f"{approval.name} recorded “{approval.get_decision_display().lower()}” on "
        f"{locked.process_map.title}, version {locked.number}.",
        url=reverse("processes:version", args=[locked.pk]),
    )
    return approval


@transaction.atomic
def version_record_approval(
    *,
    version: ProcessVersion,
    user: User,
    name: str,
    role: str,
    decision: str,
    comment: str,
    decided_on,
) -> StakeholderApproval:
    """A decision the stakeholder gave the assessor in person; the assessor is recorded as
    the one who recorded it. The learner never records a decision on their own version: their
    stakeholders decide through an emailed link (approval_request_send)."""
    locked = _lock_version(version)
    portfolio = locked.process_map.portfolio
    require_open_portfolio(portfolio)
    if user.pk == portfolio.learner_id or user.pk != portfolio.assessor_id:
        raise ValidationError(
            "Only the learner's assessor records a stakeholder's decision made in person. "
            "Send the stakeholder a link to decide themselves."
        )
    approval = _decide(
        locked,
        name=name,
        role=role,
        decision=decision,
        comment=comment,
        decided_on=decided_on,
        recorded_by=user,
    )
    _record(
        "process.approval_recorded",
        actor=user,
        version=locked,
        stakeholder=approval.name,
        decision=decision,
        how="in person",
    )
    return approval


# Into the portfolio ---------------------------------------------------------------------


def _files_for(version: ProcessVersion, data: MapData) -> list[tuple[str, str, bytes]]:
    """(name, content type, bytes) of each file the evidence item holds."""
    stem = f"{version.process_map.title[:60].strip()} v{version.number}"
    stem = "".join(ch if ch.isalnum() or ch in " -_" else "-" for ch in stem).strip() or "map"
    files = [
        (
            f"{stem} {Technique(technique).label.split(' (')[0].lower()}.svg",
            "image/svg+xml",
            technique_svg(data, technique).encode(),
        )
        for technique in version.process_map.techniques
    ]
    if data.steps:
        files.append((f"{stem}.bpmn", "application/xml", bpmn.export_bpmn(data)))
    return files


@transaction.atomic
def version_add_to_portfolio(*, version: ProcessVersion, user: User) -> tuple[EvidenceItem, bool]:
    """Make an evidence item (type "process map", a draft the learner then maps to criteria)
    from the version as it stands: a diagram per technique, the BPMN file, and the figures in
    the narrative. Returns (item, created): unchanged content added twice gives the same item.
    Items made earlier stay as they were."""
    locked = _lock_version(version)
    portfolio = locked.process_map.portfolio
    require_open_portfolio(portfolio)
    if user.pk != portfolio.learner_id:
        raise ValidationError("Only the learner adds their process maps to their portfolio.")
    data = map_data_for(locked)
    digest = data.content_sha256()
    existing = locked.evidence_links.filter(content_sha256=digest).select_related("item").first()
    if existing is not None:
        return existing.item, False
    if not (data.steps or data.sipoc or data.causes):
        raise ValidationError("This version is empty: draw the process before adding it.")

    narrative = render_to_string(
        "processes/evidence_narrative.html",
        {
            "version": locked,
            "process_map": locked.process_map,
            "figures": figures.compute_figures(data),
            "kpis": data.kpis,
            "approvals": list(locked.approvals.all()),
        },
    )
    item, _ = evidence_services.evidence_item_create(
        portfolio=portfolio,
        author=user,
        creation_token=uuid.uuid4(),
        title=f"{locked.process_map.title}: version {locked.number} "
        f"({locked.get_state_display().split(' (')[0].lower()})"[:200],
        kind=EvidenceKind.PROCESS_MAP,
        activity_date=timezone.localdate(),
        narrative=narrative,
    )
    stored = []
    try:
        for name, content_type, content in _files_for(locked, data):
            stored.append(
                evidence_services.evidence_file_add_generated(
                    item=item, name=name, content=content, content_type=content_type, uploader=user
                ).file
            )
    except BaseException:
        # The rows roll back with the transaction; the files written so far go too.
        for stored_file in stored:
            stored_file.delete(save=False)
        raise
    VersionEvidence.objects.create(version=locked, item=item, content_sha256=digest)
    _record("process.added_to_portfolio", actor=user, version=locked, item=item.pk)
    return item, True
