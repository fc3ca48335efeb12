"""The people issue's journey in the browser: a centre admin adds an assessor and a learner
through the pages; each follows the emailed invitation, sets a password, signs in with their
email and lands on their dashboard; the admin suspends the assessor, whose next request for
the learner's portfolio is refused."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from evidence.models import Portfolio

pytestmark = pytest.mark.usefixtures("demo")

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
PASSWORD = "a-long-pass-phrase-for-tests"


def add_person(page, *, first, last, email, role):
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    page.get_by_role("navigation", name="People tools").get_by_role(
        "link", name="Add a person"
    ).click()
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Email").fill(email)
    page.get_by_role("checkbox", name=role, exact=True).check()


def accept_invitation(browser, live_server, message, email):
    link = re.search(r"http://\S+/people/invitation/\S+/", message.body)[0]
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.goto(link.replace("http://127.0.0.1:8000", live_server.url))
    expect(page.get_by_role("heading", name=re.compile("Welcome to NVQ Portfolio"))).to_be_visible()
    page.locator("#id_new_password1").fill(PASSWORD)
    page.locator("#id_new_password2").fill(PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    expect(page.get_by_text("Your password is set")).to_be_visible()
    page.get_by_label("Email address or username").fill(email.upper())
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile("/accounts/login/"))
    return context, page


def test_admin_adds_people_who_accept_sign_in_by_email_and_a_suspension_refuses(
    browser, page, live_server, log_in, screenshot
):
    page.set_viewport_size(DESKTOP)
    log_in(page, "centreadmin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    expect(page.get_by_role("heading", name=re.compile("People at"))).to_be_visible()

    add_person(page, first="Priya", last="Shah", email="Priya.Shah@example.org", role="Assessor")
    page.get_by_role("button", name="Add and send invitation").click()
    expect(
        page.get_by_text(re.compile("an invitation to set a password was emailed"))
    ).to_be_visible()
    expect(page.get_by_text("Assessor · invited")).to_be_visible()

    add_person(page, first="Zoë", last="Ó Briain", email="zoe@example.org", role="Learner")
    page.get_by_label("ULN (Unique Learner Number)").fill("0000000042")
    page.get_by_label("Qualification").select_option(index=1)
    page.get_by_role("combobox", name="Assessor").select_option(
        label="Priya Shah (Priya.Shah@example.org)"
    )
    page.get_by_label("Employer or workplace").fill("Riverside Hotel")
    page.get_by_role("button", name="Add and send invitation").click()
    expect(
        page.get_by_text(re.compile("an invitation to set a password was emailed"))
    ).to_be_visible()
    assert [message.to for message in mail.outbox] == [
        ["Priya.Shah@example.org"],
        ["zoe@example.org"],
    ]

    page.get_by_role("navigation", name="Main").get_by_role("link", name="People").click()
    screenshot(page, "people-list-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "people-list-phone")
    page.set_viewport_size(DESKTOP)

    assessor_context, assessor = accept_invitation(
        browser, live_server, mail.outbox[0], "Priya.Shah@example.org"
    )
    expect(
        assessor.get_by_role("heading", name=re.compile("caseload|Assessor|learners", re.I)).first
    ).to_be_visible()
    learner_context, learner = accept_invitation(
        browser, live_server, mail.outbox[1], "zoe@example.org"
    )
    expect(
        learner.get_by_text(re.compile("Customer Service|Business|Diploma")).first
    ).to_be_visible()

    portfolio = Portfolio.objects.get(learner__email="zoe@example.org")
    portfolio_url = f"{live_server.url}/portfolios/{portfolio.pk}/evidence/"
    assessor.goto(portfolio_url)
    expect(assessor.get_by_text("0000000042")).to_be_visible()  # the learner record header

    # The admin suspends the assessor.
    page.get_by_role("link", name=re.compile("Shah")).first.click()
    expect(page.get_by_role("heading", name="Priya Shah")).to_be_visible()
    page.get_by_role("button", name=re.compile("Suspend")).click()
    expect(page.get_by_text(re.compile("role is suspended"))).to_be_visible()
    screenshot(page, "person-page-desktop")
    page.set_viewport_size(PHONE)
    screenshot(page, "person-page-phone")

    # Signed out everywhere; signing in again opens nothing of the centre's.
    assessor.goto(portfolio_url)
    expect(assessor).to_have_url(re.compile("/accounts/login/"))
    assessor.get_by_label("Email address or username").fill("priya.shah@example.org")
    assessor.get_by_label("Password").fill(PASSWORD)
    assessor.get_by_role("button", name="Log in").click()
    assessor.goto(portfolio_url)
    expect(assessor.get_by_text("0000000042")).not_to_be_visible()
    assert assessor.evaluate("document.title").lower().startswith(("not found", "page not found"))
    assessor_context.close()
    learner_context.close()
