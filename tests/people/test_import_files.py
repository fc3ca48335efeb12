"""Importing whole files, CSV and XLSX, through the shell command and the services: new,
unchanged, updated and broken rows, a BOM, non-ASCII names, a duplicate email in one file."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from evidence.models import Portfolio
from people.importing import RowStatus, import_apply, import_plan, import_record
from people.models import PeopleImport
from portfolio_site.accounts.models import Invitation, Membership, Role, User
from portfolio_site.audit.models import AuditEvent
from tests.evidence.helpers import DESIGN, ICQ_CUSTOMER_SERVICE, QUALITY
from tests.factories import CentreFactory, member
from tests.people.import_helpers import ULN_BAD, ULN_ZOE, csv_bytes, people_rows, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(catalogue, centre, people):
    return centre


def run(centre, path, *options) -> tuple[int, list[str], str]:
    """The command's exit status, its stdout lines and its stderr."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import_people", "--centre", centre.code, str(path), *options, stdout=out, stderr=err
        )
        status = 0
    except SystemExit as exit:
        status = exit.code
    return status, out.getvalue().splitlines(), err.getvalue()


def write(tmp_path, name, content: bytes):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def snapshot(centre) -> tuple:
    """Everything an import may change, to compare before and after."""
    return (
        sorted(User.objects.values_list("pk", "email", "first_name", "last_name")),
        sorted(
            Membership.objects.filter(centre=centre).values_list(
                "user_id", "role", "is_active", "ended_on", "uln"
            )
        ),
        sorted(
            Portfolio.objects.filter(centre=centre).values_list(
                "pk",
                "learner_id",
                "assessor_id",
                "iqa_id",
                "start_date",
                "planned_end_date",
                "employer",
                "updated_at",
            )
        ),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_new_then_unchanged_then_one_changed_cell(world, tmp_path, kind):
    centre = world
    build = csv_bytes if kind == "csv" else xlsx_bytes
    rows = people_rows()
    path = write(tmp_path, f"people.{kind}", build(rows))

    status, lines, _ = run(centre, path)  # a dry run first: it changes nothing
    assert status == 0
    assert lines[-1] == "3 new, 0 updated, 0 unchanged, 0 errors"
    assert not User.objects.filter(email__iexact="zoe@example.org").exists()

    status, lines, _ = run(centre, path, "--commit")
    assert status == 0, lines
    assert lines[:3] == [
        "row 2: new: Siân Llywelyn <Sian.Llywelyn@example.org> (assessor)",
        "row 3: new: Zoë Brontë <zoe@example.org> (learner)",
        "row 4: new: Anna Żółkiewska <anna@example.org> (learner)",
    ]
    assert lines[-1] == "3 new, 0 updated, 0 unchanged, 0 errors"
    zoe = User.objects.get(email="zoe@example.org")
    assert (zoe.first_name, zoe.last_name) == ("Zoë", "Brontë")
    assert not zoe.has_usable_password()
    assert Membership.objects.get(user=zoe, centre=centre, role=Role.LEARNER).uln == ULN_ZOE
    sian = User.objects.get(email="Sian.Llywelyn@example.org")  # stored as typed
    portfolio = Portfolio.objects.get(learner=zoe)
    assert portfolio.qualification.code == ICQ_CUSTOMER_SERVICE
    assert portfolio.assessor == sian and portfolio.iqa.email == "iqa-user@example.org"
    assert portfolio.start_date == datetime.date(2026, 9, 1)
    assert portfolio.planned_end_date == datetime.date(2027, 8, 31)
    assert portfolio.employer == "Café Nero, Bath"
    assert [unit.code for unit in portfolio.chosen_units.all()] == [DESIGN]
    anna = Portfolio.objects.get(learner__email="anna@example.org")
    assert anna.assessor == sian and anna.iqa is None
    assert not Invitation.objects.exists()  # off for --commit unless --invite
    event = AuditEvent.objects.get(action="people.imported")
    record = PeopleImport.objects.get()
    assert event.details["sha256"] == record.sha256 and len(record.sha256) == 64
    assert (event.details["new"], event.details["errors"]) == (3, 0)
    assert record.committed_at is not None and record.summary() == lines[-1]

    # The same file again changes nothing.
    before = snapshot(centre)
    status, lines, _ = run(centre, path, "--commit")
    assert status == 0
    assert lines[-1] == "0 new, 0 updated, 3 unchanged, 0 errors"
    after = snapshot(centre)
    assert after[:3] == before[:3]
    assert after[3] == before[3] + 1  # only the import's own audit event

    # One changed cell updates that person, and only them.
    rows[1]["employer"] = "Café Nero, Bristol"
    path = write(tmp_path, f"changed.{kind}", build(rows))
    status, lines, _ = run(centre, path, "--commit")
    assert status == 0
    assert lines[1] == (
        "row 3: updated: Zoë Brontë <zoe@example.org> (learner): "
        "employer 'Café Nero, Bath' → 'Café Nero, Bristol'"
    )
    assert lines[-1] == "0 new, 1 updated, 2 unchanged, 0 errors"
    portfolio.refresh_from_db()
    assert portfolio.employer == "Café Nero, Bristol"


def test_updated_rows_change_names_units_assessor_dates_and_restore_a_role(world, tmp_path):
    centre = world
    rows = people_rows()
    run(centre, write(tmp_path, "first.csv", csv_bytes(rows)), "--commit")
    zoe = User.objects.get(email="zoe@example.org")
    Membership.objects.filter(user=zoe, role=Role.LEARNER).update(
        ended_on=datetime.date(2026, 10, 1)
    )
    rows[1].update(
        last_name="Brontë-Smith",
        units=f"{DESIGN};{QUALITY}",
        assessor="assessor-user@example.org",
        planned_end_date="30/09/2027",
    )
    status, lines, _ = run(centre, write(tmp_path, "second.csv", csv_bytes(rows)), "--commit")
    assert status == 0, lines
    assert lines[-1] == "0 new, 1 updated, 2 unchanged, 0 errors"
    assert "last_name 'Brontë' → 'Brontë-Smith'" in lines[1]
    assert "the learner role, which ended on 01/10/2026, is given back" in lines[1]
    zoe.refresh_from_db()
    assert zoe.last_name == "Brontë-Smith"
    assert Membership.objects.get(user=zoe, role=Role.LEARNER).ended_on is None
    portfolio = Portfolio.objects.get(learner=zoe)
    assert portfolio.assessor.email == "assessor-user@example.org"
    assert portfolio.planned_end_date == datetime.date(2027, 9, 30)
    assert sorted(unit.code for unit in portfolio.chosen_units.all()) == sorted([DESIGN, QUALITY])


def test_broken_rows_and_a_duplicate_email_change_nothing_even_with_commit(world, tmp_path):
    centre = world
    rows = people_rows()
    rows[1]["uln"] = ULN_BAD
    rows.append({**rows[2], "first_name": "Anna"})  # anna@example.org again, same role
    rows.append({"role": "teacher", "first_name": "X", "last_name": "Y", "email": "x@example.org"})
    before = snapshot(centre)
    status, lines, err = run(centre, write(tmp_path, "broken.csv", csv_bytes(rows)), "--commit")
    assert status == 1
    assert lines[-1] == "2 new, 0 updated, 0 unchanged, 3 errors"
    assert lines[1].startswith("row 3: error: Zoë Brontë <zoe@example.org> (learner): uln: ")
    assert lines[3] == (
        "row 5: error: Anna Żółkiewska <anna@example.org> (learner): email: anna@example.org is "
        f"already on row 4 as learner on {ICQ_CUSTOMER_SERVICE}: give each person once per role."
    )
    assert "role: 'teacher' is not a role" in lines[4]
    assert "Nothing was imported" in err
    assert snapshot(centre) == before
    assert not PeopleImport.objects.exists()


def test_xlsx_with_a_bad_header_is_refused_by_name(world, tmp_path):
    columns = (*people_rows()[0].keys(), "phone")
    content = xlsx_bytes([{**people_rows()[0], "phone": "0117"}], columns=columns)
    status, lines, _ = run(world, write(tmp_path, "people.xlsx", content), "--commit")
    assert status == 1
    assert lines[0].startswith("file: error: Unknown column 'PHONE': remove it")
    assert lines[-1] == "0 new, 0 updated, 0 unchanged, 1 errors"


def test_csv_without_bom_and_a_latin1_file(world, tmp_path):
    status, lines, _ = run(world, write(tmp_path, "a.csv", csv_bytes(people_rows(), bom=False)))
    assert (status, lines[-1]) == (0, "3 new, 0 updated, 0 unchanged, 0 errors")
    # What "CSV (comma delimited)" in Excel on Windows saves: Windows-1252, not UTF-8.
    latin1 = csv_bytes(people_rows(), bom=False).decode().encode("cp1252", errors="replace")
    status, lines, _ = run(world, write(tmp_path, "b.csv", latin1))
    assert status == 1
    assert "is not UTF-8 text" in lines[0]


def test_a_person_from_another_centre_gets_a_membership_not_a_second_account(world, tmp_path):
    elsewhere = CentreFactory(code="elsewhere")
    existing = member(Role.ASSESSOR, elsewhere, username="sian", email="sian.llywelyn@example.org")
    status, lines, _ = run(world, write(tmp_path, "a.csv", csv_bytes(people_rows())), "--commit")
    assert status == 0, lines
    assert User.objects.filter(email__iexact="sian.llywelyn@example.org").count() == 1
    assert Membership.objects.filter(user=existing, centre=world, role=Role.ASSESSOR).exists()
    existing.refresh_from_db()
    assert existing.email == "sian.llywelyn@example.org"  # the account's own, untouched


def test_invite_sends_invitations_to_new_accounts_only(world, tmp_path):
    status, _, err = run(
        world, write(tmp_path, "a.csv", csv_bytes(people_rows())), "--commit", "--invite"
    )
    assert status == 0
    assert Invitation.objects.count() == 3
    assert "3 invitations sent" in err


def test_planning_reads_the_database_in_a_fixed_number_of_queries(world):
    def queries(count: int) -> int:
        rows = [
            {
                "role": "assessor",
                "first_name": "A",
                "last_name": str(number),
                "email": f"a{number}@example.org",
            }
            for number in range(count)
        ] + people_rows()
        with CaptureQueriesContext(connection) as captured:
            plan = import_plan(centre=world, content=csv_bytes(rows), filename="a.csv")
        assert plan.count(RowStatus.NEW) == count + 3
        return len(captured)

    assert queries(5) == queries(200) <= 10


def test_applying_a_plan_that_went_stale_applies_nothing(world, people):
    """The preview said fine; by the confirm, the assessor named in the file was suspended."""
    rows = people_rows()[1:]
    for row in rows:
        row["assessor"] = "assessor-user@example.org"
    content = csv_bytes(rows)
    plan = import_plan(centre=world, content=content, filename="a.csv")
    assert not plan.has_errors
    record = import_record(
        centre=world,
        content=content,
        filename="a.csv",
        uploaded_by=people[Role.CENTRE_ADMIN],
        plan=plan,
    )
    Membership.objects.filter(user=people[Role.ASSESSOR]).update(is_active=False)
    applied = import_apply(people_import=record, applied_by=people[Role.CENTRE_ADMIN], invite=True)
    assert not applied.applied and applied.has_errors
    assert not User.objects.filter(email="zoe@example.org").exists()
    record.refresh_from_db()
    assert record.committed_at is None


def test_a_suspended_role_is_not_undone_by_a_spreadsheet(world, tmp_path):
    centre = world
    rows = people_rows()
    run(centre, write(tmp_path, "first.csv", csv_bytes(rows)), "--commit")
    zoe = User.objects.get(email="zoe@example.org")
    Membership.objects.filter(user=zoe, role=Role.LEARNER).update(is_active=False)
    status, lines, _ = run(centre, write(tmp_path, "again.csv", csv_bytes(rows)), "--commit")
    assert status != 0
    assert "is suspended as learner here: reactivate them on their page first" in lines[1]
    assert lines[-1].endswith("1 errors")
    assert not Membership.objects.get(user=zoe, role=Role.LEARNER).is_active
