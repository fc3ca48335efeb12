"""On a slow connection (a phone on a train, a busy server) a page shows its form before the
script at the bottom of it has run, and people type, choose and pick files in that gap. The
page's script must then act on what is already there, not only on what happens after it runs.

Each test holds back one script, acts on the page as a user would, then lets the script run.
"""

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from evidence.models import EvidenceItem, Portfolio
from tests.evidence import samples
from tests.factories import EvidenceItemFactory

pytestmark = pytest.mark.usefixtures("demo")


@pytest.fixture
def item(demo):
    portfolio = Portfolio.objects.get(learner__username="learner")
    return EvidenceItemFactory(portfolio=portfolio, title="Complaints process redesign")


@pytest.fixture
def open_with_script_held(page, live_server) -> Callable[[str, str], Callable[[], None]]:
    """Open `path` with the script named `script` held back; return a function that lets it
    load. The page is used before its `load` event, as an impatient user would."""

    def open_page(path: str, script: str) -> Callable[[], None]:
        held = []
        page.route(f"**/static/js/{script}*", lambda route: held.append(route))
        page.goto(f"{live_server.url}{path}", wait_until="commit")

        def release() -> None:
            assert held, f"{script} was never asked for: the test would prove nothing"
            for route in held:
                route.continue_()
            page.unroute(f"**/static/js/{script}*")
            page.wait_for_load_state("load")

        return release

    return open_page


def test_search_typed_before_the_picker_script_still_narrows_the_list(
    page, log_in, item, open_with_script_held
):
    log_in(page, "learner")
    release = open_with_script_held(f"/evidence/{item.pk}/criteria/", "criteria-picker.js")
    page.get_by_label("Find a criterion").fill("SIPOC")
    # Nothing listens yet: the count is empty and every criterion still shows.
    expect(page.locator("#criteria-search-count")).to_have_text("")

    release()
    count = page.locator("#criteria-search-count")
    expect(count).to_have_text(re.compile(r"^\d+ matching$"))
    shown = page.locator(".picker-criterion:not([hidden])").count()
    assert 0 < shown < page.locator(".picker-criterion").count()
    expect(count).to_have_text(f"{shown} matching")
    expect(page.get_by_text("1.2 Use a recognised process mapping tool")).to_be_visible()
    expect(page.get_by_text("2.1 Develop a new or revised business process")).to_be_hidden()


def test_files_picked_before_the_upload_script_are_still_uploaded(
    page, log_in, item, open_with_script_held, tmp_path
):
    log_in(page, "learner")
    release = open_with_script_held(f"/evidence/{item.pk}/", "upload.js")
    photo = tmp_path / "Whiteboard SIPOC.png"
    photo.write_bytes(samples.png())
    page.get_by_label("Add files").set_input_files([photo])

    release()
    expect(
        page.locator("#file-list").get_by_role("link", name="Whiteboard SIPOC.png")
    ).to_be_visible()
    item = EvidenceItem.objects.get(pk=item.pk)
    assert [f.original_name for f in item.files.all()] == ["Whiteboard SIPOC.png"]


def test_witness_type_chosen_before_the_form_script_shows_the_witness_fields(
    page, log_in, item, open_with_script_held
):
    log_in(page, "learner")
    release = open_with_script_held(
        f"/portfolios/{item.portfolio_id}/evidence/new/", "item-form.js"
    )
    page.get_by_label("Type of evidence").select_option(label="Witness testimony")
    witness = page.locator("#witness-fields")
    expect(witness).to_be_hidden()

    release()
    expect(witness).to_be_visible()
