"""Django admin: every registered model's list, add and change pages load for a superuser."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from evidence.management.commands.seed_demo import DEMO_PASSWORD
from evidence.models import Portfolio
from portfolio_site.accounts.models import User
from portfolio_site.exports.models import ExportJob, ExportStatus
from tests.factories import UserFactory


@pytest.fixture
def admin_client_with_data(client, catalogue):
    call_command("seed_demo", verbosity=0)
    # django-axes' records (attempts, failures, log-ins), made through the log-in form.
    login_url = reverse("login")
    client.post(login_url, {"username": "assessor", "password": "wrong"})
    client.post(login_url, {"username": "learner", "password": DEMO_PASSWORD})
    client.logout()
    # An export that stopped, as a superuser would look it up.
    ExportJob.objects.create(
        portfolio=Portfolio.objects.first(),
        requested_by=User.objects.get(username="centreadmin"),
        status=ExportStatus.FAILED,
        error="The export could not be written to disk (No space left on device).",
    )
    # django-otp's devices: an assessor who set up two-factor sign-in, with recovery codes.
    assessor = User.objects.get(username="assessor")
    TOTPDevice.objects.create(user=assessor, name="Authenticator app", confirmed=True)
    StaticDevice.objects.create(user=assessor, name="Recovery codes").token_set.create(
        token="abcd1234"
    )
    superuser = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(superuser)
    return client


MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.mark.parametrize("model", MODELS, ids=[m._meta.label for m in MODELS])
def test_admin_pages_load(admin_client_with_data, model):
    client = admin_client_with_data
    info = (model._meta.app_label, model._meta.model_name)
    obj = model._default_manager.first()
    assert obj is not None, f"no {model._meta.label} to open"

    assert client.get(reverse("admin:{}_{}_changelist".format(*info))).status_code == 200
    # Records nobody writes by hand (django-axes' log-in records) refuse "add" with a 403.
    request = RequestFactory().get("/")
    request.user = UserFactory.build(is_staff=True, is_superuser=True)
    can_add = admin.site._registry[model].has_add_permission(request)
    assert client.get(reverse("admin:{}_{}_add".format(*info))).status_code == (
        200 if can_add else 403
    )
    assert client.get(reverse("admin:{}_{}_change".format(*info), args=[obj.pk])).status_code == 200


def test_admin_search_works_on_every_searchable_model(admin_client_with_data):
    for model, model_admin in admin.site._registry.items():
        if model_admin.search_fields:
            info = (model._meta.app_label, model._meta.model_name)
            url = reverse("admin:{}_{}_changelist".format(*info))
            assert admin_client_with_data.get(url, {"q": "demo"}).status_code == 200, model


def test_catalogue_is_editable_in_admin(admin_client_with_data):
    from criteria.models import AssessmentCriterion

    criterion = AssessmentCriterion.objects.get_by_natural_key("design-business-processes", "1.1")
    url = reverse("admin:criteria_assessmentcriterion_change", args=[criterion.pk])
    response = admin_client_with_data.post(
        url,
        {"outcome": criterion.outcome_id, "number": "1.1", "text": "Reworded", "guidance": ""},
    )
    assert response.status_code == 302
    criterion.refresh_from_db()
    assert criterion.text == "Reworded"


def test_admin_is_closed_to_centre_staff_without_the_staff_flag(client, people):
    from portfolio_site.accounts.models import Role

    client.force_login(people[Role.CENTRE_ADMIN])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
