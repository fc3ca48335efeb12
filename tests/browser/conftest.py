"""Browser tests: Playwright drives the system's Chromium against Django's live server.

Playwright cannot download its own browser here, so these tests use Debian's `chromium`
(CHROMIUM_PATH, default /usr/bin/chromium) and are skipped, with the reason shown, where it is
not installed. `.ci/run` installs it.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from evidence.management.commands.seed_demo import DEMO_PASSWORD

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run inside
# one unless told that this is deliberate. Tests only: the app itself never runs like this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(
        reason=f"no Chromium at {CHROMIUM}: install Debian's 'chromium' (apt install chromium) "
        "or set CHROMIUM_PATH to run the browser tests"
    )
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture
def demo(transactional_db):
    """The demo centre as `make run` seeds it, with the demo learner's portfolio still empty
    (the journeys build its evidence themselves)."""
    call_command("load_catalogue", verbosity=0)
    call_command("seed_demo", verbosity=0, without_evidence=True)


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def log_in(live_server):
    def log_in_as(page, username: str, password: str = DEMO_PASSWORD):
        page.goto(f"{live_server.url}/")
        page.get_by_label("Email address or username").fill(username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Log in").click()
        # Wait for the dashboard, so the next step acts on the new page, not the old one.
        expect(page).not_to_have_url(re.compile(r"/accounts/login/"))
        page.wait_for_load_state()

    return log_in_as
