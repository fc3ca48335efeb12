"""Spreadsheets for the import tests, built in the test (CSV text, or XLSX through openpyxl)."""

import csv
import datetime
import io

import openpyxl

from people.importing import COLUMNS
from portfolio_site.accounts.validators import uln_check_digit
from tests.evidence.helpers import DESIGN, ICQ_CUSTOMER_SERVICE


def valid_uln(first_nine: str) -> str:
    """A ULN whose check digit fits (first_nine must have one: try another if None)."""
    digit = uln_check_digit(first_nine)
    assert digit is not None, f"{first_nine} starts no valid ULN"
    return first_nine + str(digit)


ULN_ZOE = valid_uln("123456789")
ULN_ANNA = valid_uln("223456781")
ULN_BAD = ULN_ZOE[:9] + str((int(ULN_ZOE[9]) + 1) % 10)  # ten digits, wrong check digit


def people_rows() -> list[dict]:
    """An assessor, then two learners they assess (non-ASCII names), the existing IQA of the
    ``people`` fixture as their IQA."""
    return [
        {
            "role": "assessor",
            "first_name": "Siân",
            "last_name": "Llywelyn",
            "email": "Sian.Llywelyn@example.org",
        },
        {
            "role": "learner",
            "first_name": "Zoë",
            "last_name": "Brontë",
            "email": "zoe@example.org",
            "uln": ULN_ZOE,
            "qualification": ICQ_CUSTOMER_SERVICE,
            "units": DESIGN,
            "assessor": "sian.llywelyn@example.org",
            "iqa": "iqa-user@example.org",
            "start_date": "01/09/2026",
            "planned_end_date": "2027-08-31",
            "employer": "Café Nero, Bath",
        },
        {
            "role": "learner",
            "first_name": "Anna",
            "last_name": "Żółkiewska",
            "email": "anna@example.org",
            "uln": ULN_ANNA,
            "qualification": ICQ_CUSTOMER_SERVICE,
            "assessor": "Sian.Llywelyn@example.org",
            "start_date": "2026-09-01",
        },
    ]


def csv_bytes(rows: list[dict], *, columns=COLUMNS, bom: bool = True) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[dict], *, columns=COLUMNS) -> bytes:
    """As Excel saves it: headers in capitals, dates as date cells, a ULN as a number."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([column.upper() for column in columns])
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column, None)
            if column.endswith("date") and value:
                value = _as_date(value)
            elif column == "uln" and value and value.isdigit():
                value = int(value)
            cells.append(value)
        sheet.append(cells)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _as_date(text: str) -> datetime.date:
    if "/" in text:
        return datetime.datetime.strptime(text, "%d/%m/%Y").date()
    return datetime.date.fromisoformat(text)
