"""The import preview with errors, in Chromium at a desktop and a phone width: every row with
its status, the errors by column, no confirm button; nothing sticks out of the page."""

import pytest
from playwright.sync_api import expect

from tests.people.import_helpers import ULN_BAD, ULN_ZOE, csv_bytes

pytestmark = pytest.mark.django_db(transaction=True)

ASSESSOR = "assessor@demo.nvq-portfolio.invalid"


def _file() -> bytes:
    learner = {
        "role": "learner",
        "qualification": "icq-l4-nvq-diploma-customer-service-rqf",
        "assessor": ASSESSOR,
        "start_date": "01/09/2026",
        "employer": "Café Nero, Bath",
    }

    def person(role, first_name, last_name, email, **cells):
        base = learner if role == "learner" else {"role": role}
        names = {"first_name": first_name, "last_name": last_name, "email": email}
        return {**base, **names, **cells}

    return csv_bytes(
        [
            person("iqa", "Siân", "Llywelyn", "sian@example.org"),
            person("learner", "Zoë", "Brontë", "zoe@example.org", uln=ULN_ZOE),
            person(
                "learner",
                "Anna",
                "Żółkiewska",
                "anna@example.org",
                uln=ULN_BAD,
                planned_end_date="31/02/2027",
            ),
            person("learner", "Zoë", "Brontë", "ZOE@example.org"),
            person("teacher", "Tom", "Ng", "tom@example.org"),
            person(
                "learner",
                "Olu",
                "Adé",
                "olu@example.org",
                assessor="nobody@example.org",
                units="design-business-processes;juggling",
            ),
        ]
    )


@pytest.mark.parametrize("width", [1280, 390])
def test_import_preview_with_errors(demo, page, live_server, log_in, screenshot, tmp_path, width):
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, "centreadmin")
    page.goto(f"{live_server.url}/people/centres/demo-centre/import/")
    expect(page.get_by_role("link", name="Download a template (CSV)")).to_be_visible()
    upload = tmp_path / "people.csv"
    upload.write_bytes(_file())
    page.get_by_label("Spreadsheet").set_input_files(str(upload))
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", name="Preview: people.csv")).to_be_visible()
    if width >= 768:
        table = page.get_by_role("table", name="Rows of people.csv")
        expect(table.get_by_role("row")).to_have_count(7)  # the header and six rows
    else:  # a phone gets the rows stacked, one block each
        table = page.get_by_role("list", name="Rows of people.csv")
        expect(table.locator(":scope > li")).to_have_count(6)
    expect(page.get_by_text("4 errors", exact=True)).to_be_visible()
    expect(table).to_contain_text("is not a valid ULN")
    expect(table).to_contain_text("'teacher' is not a role")
    expect(table).to_contain_text("'juggling' is not a unit of")
    expect(page.get_by_role("button", name="Import")).to_have_count(0)
    # The page itself never scrolls sideways; only the table's own box does.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"import-preview-errors-{width}")
