"""Users, training centres, and the role a user holds at a centre."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class User(AbstractUser):
    """A person who signs in. What they may do depends on their memberships, not on flags here.

    ``is_staff`` and ``is_superuser`` are kept for the people who run the service and use
    Django admin; they grant no access to anyone's portfolio.
    """

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
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def active(self) -> "MembershipQuerySet":
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    """A user's role at a centre. One person may hold several (an assessor who is also an IQA,
    for instance) and at several centres (external quality assurers usually do)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(
        default=True, help_text="Untick to suspend this role without deleting its history."
    )
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
        ]

    def __str__(self) -> str:
        return f"{self.user} - {self.get_role_display()} at {self.centre}"
