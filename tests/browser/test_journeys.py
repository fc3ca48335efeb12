"""Each demo account logs in through the form, lands on its dashboard, and browses the catalogue."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.usefixtures("demo")

DASHBOARD_HEADINGS = {
    "learner": "Your portfolio",
    "assessor": "Your caseload",
    "iqa": "Quality assurance",
    "centreadmin": "Demo Training Centre",
    "eqa": "External quality assurance",
}


@pytest.mark.parametrize("username", DASHBOARD_HEADINGS)
def test_demo_account_logs_in_and_browses_the_catalogue(page, log_in, screenshot, username):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, username)

    expect(page.get_by_role("heading", level=1)).to_have_text(DASHBOARD_HEADINGS[username])
    screenshot(page, f"dashboard-{username}")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Qualifications").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Qualifications")
    page.get_by_role("link", name="iCQ Level 4 NVQ Diploma in Customer Service (RQF)").click()
    expect(page.get_by_role("heading", name="Units", exact=True)).to_be_visible()
    page.get_by_role("link", name="Design business processes").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Design business processes")
    criterion = page.locator("#criterion-2\\.2")
    criterion.get_by_text("What the assessor looks for").click()
    expect(
        criterion.get_by_text("Assess evidence of developing a business process")
    ).to_be_visible()


def test_catalogue_pages_on_desktop_and_phone(page, log_in, screenshot, live_server):
    log_in(page, "learner")
    pages = {
        "catalogue": "/catalogue/",
        "qualification": "/catalogue/qualifications/icq-l4-nvq-diploma-customer-service-rqf/",
        "unit": "/catalogue/units/design-business-processes/",
    }
    for width, label in ((1280, "desktop"), (390, "phone")):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            page.goto(f"{live_server.url}{path}")
            screenshot(page, f"{name}-{label}")
    # On a phone nothing spills sideways.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_phone_menu_opens_and_logs_out(page, log_in, screenshot, live_server):
    page.set_viewport_size({"width": 390, "height": 800})
    log_in(page, "learner")
    screenshot(page, "dashboard-learner-phone")

    menu = page.get_by_role("button", name="Show menu")
    expect(menu).to_be_visible()
    menu.click()
    page.get_by_role("button", name="Sam Patel").click()
    page.get_by_role("button", name="Log out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.goto(f"{live_server.url}/dashboard/learner/")
    expect(page).to_have_url(f"{live_server.url}/accounts/login/?next=/dashboard/learner/")


def test_login_page_and_bad_password(page, live_server, screenshot):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/")
    page.get_by_label("Email address or username").fill("learner")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("do not match an account")).to_be_visible()
    screenshot(page, "login-error")


def test_keyboard_user_can_skip_to_content(page, log_in):
    log_in(page, "learner")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
