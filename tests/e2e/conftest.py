"""Browser fixtures: a live server with the demo data, accessibility and CSP checks,
screenshots for the docs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import ConsoleMessage, Page, expect

from abroad.site.demo.catalogue import PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
SERIOUS = {"serious", "critical"}

# Every wait follows the page's state; on a busy CI machine a page may take a while to get
# there, so an expectation waits as long as an action does (Playwright's 30 s) before failing.
expect.set_options(timeout=30_000)


@pytest.fixture
def demo_server(live_server: Any, transactional_db: None) -> str:
    """The live server's URL, with the demo data loaded."""
    from abroad.site.demo.catalogue import load_demo

    load_demo()
    return str(live_server.url)


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """Errors the page logs (a CSP violation shows up here); the test asserts it is empty."""
    errors: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", collect)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def assert_accessible(page: Page) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    results = Axe().run(page)
    serious = [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]
    assert serious == [], f"{page.url}:\n" + "\n".join(serious)


def screenshot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """Save a screenshot for the docs (docs/screenshots/<name>.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def log_in(page: Page, server: str, username: str, next_url: str = "/") -> None:
    """A fresh session for the demo user ``username`` (the page's cookies are dropped
    first), landing on ``next_url``."""
    page.context.clear_cookies()
    page.goto(f"{server}/accounts/login/?next={next_url}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # On a phone the button is in the folded menu: there, not necessarily visible.
    log_out = page.get_by_role("button", name=re.compile("Log out"), include_hidden=True)
    expect(log_out).to_be_attached()


# The elements that stick out on the right, to say what to fix when the page scrolls sideways.
WIDE = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
    .slice(0, 8)
    .map(e => `${e.tagName}.${e.className}: ${Math.round(e.getBoundingClientRect().right)}`)"""


def no_horizontal_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    wide = page.evaluate(WIDE)
    assert overflow[0] <= overflow[1], f"{page.url} scrolls sideways: {overflow} {wide}"
