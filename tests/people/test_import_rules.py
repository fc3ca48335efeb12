"""The import's row rules, one message each: what is wrong, in which column."""

import datetime

import pytest

from people.importing import RowStatus, import_plan, parse_date
from portfolio_site.accounts.models import Membership, Role
from tests.evidence.helpers import ICQ_CUSTOMER_SERVICE
from tests.factories import CentreFactory, member
from tests.people.import_helpers import ULN_ANNA, ULN_BAD, ULN_ZOE, csv_bytes

pytestmark = pytest.mark.django_db

LEARNER = {
    "role": "learner",
    "first_name": "Zoë",
    "last_name": "Brontë",
    "email": "zoe@example.org",
    "qualification": ICQ_CUSTOMER_SERVICE,
}


@pytest.fixture
def centre_with_people(catalogue, centre, people):
    return centre


def problems(centre, *rows, columns=None) -> list[list[tuple[str, str]]]:
    kwargs = {"columns": columns} if columns else {}
    plan = import_plan(centre=centre, content=csv_bytes(list(rows), **kwargs), filename="a.csv")
    assert not plan.problems, plan.problems
    return [[(p.column, p.message) for p in row.problems] for row in plan.rows]


def only_problem(centre, row) -> tuple[str, str]:
    (found,) = problems(centre, row)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"role": ""}, ("role", "Required: give learner, assessor, iqa, centre_admin or eqa.")),
        (
            {"role": "student"},
            ("role", "'student' is not a role: give learner, assessor, iqa, centre_admin or eqa."),
        ),
        ({"first_name": ""}, ("first_name", "Required.")),
        ({"last_name": "x" * 151}, ("last_name", "Longer than 150 characters.")),
        ({"email": ""}, ("email", "Required: the email address the person signs in with.")),
        ({"email": "zoe.example.org"}, ("email", "'zoe.example.org' is not an email address.")),
        ({"uln": "12345"}, ("uln", "A ULN is 10 digits; '12345' is not.")),
        (
            {"uln": ULN_BAD},
            (
                "uln",
                f"{ULN_BAD} is not a valid ULN: its last digit does not fit the others "
                "(check for a typing slip).",
            ),
        ),
        (
            {"qualification": ""},
            (
                "qualification",
                "Required for a learner: the qualification's code from the catalogue "
                "(e.g. icq-l4-nvq-diploma-customer-service-rqf).",
            ),
        ),
        (
            {"qualification": "nvq-in-juggling"},
            ("qualification", "No qualification in the catalogue has the code 'nvq-in-juggling'."),
        ),
        (
            {"units": "design-business-processes; juggling"},
            (
                "units",
                "'juggling' is not a unit of iCQ Level 4 NVQ Diploma in Customer Service (RQF).",
            ),
        ),
        ({"assessor": "zoe@example.org"}, ("assessor", "A learner cannot be their own assessor.")),
        ({"iqa": "ZOE@example.org"}, ("iqa", "A learner cannot be their own IQA.")),
        (
            {"assessor": "nobody@example.org"},
            (
                "assessor",
                "Nobody with the assessor role at Riverside Training has the email "
                "nobody@example.org: add them first, or in a row above this one.",
            ),
        ),
        (
            {"iqa": "assessor-user@example.org"},
            (
                "iqa",
                "Nobody with the internal quality assurer role at Riverside Training has the "
                "email assessor-user@example.org: add them first, or in a row above this one.",
            ),
        ),
        (
            {"assessor": "iqa-user@example.org", "iqa": "iqa-user@example.org"},
            ("iqa", "The IQA must be someone other than the assessor."),
        ),
        (
            {"start_date": "2026-13-01"},
            ("start_date", "'2026-13-01' is not a date: write 2026-09-01 or 01/09/2026."),
        ),
        (
            {"start_date": "01/09/2026", "planned_end_date": "2026-08-31"},
            ("planned_end_date", "31/08/2026 is before the start date 01/09/2026."),
        ),
        ({"employer": "x" * 201}, ("employer", "Longer than 200 characters.")),
    ],
)
def test_each_rule_of_a_learner_row(centre_with_people, change, expected):
    row = {**LEARNER, **change}
    found = problems(centre_with_people, row)[0]
    assert expected in found, found


def test_learner_columns_on_someone_else(centre_with_people):
    row = {"role": "assessor", "first_name": "A", "last_name": "B", "email": "a@example.org"}
    row |= {"uln": ULN_ZOE, "employer": "Acme"}
    assert problems(centre_with_people, row)[0] == [
        ("uln", "Only for learners: leave it empty for an assessor."),
        ("employer", "Only for learners: leave it empty for an assessor."),
    ]


def test_a_suspended_assessor_cannot_be_given_learners(centre_with_people, people):
    Membership.objects.filter(user=people[Role.ASSESSOR]).update(is_active=False)
    column, message = only_problem(
        centre_with_people, {**LEARNER, "assessor": "assessor-user@example.org"}
    )
    assert column == "assessor" and message.startswith("Nobody with the assessor role")


def test_an_assessor_in_a_row_below_is_too_late(centre_with_people):
    assessor = {"role": "assessor", "first_name": "S", "last_name": "L", "email": "s@example.org"}
    learner = {**LEARNER, "assessor": "s@example.org"}
    assert problems(centre_with_people, assessor, learner) == [[], []]
    below = problems(centre_with_people, learner, assessor)
    assert below[0][0][0] == "assessor" and below[1] == []


def test_duplicates_within_one_file(centre_with_people):
    anna = {**LEARNER, "email": "anna@example.org", "first_name": "Anna", "uln": ULN_ZOE}
    found = problems(
        centre_with_people,
        {**LEARNER, "uln": ULN_ZOE},
        {**LEARNER, "email": "ZOE@example.org"},  # the same person, same role: once only
        {**LEARNER, "role": "eqa", "qualification": "", "last_name": "Bronte"},
        anna,
        {**anna, "uln": ULN_ANNA, "qualification": "", "role": "assessor"},
    )
    assert found[0] == []
    assert found[1] == [
        (
            "email",
            "ZOE@example.org is already on row 2 as learner on "
            f"{ICQ_CUSTOMER_SERVICE}: give each person once per role.",
        )
    ]
    assert found[2] == [
        ("last_name", "Row 2 gives zoe@example.org the last_name 'Brontë': one person, one name.")
    ]
    assert found[3] == [
        (
            "uln",
            f"{ULN_ZOE} is also the ULN of zoe@example.org on row 2: a ULN belongs to one learner.",
        )
    ]
    assert ("uln", "Only for learners: leave it empty for an assessor.") in found[4]


def test_a_uln_held_by_another_learner_at_the_centre(centre_with_people, people):
    Membership.objects.filter(user=people[Role.LEARNER], role=Role.LEARNER).update(uln=ULN_ZOE)
    learner = people[Role.LEARNER]
    assert only_problem(centre_with_people, {**LEARNER, "uln": ULN_ZOE}) == (
        "uln",
        f"Another learner at Riverside Training ({learner}) has the ULN {ULN_ZOE}.",
    )


def test_a_uln_at_another_centre_is_no_clash(centre_with_people):
    elsewhere = CentreFactory(code="elsewhere")
    other = member(Role.LEARNER, elsewhere)
    Membership.objects.filter(user=other).update(uln=ULN_ZOE)
    assert problems(centre_with_people, {**LEARNER, "uln": ULN_ZOE}) == [[]]


def test_file_level_problems(centre_with_people):
    def file_problems(content: bytes, name: str = "a.csv") -> list[str]:
        plan = import_plan(centre=centre_with_people, content=content, filename=name)
        assert plan.has_errors and not plan.rows
        return plan.problems

    assert file_problems(b"Role,First Name,EMAIL,Phone,email\n") == [
        "The column email appears twice: keep one.",
        "Unknown column 'Phone': remove it or correct the header. The columns an import reads "
        "are role, first_name, last_name, email, uln, qualification, units, assessor, iqa, "
        "start_date, planned_end_date, employer.",
        "The file has no last_name column; it is required.",
    ]
    assert file_problems(b"") == ["a.csv is empty."]
    assert file_problems(b"role,first_name,last_name,email\nlearner,a,b,c,d\n") == [
        "Row 2 has 5 cells but the header row has 4 columns (a value with a comma in it needs "
        "double quotes around it)."
    ]
    assert file_problems(b"PK\x03\x04broken", "a.xlsx")[0].startswith(
        "a.xlsx could not be read as an Excel workbook (.xlsx)"
    )
    assert file_problems(b"x", "old.xls")[0].startswith("This kind of spreadsheet is not read")


def test_blank_rows_are_skipped_and_numbers_follow_the_spreadsheet(centre_with_people):
    plan = import_plan(
        centre=centre_with_people,
        content=csv_bytes([LEARNER, {}, {**LEARNER, "email": "b@example.org"}]),
        filename="a.csv",
    )
    assert [(row.number, row.status) for row in plan.rows] == [
        (2, RowStatus.NEW),
        (4, RowStatus.NEW),
    ]


def test_dates_in_both_styles():
    assert parse_date("2026-09-01") == parse_date("01/09/2026") == datetime.date(2026, 9, 1)
    assert parse_date(datetime.datetime(2026, 9, 1, 0, 0)) == datetime.date(2026, 9, 1)
    assert parse_date("09/31/2026") is None
