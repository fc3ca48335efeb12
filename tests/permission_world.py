"""The world the permission matrix (tests/test_permission_matrix.py) walks: two centres, a
person in each role at each, and in the home learner's portfolio one real object of every kind
a URL can name, each made through the real services so it is in the state its pages expect.

Actors, by the name the matrix's table uses:

- at the home centre: ``learner`` (owns the portfolio every URL points at), ``assessor`` and
  ``iqa`` (assigned to it), ``eqa`` (with a current grant to read it), ``admin`` (the centre
  admin); and two people the code must tell apart from those: ``classmate`` (another learner of
  the centre, with their own portfolio) and ``colleague`` (an assessor of the centre who is not
  this learner's); ``former-eqa``, an EQA of the centre whose grant to read the portfolio
  expired yesterday; and ``site-admin``, a Django superuser with no centre role (Django admin's
  rights must not leak into the product's pages);
- at another centre, the same five roles, ``elsewhere-learner`` ... ``elsewhere-admin``, with a
  portfolio of their own there (and a grant for their EQA), so each has something they may see.
"""

import datetime
import hashlib
import uuid
from dataclasses import dataclass

from django.contrib.auth.tokens import default_token_generator
from django.core.files.base import ContentFile
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from criteria.models import AssessmentCriterion, Qualification, Unit
from evidence import services
from evidence.models import (
    EqaGrant,
    EvidenceFile,
    EvidenceItem,
    EvidenceKind,
    EvidenceStatus,
    IqaSample,
    Portfolio,
    Review,
    SignOff,
    SignOffKind,
)
from evidence.services.witness import witness_token
from people import services as people_services
from people.importing import import_plan, import_record
from people.models import PeopleImport
from portfolio_site.accounts.models import Centre, Invitation, Membership, Role, User
from portfolio_site.exports.models import ExportJob, ExportStatus
from portfolio_site.notifications.models import Notification
from processes import services as process_services
from processes.examples import CURRENT
from processes.models import ProcessMap, ProcessVersion, Technique
from tests.factories import (
    CentreFactory,
    EvidenceFileFactory,
    EvidenceItemFactory,
    UserFactory,
    member,
)

QUALIFICATION = "icq-l4-nvq-diploma-customer-service-rqf"
QUALITY_UNIT = "review-the-quality-of-customer-service"
DESIGN_UNIT = "design-business-processes"

# Actor name -> the role they hold (None: no centre role), and where ("home" or "elsewhere").
ACTORS: dict[str, tuple[Role | None, str]] = {
    "learner": (Role.LEARNER, "home"),
    "assessor": (Role.ASSESSOR, "home"),
    "iqa": (Role.IQA, "home"),
    "eqa": (Role.EQA, "home"),
    "admin": (Role.CENTRE_ADMIN, "home"),
    "classmate": (Role.LEARNER, "home"),
    "colleague": (Role.ASSESSOR, "home"),
    "former-eqa": (Role.EQA, "home"),
    "site-admin": (None, "home"),
    "elsewhere-learner": (Role.LEARNER, "elsewhere"),
    "elsewhere-assessor": (Role.ASSESSOR, "elsewhere"),
    "elsewhere-iqa": (Role.IQA, "elsewhere"),
    "elsewhere-eqa": (Role.EQA, "elsewhere"),
    "elsewhere-admin": (Role.CENTRE_ADMIN, "elsewhere"),
}


@dataclass(frozen=True)
class World:
    users: dict[str, User]
    home: Centre
    elsewhere: Centre
    portfolio: Portfolio  # the home learner's: every object below belongs to it
    unit: Unit  # a unit of the portfolio, signed off
    draft_item: EvidenceItem  # the learner's draft, with a file
    evidence_file: EvidenceFile
    submitted_item: EvidenceItem  # waiting for the assessor
    review: Review  # the assessor's acceptance of an item (what an IQA samples)
    unit_sign_off: SignOff  # the unit, signed off by the assessor, for the learner to countersign
    sample: IqaSample  # the IQA's sample of ``review``
    draft_record: EvidenceItem  # an observation the assessor is writing
    sent_record: EvidenceItem  # an observation waiting for the learner to confirm it
    testimony: EvidenceItem  # a witness testimony whose witness was sent a link
    witness_token: str
    eqa_grant: EqaGrant
    process_map: ProcessMap
    process_version: ProcessVersion
    stakeholder_token: str  # a stakeholder's link to decide on another map's submitted version
    export_job: ExportJob  # finished, with its PDF on disk
    notification: Notification  # the learner's
    password_reset_uidb64: str  # a valid reset link for someone who forgot their password
    password_reset_token: str
    membership: Membership  # the home learner's role at the home centre
    invitation: Invitation  # an open invitation for someone new at the home centre
    invitation_token: str
    people_import: PeopleImport  # a spreadsheet uploaded at the home centre, not yet applied


def _uploaded_import(centre: Centre, admin: User) -> PeopleImport:
    content = b"role,first_name,last_name,email\r\nassessor,Ima,Porter,ima.porter@example.org\r\n"
    plan = import_plan(centre=centre, content=content, filename="people.csv")
    assert not plan.has_errors, plan.problems
    return import_record(
        centre=centre, content=content, filename="people.csv", uploaded_by=admin, plan=plan
    )


def _enrol(*, learner: User, centre: Centre, assessor: User, iqa: User) -> Portfolio:
    qualification = Qualification.objects.get(code=QUALIFICATION)
    return services.portfolio_enrol(
        learner=learner,
        centre=centre,
        qualification=qualification,
        assessor=assessor,
        iqa=iqa,
        start_date=timezone.localdate() - datetime.timedelta(days=60),
        chosen_units=[link.unit for link in qualification.unit_links.all()],
    )


def _mapped(item: EvidenceItem, author: User, criteria) -> EvidenceItem:
    services.evidence_mappings_set(
        item=item,
        user=author,
        references={criterion.pk: "Page 1" for criterion in criteria},
        expected_version=item.version,
    )
    item.refresh_from_db()
    return item


def _submitted(portfolio: Portfolio, criteria, title: str) -> EvidenceItem:
    item = EvidenceItemFactory(portfolio=portfolio, title=title)
    EvidenceFileFactory(item=item)
    item = _mapped(item, portfolio.learner, criteria)
    services.evidence_item_submit(item=item, learner=portfolio.learner, declared=True)
    item.refresh_from_db()
    return item


def _record(portfolio: Portfolio, criteria, title: str) -> EvidenceItem:
    item = EvidenceItemFactory(
        portfolio=portfolio,
        title=title,
        kind=EvidenceKind.OBSERVATION,
        created_by=portfolio.assessor,
    )
    return _mapped(item, portfolio.assessor, criteria)


def _ready_export(portfolio: Portfolio, requested_by: User) -> ExportJob:
    """A finished export, as the worker leaves it: a hashed file on disk and a ready row."""
    content = b"%PDF-1.7\n% a stand-in for the rendered portfolio\n%%EOF\n"
    job = ExportJob.objects.create(portfolio=portfolio, requested_by=requested_by)
    job.file.save(
        f"exports/portfolio-{portfolio.pk}-{job.pk}.pdf", ContentFile(content), save=False
    )
    job.status = ExportStatus.READY
    job.progress = 100
    job.sha256 = hashlib.sha256(content).hexdigest()
    job.size = len(content)
    job.page_count = 1
    job.finished_at = timezone.now()
    job.save()
    return job


def build_world() -> World:
    """Precondition: the catalogue is loaded (the ``catalogue`` fixture)."""
    home = CentreFactory(name="Riverside Training", code="riverside")
    elsewhere = CentreFactory(name="Elsewhere College", code="elsewhere")
    centres = {"home": home, "elsewhere": elsewhere}
    users = {
        name: member(role, centres[where], username=name)
        if role
        else UserFactory(username=name, is_staff=True, is_superuser=True)
        for name, (role, where) in ACTORS.items()
    }
    today = timezone.localdate()

    portfolio = _enrol(
        learner=users["learner"], centre=home, assessor=users["assessor"], iqa=users["iqa"]
    )
    _enrol(learner=users["classmate"], centre=home, assessor=users["colleague"], iqa=users["iqa"])
    elsewhere_portfolio = _enrol(
        learner=users["elsewhere-learner"],
        centre=elsewhere,
        assessor=users["elsewhere-assessor"],
        iqa=users["elsewhere-iqa"],
    )

    unit = Unit.objects.get(code=QUALITY_UNIT)
    unit_criteria = list(AssessmentCriterion.objects.filter(outcome__unit=unit))
    design_criterion = AssessmentCriterion.objects.filter(outcome__unit__code=DESIGN_UNIT).first()

    draft_item = EvidenceItemFactory(portfolio=portfolio, title="Complaints log, draft")
    evidence_file = EvidenceFileFactory(item=draft_item)
    submitted_item = _submitted(portfolio, [design_criterion], "Process redesign, submitted")

    accepted = _submitted(portfolio, unit_criteria, "Quality review, accepted")
    review = services.review_record(
        item=accepted,
        assessor=users["assessor"],
        outcome="accepted",
        feedback="Well evidenced.",
        decisions={criterion.pk: (True, "") for criterion in unit_criteria},
    )
    services.criteria_sign_off(
        portfolio=portfolio,
        assessor=users["assessor"],
        criterion_ids=[criterion.pk for criterion in unit_criteria],
        declared=True,
    )
    unit_sign_off = services.unit_sign_off(
        portfolio=portfolio, unit=unit, assessor=users["assessor"], declared=True
    )
    sample = services.iqa_sample_record(
        iqa=users["iqa"],
        review=review,
        unit=unit,
        method="interim",
        decision="agree",
        comments="Valid and sufficient.",
    )

    draft_record = _record(portfolio, [design_criterion], "Observed team briefing")
    sent_record = _record(portfolio, [design_criterion], "Observed complaint call")
    services.observation_send(item=sent_record, assessor=users["assessor"], declared=True)
    sent_record.refresh_from_db()

    testimony = EvidenceItemFactory(
        portfolio=portfolio,
        title="Complaints huddle, witnessed",
        kind=EvidenceKind.WITNESS_TESTIMONY,
        witness_name="Jo Brown",
        witness_job_title="Customer Service Manager",
        witness_relationship="Line manager",
        witness_email="jo.brown@example.org",
    )
    witness_request, _ = services.witness_request_send(item=testimony, sender=users["learner"])

    eqa_grant = services.eqa_grant(
        admin=users["admin"],
        eqa=users["eqa"],
        portfolios=[portfolio],
        expires_on=today + datetime.timedelta(days=30),
    )[0]
    expired = services.eqa_grant(
        admin=users["admin"],
        eqa=users["former-eqa"],
        portfolios=[portfolio],
        expires_on=today,
    )[0]
    # The service refuses a date in the past, so the grant ages here: it ended yesterday.
    EqaGrant.objects.filter(pk=expired.pk).update(expires_on=today - datetime.timedelta(days=1))
    services.eqa_grant(
        admin=users["elsewhere-admin"],
        eqa=users["elsewhere-eqa"],
        portfolios=[elsewhere_portfolio],
        expires_on=today + datetime.timedelta(days=30),
    )

    process_map, _ = process_services.process_map_create(
        portfolio=portfolio,
        author=users["learner"],
        title="Complaint handling",
        business_need="Complaints take three days; customers leave.",
        techniques=[Technique.SWIMLANE, Technique.SIPOC],
        creation_token=uuid.uuid4(),
    )
    process_version = process_map.versions.get()
    process_services.version_replace_content(
        version=process_version,
        editor=users["learner"],
        data=CURRENT,
        expected_revision=process_version.revision,
    )
    process_version.refresh_from_db()
    # A second map, waiting for approval, whose stakeholder was emailed a link.
    submitted_map, _ = process_services.process_map_create(
        portfolio=portfolio,
        author=users["learner"],
        title="Refunds",
        business_need="Refunds take a week.",
        techniques=[Technique.SWIMLANE],
        creation_token=uuid.uuid4(),
    )
    submitted_version = submitted_map.versions.get()
    process_services.version_replace_content(
        version=submitted_version, editor=users["learner"], data=CURRENT, expected_revision=None
    )
    process_services.version_submit(
        version=submitted_version, user=users["learner"], expected_revision=None
    )
    stakeholder_request, _ = process_services.approval_request_send(
        version=submitted_version,
        sender=users["learner"],
        name="Priya Shah",
        role="Head of customer service",
        email="priya.shah@northwind.example",
    )

    # Each object is in the state its pages expect (else a page could answer "allowed" with a
    # redirect saying there is nothing to do, and the matrix would not notice).
    assert draft_item.is_editable and draft_record.is_editable
    assert submitted_item.status == EvidenceStatus.SUBMITTED
    assert sent_record.status == EvidenceStatus.AWAITING_CONFIRMATION
    assert unit_sign_off.kind == SignOffKind.UNIT and unit_sign_off.is_active
    assert process_version.is_editable

    notification = Notification.objects.filter(recipient=users["learner"]).first()
    assert notification is not None, "the services above notify the learner"

    forgetful = UserFactory(username="forgetful")  # never logs in, so the token stays valid
    invitation = people_services.person_add(
        centre=home,
        email="newcomer@example.org",
        first_name="New",
        last_name="Comer",
        roles=[Role.ASSESSOR],
        added_by=users["admin"],
        invite=False,
    )[0]
    invitation = people_services.invitation_send(
        user=invitation, centre=home, invited_by=users["admin"]
    )
    return World(
        users=users,
        home=home,
        elsewhere=elsewhere,
        portfolio=portfolio,
        unit=unit,
        draft_item=draft_item,
        evidence_file=evidence_file,
        submitted_item=submitted_item,
        review=review,
        unit_sign_off=unit_sign_off,
        sample=sample,
        draft_record=draft_record,
        sent_record=sent_record,
        testimony=testimony,
        witness_token=witness_token(witness_request),
        eqa_grant=eqa_grant,
        process_map=process_map,
        process_version=process_version,
        stakeholder_token=process_services.approval_token(stakeholder_request),
        export_job=_ready_export(portfolio, users["admin"]),
        notification=notification,
        password_reset_uidb64=urlsafe_base64_encode(force_bytes(forgetful.pk)),
        password_reset_token=default_token_generator.make_token(forgetful),
        membership=Membership.objects.get(user=users["learner"], centre=home, role=Role.LEARNER),
        invitation=invitation,
        invitation_token=invitation.token,
        people_import=_uploaded_import(home, users["admin"]),
    )
