"""Users, training centres, and the role a user holds at a centre."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from portfolio_site.accounts.validators import validate_uln


class User(AbstractUser):
    """A person who signs in. What they may do depends on their memberships, not on flags here.

    ``is_staff`` and ``is_superuser`` are kept for the people who run the service and use
    Django admin; they grant no access to anyone's portfolio.
    """

    # Raised to sign a person out everywhere (a role suspended or ended): every session holds
    # a hash of this with the password, and Django ends a session whose hash no longer fits.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        constraints = [
            # Password reset and notifications go by email: two accounts may not share one.
            models.UniqueConstraint(
                Lower("email"),
                condition=~models.Q(email=""),
                name="accounts_user_email_unique_when_set",
                violation_error_message="Another account already uses this email address.",
            ),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return str(self)

    def _get_session_auth_hash(self, secret=None) -> str:
        # Django's own hash covers the password only (a new password signs out every other
        # session); the generation lets a suspension do the same.
        return salted_hmac(
            "portfolio_site.accounts.User.get_session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


class Role(models.TextChoices):
    LEARNER = "learner", "Learner"
    ASSESSOR = "assessor", "Assessor"
    IQA = "iqa", "Internal quality assurer"
    CENTRE_ADMIN = "centre_admin", "Centre admin"
    EQA = "eqa", "External quality assurer"


class Centre(models.Model):
    """A training provider approved by awarding organisations to deliver qualifications."""

    name = models.CharField(max_length=200)
    code = models.SlugField(
        max_length=60, unique=True, help_text="Short identifier used in addresses and exports."
    )
    centre_number = models.CharField(
        max_length=40,
        blank=True,
        help_text="The number an awarding organisation gave this centre, if known.",
    )
    address = models.TextField(blank=True, help_text="Postal address, as it goes on documents.")
    require_two_factor = models.BooleanField(
        "require two-factor sign-in",
        default=False,
        help_text=(
            "Assessors, IQAs, centre admins and EQAs of this centre must sign in with a code "
            "from an authenticator app as well as their password."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MembershipStatus(models.TextChoices):
    """A role's state, derived (see Membership.status): never stored, so it cannot drift."""

    INVITED = "invited", "Invited"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    LEFT = "left", "Left"


# A role is in force while it is neither suspended nor ended, and the account is enabled.
ACTIVE_MEMBERSHIP = models.Q(is_active=True, ended_on__isnull=True, user__is_active=True)


class MembershipQuerySet(models.QuerySet):
    def active(self) -> "MembershipQuerySet":
        """Roles in force. Every permission in the project reads roles through this."""
        return self.filter(ACTIVE_MEMBERSHIP)


class Membership(models.Model):
    """A user's role at a centre. One person may hold several (an assessor who is also an IQA,
    for instance) and at several centres (external quality assurers usually do)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(
        default=True, help_text="Untick to suspend this role without deleting its history."
    )
    ended_on = models.DateField(
        null=True,
        blank=True,
        help_text="The day this person left the role (it then grants nothing).",
    )
    # Learners only: the Unique Learner Number from the Learning Records Service.
    uln = models.CharField("ULN", max_length=10, blank=True, validators=[validate_uln])
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["centre__name", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "centre", "role"],
                name="accounts_membership_one_role_per_user_and_centre",
                violation_error_message="This person already holds this role at this centre.",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_membership_role_valid"
            ),
            # One learner per ULN at a centre (a person holds one ULN for life).
            models.UniqueConstraint(
                fields=["centre", "uln"],
                condition=~models.Q(uln=""),
                name="accounts_membership_uln_unique_at_centre",
                violation_error_message="Another learner at this centre has this ULN.",
            ),
            models.CheckConstraint(
                condition=models.Q(uln="") | models.Q(role="learner"),
                name="accounts_membership_uln_learners_only",
                violation_error_message="Only learners have a ULN.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} at {self.centre}"

    @property
    def status(self) -> str:
        if self.ended_on is not None:
            return MembershipStatus.LEFT
        if not self.is_active or not self.user.is_active:
            return MembershipStatus.SUSPENDED
        if not self.user.has_usable_password():
            return MembershipStatus.INVITED
        return MembershipStatus.ACTIVE

    def get_status_display(self) -> str:
        return MembershipStatus(self.status).label


class InvitationQuerySet(models.QuerySet):
    def open(self) -> "InvitationQuerySet":
        """Invitations whose link still works: not used, not cancelled, not expired."""
        return self.filter(
            accepted_at__isnull=True, cancelled_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """A single-use link, emailed to a new person, to set their password. Only the SHA-256 of
    the link's token is stored, so a copy of the database opens nobody's account."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="invitations")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    invited_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(accepted_at__isnull=True) | models.Q(cancelled_at__isnull=True),
                name="accounts_invitation_accepted_or_cancelled",
            ),
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.user} to {self.centre}"

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.cancelled_at:
            return "cancelled"
        if self.expires_at <= timezone.now():
            return "expired"
        return "open"
