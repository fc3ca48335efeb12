"""Writes about a centre's people: adding and inviting them, their roles, and their caseloads.

Every change is an audit event in the centre's chain, inside the same transaction.
"""

import datetime
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from criteria.models import Qualification, Requirement, Unit
from evidence import services as evidence_services
from evidence.models import OPEN_STATUSES, EvidenceItem, EvidenceStatus, Portfolio, PortfolioStatus
from portfolio_site.accounts.models import Centre, Invitation, Membership, Role, User
from portfolio_site.accounts.tasks import send_email
from portfolio_site.accounts.validators import uln_problem
from portfolio_site.audit.services import audit_record
from portfolio_site.notifications.services import notify


@dataclass
class Enrolment:
    """A learner's enrolment, as the add-person form and the import give it."""

    qualification: Qualification
    start_date: datetime.date
    units: list[Unit] = field(default_factory=list)  # every unit to be assessed
    assessor: User | None = None
    iqa: User | None = None
    planned_end_date: datetime.date | None = None
    registration_number: str = ""
    registered_on: datetime.date | None = None
    employer: str = ""

    def optional_units(self) -> list[Unit]:
        """The units beyond the mandatory ones (what a portfolio stores as its choice)."""
        mandatory = set(
            self.qualification.unit_links.filter(requirement=Requirement.MANDATORY).values_list(
                "unit_id", flat=True
            )
        )
        return [unit for unit in self.units if unit.pk not in mandatory]


def _event(action: str, *, actor: User | None, centre: Centre, target, **details) -> None:
    audit_record(action=action, actor=actor, target=target, centre=centre, details=details)


# --- Accounts -----------------------------------------------------------------------------------


def user_for_email(email: str) -> User | None:
    """The one account with this email, compared case-insensitively (one human, one account)."""
    return User.objects.filter(email__iexact=email.strip()).first()


def _free_username(email: str) -> str:
    """People sign in with their email; the username only has to be unique, so it is the email
    itself (lower-cased), with a number added in the rare case that it is taken."""
    base = email.strip().lower()[:140]
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def account_find_or_create(*, email: str, first_name: str, last_name: str) -> tuple[User, bool]:
    """The person's account: the existing one for this email, or a new one with no usable
    password (they set it through their invitation). Returns (user, created)."""
    email = email.strip()
    existing = user_for_email(email)
    if existing is not None:
        return existing, False
    user = User(
        username=_free_username(email),
        email=email,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
    )
    user.set_unusable_password()
    user.full_clean()
    # Stored as typed: full_clean lower-cases the domain, and people notice their own address.
    user.email = email
    user.save()
    return user, True


# --- Roles --------------------------------------------------------------------------------------


def _check_uln(*, centre: Centre, uln: str, membership: Membership | None) -> None:
    if not uln:
        return
    if problem := uln_problem(uln):
        raise ValidationError({"uln": problem})
    clash = Membership.objects.filter(centre=centre, uln=uln)
    if membership is not None and membership.pk:
        clash = clash.exclude(pk=membership.pk)
    if clash.exists():
        raise ValidationError({"uln": f"Another learner at {centre} has the ULN {uln}."})


def role_grant(
    *, user: User, centre: Centre, role: Role, granted_by: User | None, uln: str = ""
) -> tuple[Membership, bool]:
    """Give ``user`` ``role`` at ``centre``. A role they held before (suspended or ended) is put
    back in force rather than duplicated. Returns (membership, changed)."""
    role = Role(role)
    membership = (
        Membership.objects.select_for_update().filter(user=user, centre=centre, role=role).first()
    )
    if role == Role.LEARNER:
        _check_uln(centre=centre, uln=uln, membership=membership)
    if membership is None:
        membership = Membership.objects.create(
            user=user, centre=centre, role=role, uln=uln if role == Role.LEARNER else ""
        )
        _event("person.role_added", actor=granted_by, centre=centre, target=user, role=role.value)
        return membership, True
    changed = False
    if not membership.is_active or membership.ended_on is not None:
        membership.is_active, membership.ended_on = True, None
        _event(
            "person.role_restored", actor=granted_by, centre=centre, target=user, role=role.value
        )
        changed = True
    if role == Role.LEARNER and uln and membership.uln != uln:
        membership.uln = uln
        _event("person.uln_changed", actor=granted_by, centre=centre, target=user, uln=uln)
        changed = True
    if changed:
        membership.save(update_fields=["is_active", "ended_on", "uln"])
    return membership, changed


def _sign_out_everywhere(user: User) -> None:
    """End every session of ``user`` (each session's hash includes the generation)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)


@transaction.atomic
def membership_suspend(*, membership: Membership, suspended_by: User) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_on is not None:
        raise ValidationError("This role has ended; there is nothing to suspend.")
    if not membership.is_active:
        return membership
    if membership.user_id == suspended_by.pk and membership.role == Role.CENTRE_ADMIN:
        raise ValidationError("You cannot suspend your own centre admin role.")
    membership.is_active = False
    membership.save(update_fields=["is_active"])
    _sign_out_everywhere(membership.user)
    _event(
        "person.suspended",
        actor=suspended_by,
        centre=membership.centre,
        target=membership.user,
        role=membership.role,
    )
    return membership


@transaction.atomic
def membership_reactivate(*, membership: Membership, reactivated_by: User) -> Membership:
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_on is not None:
        raise ValidationError(
            "This role ended: add the role again on the person's page to bring them back."
        )
    if membership.is_active:
        return membership
    membership.is_active = True
    membership.save(update_fields=["is_active"])
    _event(
        "person.reactivated",
        actor=reactivated_by,
        centre=membership.centre,
        target=membership.user,
        role=membership.role,
    )
    return membership


@transaction.atomic
def membership_end(
    *, membership: Membership, ended_on: datetime.date, ended_by: User, reason: str = ""
) -> Membership:
    """The person leaves the role. A learner who leaves keeps their portfolio, read-only, for
    the centre: an open portfolio becomes withdrawn; its evidence, sign-offs and signatures
    are untouched."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.ended_on is not None:
        return membership
    if ended_on > timezone.localdate():
        raise ValidationError(
            {"ended_on": "Give the day they left (today or earlier); suspend them until then."}
        )
    if membership.user_id == ended_by.pk and membership.role == Role.CENTRE_ADMIN:
        raise ValidationError("You cannot end your own centre admin role.")
    membership.ended_on = ended_on
    membership.save(update_fields=["ended_on"])
    _sign_out_everywhere(membership.user)
    withdrawn = []
    if membership.role == Role.LEARNER:
        # Set directly, not through portfolio_update: that checks the learner's role is in
        # force, which it stopped being a moment ago.
        for portfolio in Portfolio.objects.select_for_update().filter(
            learner=membership.user, centre=membership.centre, status__in=OPEN_STATUSES
        ):
            portfolio.status = PortfolioStatus.WITHDRAWN
            portfolio.save(update_fields=["status"])
            evidence_services.common.record(
                "portfolio.changed",
                actor=ended_by,
                portfolio=portfolio,
                target=portfolio,
                status=portfolio.status,
                reason="the learner left the centre",
            )
            withdrawn.append(portfolio.pk)
    _event(
        "person.left",
        actor=ended_by,
        centre=membership.centre,
        target=membership.user,
        role=membership.role,
        ended_on=ended_on.isoformat(),
        reason=reason,
        portfolios_withdrawn=withdrawn,
    )
    return membership


@transaction.atomic
def person_update(
    *,
    centre: Centre,
    person: User,
    first_name: str,
    last_name: str,
    email: str,
    changed_by: User,
    uln: str | None = None,
) -> User:
    """A person's name and email (their sign-in), and as a learner their ULN at ``centre``."""
    person = User.objects.select_for_update().get(pk=person.pk)
    email = email.strip()
    if email.lower() != person.email.lower():
        other = user_for_email(email)
        if other is not None and other.pk != person.pk:
            raise ValidationError({"email": f"{email} is another person's sign-in."})
    changes = {}
    for name, value in (
        ("first_name", first_name.strip()),
        ("last_name", last_name.strip()),
        ("email", email),
    ):
        if getattr(person, name) != value:
            changes[name] = value
            setattr(person, name, value)
    if changes:
        person.full_clean()
        person.email = email  # as typed (full_clean lower-cases the domain)
        person.save(update_fields=list(changes))
        _event("person.changed", actor=changed_by, centre=centre, target=person, **changes)
    if uln is not None:
        membership = Membership.objects.filter(
            centre=centre, user=person, role=Role.LEARNER
        ).first()
        if membership is not None and membership.uln != uln:
            _check_uln(centre=centre, uln=uln, membership=membership)
            membership.uln = uln
            membership.save(update_fields=["uln"])
            _event("person.uln_changed", actor=changed_by, centre=centre, target=person, uln=uln)
    return person


# --- Adding a person ---------------------------------------------------------------------------


@transaction.atomic
def person_add(
    *,
    centre: Centre,
    email: str,
    first_name: str,
    last_name: str,
    roles: Iterable[Role],
    added_by: User | None,
    uln: str = "",
    enrolment: Enrolment | None = None,
    invite: bool = True,
) -> tuple[User, bool]:
    """Add someone to the centre with ``roles``: their existing account if the email has one
    (at this or another centre), else a new one, invited to set a password. A learner with
    ``enrolment`` is enrolled on it. Returns (user, account_created)."""
    roles = [Role(role) for role in roles]
    if not roles:
        raise ValidationError({"roles": "Choose at least one role."})
    if enrolment is not None and Role.LEARNER not in roles:
        raise ValidationError({"roles": "Only a learner is enrolled on a qualification."})
    user, created = account_find_or_create(email=email, first_name=first_name, last_name=last_name)
    if created:
        _event("person.added", actor=added_by, centre=centre, target=user, email=user.email)
    for role in roles:
        role_grant(
            user=user,
            centre=centre,
            role=role,
            granted_by=added_by,
            uln=uln if role == Role.LEARNER else "",
        )
    if enrolment is not None:
        learner_enrol(learner=user, centre=centre, enrolment=enrolment, enrolled_by=added_by)
    if invite and not user.has_usable_password():
        invitation_send(user=user, centre=centre, invited_by=added_by)
    return user, created


def learner_enrol(
    *, learner: User, centre: Centre, enrolment: Enrolment, enrolled_by: User | None
) -> Portfolio:
    return evidence_services.portfolio_enrol(
        learner=learner,
        centre=centre,
        qualification=enrolment.qualification,
        start_date=enrolment.start_date,
        planned_end_date=enrolment.planned_end_date,
        assessor=enrolment.assessor,
        iqa=enrolment.iqa,
        chosen_units=enrolment.optional_units(),
        enrolled_by=enrolled_by,
        registration_number=enrolment.registration_number,
        registered_on=enrolment.registered_on,
        employer=enrolment.employer,
    )


def learner_record_update(
    *,
    portfolio: Portfolio,
    registration_number: str,
    registered_on: datetime.date | None,
    employer: str,
    changed_by: User | None,
) -> bool:
    """The awarding organisation's registration and the employer, on an enrolment."""
    values = {
        "registration_number": registration_number.strip(),
        "registered_on": registered_on,
        "employer": employer.strip(),
    }
    if all(getattr(portfolio, name) == value for name, value in values.items()):
        return False
    for name, value in values.items():
        setattr(portfolio, name, value)
    portfolio.full_clean()
    portfolio.save(update_fields=list(values))
    evidence_services.common.record(
        "portfolio.learner_record_changed",
        actor=changed_by,
        portfolio=portfolio,
        target=portfolio,
        registration_number=values["registration_number"],
        registered_on=registered_on.isoformat() if registered_on else "",
        employer=values["employer"],
    )
    return True


# --- Invitations -------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_send(*, user: User, centre: Centre, invited_by: User | None) -> Invitation:
    """A new single-use link for ``user`` to set their password, emailed by the worker once
    the transaction commits. Any earlier open link stops working (only the newest counts)."""
    if user.has_usable_password():
        raise ValidationError(f"{user} has already set a password; they can sign in.")
    now = timezone.now()
    Invitation.objects.filter(user=user).open().update(cancelled_at=now)
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        user=user,
        centre=centre,
        invited_by=invited_by,
        token_hash=_token_hash(token),
        created_at=now,
        expires_at=now + datetime.timedelta(days=settings.INVITATION_DAYS),
    )
    link = settings.SITE_URL.rstrip("/") + reverse("people:invitation-accept", args=[token])
    context = {
        "user": user,
        "centre": centre,
        "invited_by": invited_by,
        "link": link,
        "days": settings.INVITATION_DAYS,
        "expires_at": invitation.expires_at,
    }
    subject = f"You are invited to NVQ Portfolio at {centre.name}"
    body = render_to_string("people/invitation_email.txt", context)
    transaction.on_commit(lambda: send_email.delay(subject=subject, body=body, to=[user.email]))
    _event(
        "person.invited",
        actor=invited_by,
        centre=centre,
        target=user,
        expires_at=invitation.expires_at.isoformat(),
    )
    # Only on the object returned here (for the caller's tests and scripts): never stored.
    invitation.token = token
    return invitation


@transaction.atomic
def invitation_cancel(*, invitation: Invitation, cancelled_by: User) -> Invitation:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.state != "open":
        raise ValidationError(f"This invitation is already {invitation.state}.")
    invitation.cancelled_at = timezone.now()
    invitation.save(update_fields=["cancelled_at"])
    _event(
        "person.invitation_cancelled",
        actor=cancelled_by,
        centre=invitation.centre,
        target=invitation.user,
    )
    return invitation


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link names, in any state (the page says why a used one fails)."""
    return (
        Invitation.objects.select_related("user", "centre")
        .filter(token_hash=_token_hash(token))
        .first()
    )


@transaction.atomic
def invitation_accept(*, token: str, password: str) -> User:
    """Set the invited person's password through their link; the link then stops working."""
    invitation = Invitation.objects.select_for_update().filter(token_hash=_token_hash(token))
    invitation = invitation.select_related("user", "centre").first()
    if invitation is None or invitation.state != "open":
        raise ValidationError("This invitation link no longer works.")
    user = invitation.user
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    _event("person.invitation_accepted", actor=user, centre=invitation.centre, target=user)
    return user


# --- Caseloads ---------------------------------------------------------------------------------

CASELOAD_ROLES = {Role.ASSESSOR: "assessor", Role.IQA: "iqa"}


@transaction.atomic
def caseload_reassign(
    *,
    centre: Centre,
    role: Role,
    from_user: User,
    to_user: User,
    portfolios: Iterable[Portfolio] | None,
    reason: str,
    reassigned_by: User,
) -> list[Portfolio]:
    """Move learners' portfolios (``portfolios``, or all of ``from_user``'s open ones at the
    centre when None) from one assessor or IQA to another. Past decisions and signatures keep
    the person who made them: only the portfolio's current assignment changes, so the new
    assessor's queue shows the waiting items at once."""
    role = Role(role)
    if role not in CASELOAD_ROLES:
        raise ValidationError("Only assessors' and IQAs' caseloads are reassigned.")
    field_name = CASELOAD_ROLES[role]
    if not reason.strip():
        raise ValidationError(
            {"reason": "Say why the learners are moving (it goes in the audit trail)."}
        )
    if from_user.pk == to_user.pk:
        raise ValidationError({"to_user": "Choose someone other than the current one."})
    if not Membership.objects.active().filter(user=to_user, centre=centre, role=role).exists():
        raise ValidationError(
            {"to_user": f"{to_user} is not an active {role.label.lower()} at {centre}."}
        )
    candidates = Portfolio.objects.select_for_update().filter(
        centre=centre, **{field_name: from_user}
    )
    if portfolios is None:
        chosen = list(candidates.filter(status__in=OPEN_STATUSES))
    else:
        wanted = {portfolio.pk for portfolio in portfolios}
        chosen = list(candidates.filter(pk__in=wanted))
        if len(chosen) != len(wanted):
            raise ValidationError(
                "Some of the chosen learners are no longer on this caseload: reload the page."
            )
    if not chosen:
        raise ValidationError("There are no learners to move.")
    Portfolio.objects.filter(pk__in=[portfolio.pk for portfolio in chosen]).update(
        **{field_name: to_user}
    )
    waiting = 0
    if role == Role.ASSESSOR:
        waiting = EvidenceItem.objects.filter(
            portfolio__in=chosen, status=EvidenceStatus.SUBMITTED
        ).count()
    for portfolio in chosen:
        evidence_services.common.record(
            "portfolio.reassigned",
            actor=reassigned_by,
            portfolio=portfolio,
            target=portfolio,
            role=role.value,
            from_user=from_user.pk,
            to_user=to_user.pk,
            reason=reason.strip(),
        )
    _event(
        "caseload.reassigned",
        actor=reassigned_by,
        centre=centre,
        target=to_user,
        role=role.value,
        from_user=from_user.pk,
        to_user=to_user.pk,
        portfolios=sorted(portfolio.pk for portfolio in chosen),
        reason=reason.strip(),
    )
    count = len(chosen)
    learners = "learner" if count == 1 else "learners"
    role_name = role.label.lower()
    notify(
        recipients=[to_user],
        kind="caseload.reassigned",
        message=f"{reassigned_by} moved {count} {learners} to you as their {role_name} "
        f"(from {from_user})"
        + (f"; {waiting} item{'s' if waiting != 1 else ''} waiting for review." if waiting else ".")
        + f" Reason: {reason.strip()}",
        url=reverse("home"),
    )
    notify(
        recipients=[from_user],
        kind="caseload.reassigned",
        message=f"{reassigned_by} moved {count} {learners} from you to {to_user} "
        f"as their {role_name}. Reason: {reason.strip()}",
        url=reverse("home"),
    )
    return chosen


# --- The centre --------------------------------------------------------------------------------


@transaction.atomic
def centre_update(
    *, centre: Centre, name: str, centre_number: str, address: str, changed_by: User
) -> Centre:
    centre = Centre.objects.select_for_update().get(pk=centre.pk)
    before = {"name": centre.name, "centre_number": centre.centre_number, "address": centre.address}
    centre.name, centre.centre_number, centre.address = (
        name.strip(),
        centre_number.strip(),
        address.strip(),
    )
    centre.full_clean()
    after = {"name": centre.name, "centre_number": centre.centre_number, "address": centre.address}
    if after != before:
        centre.save(update_fields=list(after))
        _event("centre.changed", actor=changed_by, centre=centre, target=centre, **after)
    return centre
