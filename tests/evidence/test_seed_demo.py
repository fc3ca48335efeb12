"""manage.py seed_demo: the demo centre, one account per role, the demo learner's portfolio."""

import pytest
from django.core.management import CommandError, call_command

from evidence.models import Portfolio
from portfolio_site.accounts.models import Centre, Membership, Role, User

pytestmark = pytest.mark.django_db


def test_seed_creates_a_user_of_each_role_and_enrols_the_learner(catalogue, capsys):
    call_command("seed_demo")

    centre = Centre.objects.get(code="demo-centre")
    held = set(Membership.objects.filter(centre=centre).values_list("role", flat=True))
    assert held == set(Role.values)
    portfolio = Portfolio.objects.get()
    assert portfolio.learner.username == "learner"
    assert portfolio.assessor.username == "assessor"
    assert portfolio.iqa.username == "iqa"
    assert portfolio.qualification.code == "icq-l4-nvq-diploma-customer-service-rqf"
    assert portfolio.chosen_units.count() == 2

    output = capsys.readouterr().out
    assert "password for each: portfolio-demo" in output
    for username in ("learner", "assessor", "iqa", "centreadmin", "eqa", "admin"):
        assert User.objects.get(username=username).check_password("portfolio-demo")
        assert f"  {username} " in output


def test_seed_twice_changes_nothing(catalogue, capsys):
    call_command("seed_demo")
    learner = User.objects.get(username="learner")
    learner.set_password("my-own-choice-now")
    learner.save()
    counts = (User.objects.count(), Membership.objects.count(), Portfolio.objects.count())

    call_command("seed_demo")

    assert (User.objects.count(), Membership.objects.count(), Portfolio.objects.count()) == counts
    learner.refresh_from_db()
    assert learner.check_password("my-own-choice-now")
    assert "already present, unchanged" in capsys.readouterr().out


def test_seed_needs_the_catalogue(db):
    with pytest.raises(CommandError, match=r"run `manage\.py load_catalogue` first"):
        call_command("seed_demo")


def test_no_demo_accounts_in_production(catalogue, settings):
    settings.IS_PRODUCTION = True
    with pytest.raises(CommandError, match="not in production"):
        call_command("seed_demo")
    assert not User.objects.exists()
