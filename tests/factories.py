"""factory_boy factories for every model, shared by all tests."""

import datetime
import hashlib

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from criteria.models import (
    AssessmentCriterion,
    AwardingOrganisation,
    Framework,
    LearningOutcome,
    Qualification,
    QualificationUnit,
    Requirement,
    Unit,
)
from evidence.models import (
    CriterionMapping,
    EvidenceFile,
    EvidenceItem,
    EvidenceKind,
    Portfolio,
)
from portfolio_site.accounts.models import Centre, Membership, Role, User

TEST_PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.org")
    password = factory.django.Password(TEST_PASSWORD)


class CentreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Centre

    name = factory.Sequence(lambda n: f"Training Centre {n}")
    code = factory.Sequence(lambda n: f"centre-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    centre = factory.SubFactory(CentreFactory)
    role = Role.LEARNER


def member(role: Role, centre: Centre, **user_fields) -> User:
    """A new user holding ``role`` at ``centre``."""
    user = UserFactory(**user_fields)
    MembershipFactory(user=user, centre=centre, role=role)
    return user


class AwardingOrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AwardingOrganisation

    code = factory.Sequence(lambda n: f"ao-{n}")
    name = factory.Sequence(lambda n: f"Awarding Organisation {n} Ltd")


class QualificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Qualification

    code = factory.Sequence(lambda n: f"qualification-{n}")
    title = factory.Sequence(lambda n: f"Level 3 NVQ Diploma in Subject {n}")
    awarding_organisation = factory.SubFactory(AwardingOrganisationFactory)
    level = 3
    framework = Framework.RQF


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    code = factory.Sequence(lambda n: f"unit-{n}")
    title = factory.Sequence(lambda n: f"Unit {n}")


class QualificationUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualificationUnit

    qualification = factory.SubFactory(QualificationFactory)
    unit = factory.SubFactory(UnitFactory)
    requirement = Requirement.MANDATORY


class LearningOutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningOutcome

    unit = factory.SubFactory(UnitFactory)
    number = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Be able to do thing {n}")


class AssessmentCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssessmentCriterion

    outcome = factory.SubFactory(LearningOutcomeFactory)
    number = factory.LazyAttributeSequence(lambda c, n: f"{c.outcome.number}.{n + 1}")
    text = factory.Sequence(lambda n: f"Do thing {n} well")


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portfolio

    centre = factory.SubFactory(CentreFactory)
    learner = factory.LazyAttribute(lambda p: member(Role.LEARNER, p.centre))
    assessor = factory.LazyAttribute(lambda p: member(Role.ASSESSOR, p.centre))
    iqa = factory.LazyAttribute(lambda p: member(Role.IQA, p.centre))
    qualification = factory.SubFactory(QualificationFactory)
    start_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))


class EvidenceItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EvidenceItem

    portfolio = factory.SubFactory(PortfolioFactory)
    title = factory.Sequence(lambda n: f"Evidence item {n}")
    kind = EvidenceKind.WORK_PRODUCT
    activity_date = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=7))
    narrative = "<div>What I did and why.</div>"
    created_by = factory.LazyAttribute(lambda item: item.portfolio.learner)


class CriterionMappingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CriterionMapping

    item = factory.SubFactory(EvidenceItemFactory)
    criterion = factory.SubFactory(AssessmentCriterionFactory)
    reference = "Page 2, second paragraph"


class EvidenceFileFactory(factory.django.DjangoModelFactory):
    """A stored plain-text file (the bytes really are in MEDIA_ROOT)."""

    class Meta:
        model = EvidenceFile

    class Params:
        content = factory.Sequence(lambda n: f"Minutes of meeting {n}\n".encode())

    item = factory.SubFactory(EvidenceItemFactory)
    original_name = factory.Sequence(lambda n: f"minutes-{n}.txt")
    file = factory.LazyAttribute(lambda f: ContentFile(f.content, name="upload.txt"))
    size = factory.LazyAttribute(lambda f: len(f.content))
    sha256 = factory.LazyAttribute(lambda f: hashlib.sha256(f.content).hexdigest())
    content_type = "text/plain"
    uploaded_by = factory.LazyAttribute(lambda f: f.item.portfolio.learner)
