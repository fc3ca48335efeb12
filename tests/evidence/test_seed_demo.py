"""manage.py seed_demo: the demo centre, one account per role, the demo learner's portfolio."""

import pytest
from django.core.management import CommandError, call_command

from evidence.models import EvidenceFile, EvidenceItem, Portfolio, SignOff
from portfolio_site.accounts.models import Centre, Membership, Role, User

pytestmark = pytest.mark.django_db


def test_seed_creates_a_user_of_each_role_and_enrols_the_learner(catalogue, capsys):
    call_command("seed_demo")

    centre = Centre.objects.get(code="demo-centre")
    held = set(Membership.objects.filter(centre=centre).values_list("role", flat=True))
    assert held == set(Role.values)
    portfolio = Portfolio.objects.get(learner__username="learner")
    assert portfolio.assessor.username == "assessor"
    assert portfolio.iqa.username == "iqa"
    assert portfolio.qualification.code == "icq-l4-nvq-diploma-customer-service-rqf"
    assert portfolio.chosen_units.count() == 2
    # Two more learners, so a centre admin has several portfolios to export together.
    assert set(Portfolio.objects.values_list("learner__username", flat=True)) == {
        "learner",
        "learner2",
        "learner3",
    }
    # The demo learner's evidence went through the real services: accepted and signed off,
    # and one item waiting for the assessor.
    statuses = sorted(portfolio.evidence_items.values_list("status", flat=True))
    assert statuses == ["accepted", "submitted"]
    assert SignOff.objects.filter(portfolio=portfolio).count() == 3
    assert EvidenceFile.objects.filter(item__portfolio=portfolio).count() == 1

    output = capsys.readouterr().out
    assert "password for each: portfolio-demo" in output
    for username in ("learner", "assessor", "iqa", "centreadmin", "eqa", "admin", "learner3"):
        assert User.objects.get(username=username).check_password("portfolio-demo")
        assert f"  {username} " in output


def test_seed_twice_changes_nothing(catalogue, capsys):
    call_command("seed_demo")
    learner = User.objects.get(username="learner")
    learner.set_password("my-own-choice-now")
    learner.save()

    def counts():
        return (
            User.objects.count(),
            Membership.objects.count(),
            Portfolio.objects.count(),
            EvidenceItem.objects.count(),
        )

    before = counts()
    call_command("seed_demo")

    assert counts() == before
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


def test_demo_process_map_is_added_once(catalogue, capsys):
    from processes.models import ProcessVersion

    call_command("seed_demo")
    call_command("seed_demo_processes")
    call_command("seed_demo_processes")
    versions = ProcessVersion.objects.order_by("number")
    assert [(v.state, v.status) for v in versions] == [
        ("current", "approved"),
        ("future", "approved"),
    ]
    items = EvidenceItem.objects.filter(kind="process_map")
    assert items.count() == 2
    assert "already present, unchanged" in capsys.readouterr().out


def test_demo_process_map_needs_the_demo_learner(db):
    with pytest.raises(CommandError, match="seed_demo"):
        call_command("seed_demo_processes")
