"""A centre's people from a spreadsheet (CSV or XLSX): read, plan, then apply or nothing.

``import_plan`` reads the file (tablib; openpyxl for XLSX) and decides, for every row, whether
it is new, updated, unchanged or an error, with each error naming its column. It changes
nothing, and reads the database in a fixed number of queries however long the file is (every
email, role, portfolio, ULN and qualification the file names is fetched in one go).

``import_apply`` plans the same bytes again inside one transaction and applies every row
through the people and evidence services, or, if any row has an error, applies nothing.

An empty optional cell leaves what the person already has as it is (so a file exported from
another system with gaps updates only what it gives); for a new learner it means the default
(start today, the qualification's mandatory units, no assessor or IQA yet).
"""

from __future__ import annotations

import csv
import datetime
import enum
import hashlib
import io
from dataclasses import dataclass, field
from typing import Any

import tablib
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from criteria.models import Qualification, Requirement, Unit
from evidence import services as evidence_services
from evidence.models import OPEN_STATUSES, Portfolio
from people import services
from people.models import PeopleImport
from portfolio_site.accounts.models import Centre, Membership, Role, User
from portfolio_site.accounts.validators import uln_problem
from portfolio_site.audit.services import audit_record

# Every column an import reads, in the order the template file gives them.
COLUMNS = (
    "role",
    "first_name",
    "last_name",
    "email",
    "uln",
    "qualification",
    "units",
    "assessor",
    "iqa",
    "start_date",
    "planned_end_date",
    "employer",
)
REQUIRED_COLUMNS = ("role", "first_name", "last_name", "email")
# Columns about a learner's enrolment: refused, with a message, on anyone else's row.
LEARNER_COLUMNS = (
    "uln",
    "qualification",
    "units",
    "assessor",
    "iqa",
    "start_date",
    "planned_end_date",
    "employer",
)
ROLE_WORDS = "learner, assessor, iqa, centre_admin or eqa"
MAX_ROWS = 5000
MAX_FILE_BYTES = 5 * 1024 * 1024
NAME_LENGTH = 150  # User.first_name / last_name
EMAIL_LENGTH = 254
EMPLOYER_LENGTH = 200  # Portfolio.employer


class RowStatus(enum.StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ERROR = "error"


class ImportFileError(Exception):
    """The file as a whole cannot be read (not CSV or XLSX, not UTF-8, no header row ...)."""


@dataclass
class RowProblem:
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.column}: {self.message}"


@dataclass
class PlannedRow:
    number: int  # as the spreadsheet numbers it: the header is row 1
    cells: dict[str, str]  # what the file says, by column, as text
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # as read (XLSX dates)
    problems: list[RowProblem] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    is_new: bool = False
    # Parsed from the cells.
    role: Role | None = None
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    uln: str = ""
    qualification: Qualification | None = None
    units: list[Unit] | None = None  # None: the cell is empty
    assessor_email: str = ""
    iqa_email: str = ""
    start_date: datetime.date | None = None
    planned_end_date: datetime.date | None = None
    employer: str | None = None  # None: the cell is empty
    # What the database holds already.
    user: User | None = None
    membership: Membership | None = None
    portfolio: Portfolio | None = None
    assessor: User | None = None  # an existing one (None also when earlier in the file)
    iqa: User | None = None
    change_name: bool = False
    change_role: bool = False
    enrol: bool = False
    change_enrolment: bool = False
    change_employer: bool = False

    def problem(self, column: str, message: str) -> None:
        self.problems.append(RowProblem(column, message))

    @property
    def email_key(self) -> str:
        return self.email.lower()

    @property
    def status(self) -> RowStatus:
        if self.problems:
            return RowStatus.ERROR
        if self.is_new:
            return RowStatus.NEW
        if self.changes:
            return RowStatus.UPDATED
        return RowStatus.UNCHANGED

    @property
    def person(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        if name and self.email:
            return f"{name} <{self.email}>"
        return name or self.email or "(no name or email)"

    def line(self) -> str:
        """One line for the shell: the row, its status, and what it does or what is wrong."""
        role = f" ({self.role.value})" if self.role else ""
        text = f"row {self.number}: {self.status}: {self.person}{role}"
        if self.problems:
            return f"{text}: " + "; ".join(str(problem) for problem in self.problems)
        if self.changes:
            return f"{text}: " + "; ".join(self.changes)
        return text


@dataclass
class ImportPlan:
    centre: Centre
    rows: list[PlannedRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the file as a whole
    unreadable: bool = False  # not a spreadsheet this can read at all (else: column problems)
    applied: bool = False
    invited: int = 0

    def count(self, status: RowStatus) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def counts(self) -> dict[str, int]:
        # A problem with the file as a whole (a missing or unknown column) counts as an error.
        counts = {status.value: self.count(status) for status in RowStatus}
        counts[RowStatus.ERROR.value] += len(self.problems)
        return counts

    @property
    def has_errors(self) -> bool:
        return self.counts[RowStatus.ERROR] > 0

    def summary(self) -> str:
        counts = self.counts
        return (
            f"{counts['new']} new, {counts['updated']} updated, {counts['unchanged']} unchanged, "
            f"{counts['error']} errors"
        )


# --- Reading the file ----------------------------------------------------------------------------


def _is_xlsx(content: bytes, filename: str) -> bool:
    return content[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx")


def _read_dataset(content: bytes, filename: str) -> tablib.Dataset:
    name = filename.lower()
    if name.endswith((".xls", ".ods", ".numbers")):
        raise ImportFileError(
            "This kind of spreadsheet is not read here: save it as an Excel workbook (.xlsx) "
            "or as CSV UTF-8 (.csv) and upload that."
        )
    if _is_xlsx(content, filename):
        try:
            return tablib.Dataset().load(io.BytesIO(content), format="xlsx")
        except Exception as error:  # openpyxl raises many kinds for a damaged workbook
            raise ImportFileError(
                f"{filename} could not be read as an Excel workbook (.xlsx): {error}."
            ) from error
    try:
        text = content.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError as error:
        raise ImportFileError(
            f"{filename} is not UTF-8 text: in your spreadsheet choose Save as, "
            "CSV UTF-8 (comma delimited), and upload that file."
        ) from error
    if not text.strip():
        raise ImportFileError(f"{filename} is empty.")
    try:
        return tablib.Dataset().load(text, format="csv")
    except tablib.InvalidDimensions as error:
        width = len(next(csv.reader(io.StringIO(text))))
        for number, cells in enumerate(csv.reader(io.StringIO(text)), start=1):
            if len(cells) > width:
                raise ImportFileError(
                    f"Row {number} has {len(cells)} cells but the header row has {width} "
                    "columns (a value with a comma in it needs double quotes around it)."
                ) from error
        raise ImportFileError(f"{filename} could not be read as CSV.") from error
    except csv.Error as error:
        raise ImportFileError(f"{filename} could not be read as CSV: {error}.") from error


def _text(value: Any) -> str:
    """A cell as text: XLSX gives numbers, dates and None as well as strings."""
    if value is None:
        return ""
    if isinstance(value, datetime.datetime):
        value = value.date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _header_key(header: Any) -> str:
    return _text(header).lower().replace(" ", "_").replace("-", "_")


def read_rows(content: bytes, filename: str) -> tuple[list[str], list[PlannedRow]]:
    """The file's problems as a whole (headers), and its non-empty rows by column name."""
    if len(content) > MAX_FILE_BYTES:
        raise ImportFileError(
            f"The file is {len(content) / 1024 / 1024:.1f} MB; an import takes up to "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB (about {MAX_ROWS:,} people): split it."
        )
    dataset = _read_dataset(content, filename)
    headers = list(dataset.headers or [])
    if not any(_text(header) for header in headers):
        raise ImportFileError(
            "The first row must name the columns (role, first_name, last_name, email ...)."
        )
    problems: list[str] = []
    keys = [_header_key(header) for header in headers]
    records = [list(record) for record in dataset]
    seen: set[str] = set()
    unknown = []
    for index, key in enumerate(keys):
        if not key:
            if any(_text(record[index]) for record in records):
                problems.append(
                    f"Column {index + 1} has values but no header: name it or remove it."
                )
            continue
        if key not in COLUMNS:
            unknown.append(_text(headers[index]))
        elif key in seen:
            problems.append(f"The column {key} appears twice: keep one.")
        seen.add(key)
    if unknown:
        names = ", ".join(repr(name) for name in unknown)
        problems.append(
            f"Unknown column{'s' if len(unknown) > 1 else ''} {names}: remove "
            f"{'them' if len(unknown) > 1 else 'it'} or correct the header. The columns an "
            f"import reads are {', '.join(COLUMNS)}."
        )
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            problems.append(f"The file has no {column} column; it is required.")
    rows = []
    for number, record in enumerate(records, start=2):
        cells = {
            key: _text(value) for key, value in zip(keys, record, strict=False) if key in COLUMNS
        }
        if not any(cells.values()):
            continue  # blank lines between blocks of people are common
        # Keep date cells as dates (an XLSX date is not text to be parsed).
        raw = {key: value for key, value in zip(keys, record, strict=False) if key in COLUMNS}
        rows.append(PlannedRow(number=number, cells=cells, raw=raw))
    if len(rows) > MAX_ROWS:
        raise ImportFileError(
            f"The file has {len(rows):,} people; an import takes up to {MAX_ROWS:,}."
        )
    return problems, rows


# --- The rules of a row ---------------------------------------------------------------------------


def parse_date(value: Any) -> datetime.date | None:
    """An ISO date (2026-09-01), a UK one (01/09/2026) or an XLSX date cell; None if none."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


def _date_cell(row: PlannedRow, column: str) -> datetime.date | None:
    if not row.cells.get(column):
        return None
    value = parse_date(row.raw.get(column))
    if value is None:
        row.problem(column, f"{row.cells[column]!r} is not a date: write 2026-09-01 or 01/09/2026.")
    return value


def _email_cell(row: PlannedRow, column: str) -> str:
    value = row.cells.get(column, "")
    if not value:
        return ""
    if len(value) > EMAIL_LENGTH:
        row.problem(column, f"Longer than {EMAIL_LENGTH} characters.")
        return ""
    try:
        validate_email(value)
    except ValidationError:
        row.problem(column, f"{value!r} is not an email address.")
        return ""
    return value


def _parse_cells(row: PlannedRow, qualifications: dict[str, Qualification]) -> None:
    """The checks that need only the row itself and the catalogue."""
    cells = row.cells
    role = cells.get("role", "").lower()
    if not role:
        row.problem("role", f"Required: give {ROLE_WORDS}.")
    elif role not in Role.values:
        row.problem("role", f"{cells['role']!r} is not a role: give {ROLE_WORDS}.")
    else:
        row.role = Role(role)
    for column in ("first_name", "last_name"):
        value = cells.get(column, "")
        if not value:
            row.problem(column, "Required.")
        elif len(value) > NAME_LENGTH:
            row.problem(column, f"Longer than {NAME_LENGTH} characters.")
        setattr(row, column, value)
    if not cells.get("email"):
        row.problem("email", "Required: the email address the person signs in with.")
    row.email = _email_cell(row, "email")
    if row.role is None:
        return
    if row.role != Role.LEARNER:
        article = "an" if row.role.label[0] in "AEIOU" else "a"
        for column in LEARNER_COLUMNS:
            if cells.get(column):
                row.problem(
                    column,
                    f"Only for learners: leave it empty for {article} {row.role.label.lower()}.",
                )
        return
    row.uln = cells.get("uln", "")
    if row.uln and (problem := uln_problem(row.uln)):
        row.problem("uln", problem)
    code = cells.get("qualification", "")
    if not code:
        row.problem(
            "qualification",
            "Required for a learner: the qualification's code from the catalogue "
            "(e.g. icq-l4-nvq-diploma-customer-service-rqf).",
        )
    elif code.lower() not in qualifications:
        row.problem("qualification", f"No qualification in the catalogue has the code {code!r}.")
    else:
        row.qualification = qualifications[code.lower()]
    if cells.get("units") and row.qualification is not None:
        units_here = {
            link.unit.code.lower(): link.unit for link in row.qualification.unit_links.all()
        }
        chosen: list[Unit] = []
        for unit_code in (part.strip() for part in cells["units"].split(";")):
            if not unit_code:
                continue
            unit = units_here.get(unit_code.lower())
            if unit is None:
                row.problem("units", f"{unit_code!r} is not a unit of {row.qualification}.")
            elif unit not in chosen:
                chosen.append(unit)
        row.units = chosen
    row.assessor_email = _email_cell(row, "assessor")
    row.iqa_email = _email_cell(row, "iqa")
    if row.email and row.assessor_email.lower() == row.email_key:
        row.problem("assessor", "A learner cannot be their own assessor.")
    if row.email and row.iqa_email.lower() == row.email_key:
        row.problem("iqa", "A learner cannot be their own IQA.")
    if row.iqa_email and row.iqa_email.lower() == row.assessor_email.lower():
        row.problem("iqa", "The IQA must be someone other than the assessor.")
    row.start_date = _date_cell(row, "start_date")
    row.planned_end_date = _date_cell(row, "planned_end_date")
    if cells.get("employer"):
        if len(cells["employer"]) > EMPLOYER_LENGTH:
            row.problem("employer", f"Longer than {EMPLOYER_LENGTH} characters.")
        row.employer = cells["employer"]


def _in_force(membership: Membership) -> bool:
    return membership.is_active and membership.ended_on is None and membership.user.is_active


def _mandatory(qualification: Qualification) -> set[int]:
    return {
        link.unit_id
        for link in qualification.unit_links.all()
        if link.requirement == Requirement.MANDATORY
    }


class _Lookups:
    """Everything the file's rows point at, each kind fetched in one query."""

    def __init__(self, centre: Centre, rows: list[PlannedRow]):
        # (email, role) of the rows compared so far: an assessor or IQA may be added in a row
        # above the learners they look after.
        self.planned_roles: set[tuple[str, Role]] = set()
        emails = {row.email_key for row in rows if row.email}
        emails |= {row.assessor_email.lower() for row in rows if row.assessor_email}
        emails |= {row.iqa_email.lower() for row in rows if row.iqa_email}
        users = User.objects.annotate(email_key=Lower("email")).filter(email_key__in=emails)
        self.users: dict[str, User] = {user.email_key: user for user in users}
        self.memberships: dict[tuple[int, str], Membership] = {}
        self.at_centre: set[int] = set()
        for membership in Membership.objects.filter(
            centre=centre, user__in=list(self.users.values())
        ).select_related("user"):
            self.memberships[membership.user_id, membership.role] = membership
            self.at_centre.add(membership.user_id)
        self.portfolios: dict[tuple[int, int], list[Portfolio]] = {}
        learners = [
            user for user in self.users.values() if (user.pk, Role.LEARNER) in self.memberships
        ]
        portfolios = (
            Portfolio.objects.filter(centre=centre, learner__in=learners)
            .select_related("assessor", "iqa")
            .prefetch_related("chosen_units")
        )
        for portfolio in portfolios:
            self.portfolios.setdefault(
                (portfolio.learner_id, portfolio.qualification_id), []
            ).append(portfolio)
        ulns = {row.uln for row in rows if row.uln}
        self.uln_holders: dict[str, Membership] = {
            membership.uln: membership
            for membership in Membership.objects.filter(centre=centre, uln__in=ulns).select_related(
                "user"
            )
        }

    def holder(self, email: str, role: Role) -> User | None:
        """The person with ``email`` holding ``role`` in force at the centre, if any."""
        user = self.users.get(email.lower())
        if user is None:
            return None
        membership = self.memberships.get((user.pk, role))
        return user if membership is not None and _in_force(membership) else None


def _qualifications(rows: list[PlannedRow]) -> dict[str, Qualification]:
    codes = {row.cells.get("qualification", "").lower() for row in rows} - {""}
    found = (
        Qualification.objects.annotate(code_key=Lower("code"))
        .filter(code_key__in=codes)
        .prefetch_related("unit_links__unit")
    )
    return {qualification.code.lower(): qualification for qualification in found}


def _compare(row: PlannedRow, lookups: _Lookups, centre: Centre) -> None:
    """Decide what the row changes, against the database and the rows above it."""
    user = lookups.users.get(row.email_key)
    row.user = user
    if user is not None and user.pk in lookups.at_centre:
        for column in ("first_name", "last_name"):
            old, new = getattr(user, column), getattr(row, column)
            if new and old != new:
                row.changes.append(f"{column} {old!r} → {new!r}")
                row.change_name = True
    elif user is not None:
        row.notes.append(
            "Already has an account (from another centre): this role is added to it and they "
            "sign in as before."
        )
    membership = lookups.memberships.get((user.pk, row.role)) if user is not None else None
    row.membership = membership
    if membership is None:
        row.is_new = True
        row.change_role = True
    else:
        if membership.ended_on is not None:
            row.changes.append(
                f"the {row.role.label.lower()} role, which ended on "
                f"{membership.ended_on:%d/%m/%Y}, is given back"
            )
            row.change_role = True
        elif not membership.is_active:
            # A suspension is a person's decision; an old spreadsheet must not undo it.
            row.problem(
                "role",
                f"{user} is suspended as {row.role.label.lower()} here: reactivate them on their "
                "page first, or take this row out.",
            )
        if row.uln and membership.uln != row.uln:
            row.changes.append(f"uln {membership.uln or '(none)'!r} → {row.uln!r}")
            row.change_role = True
    if row.role != Role.LEARNER:
        return
    holder = lookups.uln_holders.get(row.uln) if row.uln else None
    if holder is not None and (user is None or holder.user_id != user.pk):
        row.problem("uln", f"Another learner at {centre} ({holder.user}) has the ULN {row.uln}.")
    for column in ("assessor", "iqa"):
        email = getattr(row, f"{column}_email")
        if not email:
            continue
        role = Role.ASSESSOR if column == "assessor" else Role.IQA
        existing = lookups.holder(email, role)
        setattr(row, column, existing)
        if existing is None and (email.lower(), role) not in lookups.planned_roles:
            row.problem(
                column,
                f"Nobody with the {role.label.lower()} role at {centre} has the email {email}: "
                "add them first, or in a row above this one.",
            )
    if row.qualification is None:
        return
    portfolios = lookups.portfolios.get((user.pk, row.qualification.pk), []) if user else []
    open_portfolio = next((p for p in portfolios if p.status in OPEN_STATUSES), None)
    row.portfolio = open_portfolio
    start = row.start_date or (
        open_portfolio.start_date if open_portfolio else timezone.localdate()
    )
    if row.planned_end_date and row.planned_end_date < start:
        row.problem(
            "planned_end_date",
            f"{row.planned_end_date:%d/%m/%Y} is before the start date {start:%d/%m/%Y}.",
        )
    if open_portfolio is None:
        if portfolios:
            row.notes.append(
                f"Has a finished portfolio on {row.qualification}: not enrolled again "
                "(enrol them on their page if they are starting again)."
            )
            return
        row.enrol = True
        if not row.is_new:
            row.changes.append(f"enrolled on {row.qualification}")
        return
    portfolio = open_portfolio
    if row.units is not None:
        mandatory = _mandatory(row.qualification)
        held = mandatory | {unit.pk for unit in portfolio.chosen_units.all()}
        wanted = mandatory | {unit.pk for unit in row.units}
        if held != wanted:
            codes = sorted(unit.code for unit in row.units)
            row.changes.append(f"units → {'; '.join(codes) or '(mandatory only)'}")
            row.change_enrolment = True
    for column in ("assessor", "iqa"):
        email = getattr(row, f"{column}_email")
        current = getattr(portfolio, column)
        if email and (current is None or current.email.lower() != email.lower()):
            row.changes.append(f"{column} {current.email if current else '(none)'} → {email}")
            row.change_enrolment = True
    for column in ("start_date", "planned_end_date"):
        value, current = getattr(row, column), getattr(portfolio, column)
        if value is not None and value != current:
            before = f"{current:%d/%m/%Y}" if current else "(none)"
            row.changes.append(f"{column} {before} → {value:%d/%m/%Y}")
            row.change_enrolment = True
    if row.employer is not None and row.employer != portfolio.employer:
        row.changes.append(f"employer {portfolio.employer or '(none)'!r} → {row.employer!r}")
        row.change_employer = True


def _check_within_file(rows: list[PlannedRow]) -> None:
    """A person once per role (and per qualification for a learner); one name and one ULN per
    person; one learner per ULN."""
    first_for_key: dict[tuple, PlannedRow] = {}
    first_for_email: dict[str, PlannedRow] = {}
    first_for_uln: dict[str, PlannedRow] = {}
    for row in rows:
        if not row.email or row.role is None:
            continue
        qualification = (
            row.cells.get("qualification", "").lower() if row.role == Role.LEARNER else ""
        )
        key = (row.email_key, row.role, qualification)
        if (earlier := first_for_key.get(key)) is not None:
            what = f"as {row.role.value}" + (f" on {qualification}" if qualification else "")
            row.problem(
                "email",
                f"{row.email} is already on row {earlier.number} {what}: give each person "
                "once per role.",
            )
        first_for_key.setdefault(key, row)
        earlier = first_for_email.setdefault(row.email_key, row)
        if earlier is not row:
            for column in ("first_name", "last_name"):
                if getattr(row, column) != getattr(earlier, column):
                    row.problem(
                        column,
                        f"Row {earlier.number} gives {row.email} the {column} "
                        f"{getattr(earlier, column)!r}: one person, one name.",
                    )
            if row.uln and earlier.uln and row.uln != earlier.uln:
                row.problem("uln", f"Row {earlier.number} gives {row.email} the ULN {earlier.uln}.")
        if row.uln:
            holder = first_for_uln.setdefault(row.uln, row)
            if holder.email_key != row.email_key:
                row.problem(
                    "uln",
                    f"{row.uln} is also the ULN of {holder.email} on row {holder.number}: "
                    "a ULN belongs to one learner.",
                )


def import_plan(*, centre: Centre, content: bytes, filename: str) -> ImportPlan:
    """What importing ``content`` at ``centre`` would do, row by row. Changes nothing."""
    plan = ImportPlan(centre=centre)
    try:
        plan.problems, plan.rows = read_rows(content, filename)
    except ImportFileError as error:
        plan.problems, plan.unreadable = [str(error)], True
        return plan
    if plan.problems:
        plan.rows = []  # without the columns right, no row can be read
        return plan
    qualifications = _qualifications(plan.rows)
    for row in plan.rows:
        _parse_cells(row, qualifications)
    _check_within_file(plan.rows)
    lookups = _Lookups(centre, plan.rows)
    for row in plan.rows:
        if row.role is not None and row.email:
            _compare(row, lookups, centre)
            lookups.planned_roles.add((row.email_key, row.role))
    return plan


# --- Applying it ------------------------------------------------------------------------------


def _enrolment(row: PlannedRow, people: dict[str, User]) -> services.Enrolment:
    qualification = row.qualification
    mandatory = _mandatory(qualification)
    units = [link.unit for link in qualification.unit_links.all() if link.unit_id in mandatory]
    units += [unit for unit in row.units or [] if unit.pk not in mandatory]
    return services.Enrolment(
        qualification=qualification,
        start_date=row.start_date or timezone.localdate(),
        units=units,
        assessor=people.get(row.assessor_email.lower()) if row.assessor_email else None,
        iqa=people.get(row.iqa_email.lower()) if row.iqa_email else None,
        planned_end_date=row.planned_end_date,
        employer=row.employer or "",
    )


def _apply_row(
    row: PlannedRow, *, centre: Centre, people: dict[str, User], actor: User | None
) -> bool:
    """Apply one row; returns whether it created an account."""
    if row.is_new:
        user, created = services.person_add(
            centre=centre,
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
            roles=[row.role],
            added_by=actor,
            uln=row.uln,
            enrolment=_enrolment(row, people) if row.enrol else None,
            invite=False,
        )
        people[row.email_key] = user
        if row.change_name:
            services.person_update(
                centre=centre,
                person=user,
                first_name=row.first_name,
                last_name=row.last_name,
                email=user.email,
                changed_by=actor,
            )
        return created
    user = row.user
    if row.change_name:
        services.person_update(
            centre=centre,
            person=user,
            first_name=row.first_name,
            last_name=row.last_name,
            email=user.email,
            changed_by=actor,
        )
    if row.change_role:
        services.role_grant(user=user, centre=centre, role=row.role, granted_by=actor, uln=row.uln)
    if row.enrol:
        services.learner_enrol(
            learner=user, centre=centre, enrolment=_enrolment(row, people), enrolled_by=actor
        )
    portfolio = row.portfolio
    if row.change_enrolment:
        fields: dict[str, Any] = {}
        for column in ("assessor", "iqa"):
            email = getattr(row, f"{column}_email")
            if email:
                fields[column] = people[email.lower()]
        for column in ("start_date", "planned_end_date"):
            if getattr(row, column) is not None:
                fields[column] = getattr(row, column)
        if row.units is not None:
            mandatory = _mandatory(row.qualification)
            chosen = [unit for unit in row.units if unit.pk not in mandatory]
        else:
            chosen = list(portfolio.chosen_units.all())
        portfolio = evidence_services.portfolio_update(
            portfolio=portfolio, chosen_units=chosen, changed_by=actor, **fields
        )
    if row.change_employer:
        services.learner_record_update(
            portfolio=portfolio,
            registration_number=portfolio.registration_number,
            registered_on=portfolio.registered_on,
            employer=row.employer,
            changed_by=actor,
        )
    return False


class ImportAlreadyApplied(ValidationError):
    pass


def import_apply(
    *, people_import: PeopleImport, applied_by: User | None, invite: bool, actor_label: str = ""
) -> ImportPlan:
    """Apply every row of ``people_import`` in one transaction, or, if any row has an error
    now (the database may have changed since the preview), nothing: the returned plan says
    which (``plan.applied``). Invitations go to the accounts it created, if ``invite``."""
    with transaction.atomic():
        locked = (
            PeopleImport.objects.select_for_update()
            .select_related("centre")
            .get(pk=people_import.pk)
        )
        if locked.committed_at is not None:
            raise ImportAlreadyApplied(
                "This file was already imported on "
                f"{timezone.localtime(locked.committed_at):%d/%m/%Y at %H:%M}."
            )
        centre = locked.centre
        plan = import_plan(centre=centre, content=bytes(locked.content), filename=locked.filename)
        counts = plan.counts
        if plan.has_errors:
            return plan
        lookups_people = {
            user.email.lower(): user
            for user in User.objects.filter(
                pk__in=[row.user.pk for row in plan.rows if row.user is not None]
                + [person.pk for row in plan.rows for person in (row.assessor, row.iqa) if person]
            )
        }
        created = []
        for row in plan.rows:
            if row.status == RowStatus.UNCHANGED:
                continue
            if _apply_row(row, centre=centre, people=lookups_people, actor=applied_by):
                created.append(lookups_people[row.email_key])
        if invite:
            for user in created:
                services.invitation_send(user=user, centre=centre, invited_by=applied_by)
        locked.committed_at = timezone.now()
        locked.invitations_sent = invite and bool(created)
        locked.new, locked.updated = counts["new"], counts["updated"]
        locked.unchanged, locked.errors = counts["unchanged"], counts["error"]
        locked.save(
            update_fields=[
                "committed_at",
                "invitations_sent",
                "new",
                "updated",
                "unchanged",
                "errors",
            ]
        )
        audit_record(
            action="people.imported",
            actor=applied_by,
            actor_label=actor_label,
            target=locked,
            centre=centre,
            details={
                "filename": locked.filename,
                "sha256": locked.sha256,
                "new": counts["new"],
                "updated": counts["updated"],
                "unchanged": counts["unchanged"],
                "errors": counts["error"],
                "invitations": len(created) if invite else 0,
            },
        )
        plan.applied = True
        plan.invited = len(created) if invite else 0
    return plan


def import_record(
    *, centre: Centre, content: bytes, filename: str, uploaded_by: User | None, plan: ImportPlan
) -> PeopleImport:
    """Keep an uploaded file (and what its preview found) until it is applied or abandoned."""
    counts = plan.counts
    return PeopleImport.objects.create(
        centre=centre,
        uploaded_by=uploaded_by,
        filename=filename[:255],
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
        new=counts["new"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        errors=counts["error"],
    )
