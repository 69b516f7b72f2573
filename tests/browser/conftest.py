"""Browser test harness: Playwright driving Debian's Chromium against a live app.

The app under test (with its own fresh database, from the `app` fixture) is served by
werkzeug on 127.0.0.1 in a background thread. Pages open in a tablet context: 1024x768
with touch. Outside CI a missing Chromium skips these tests; in CI it fails them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from werkzeug.serving import make_server

from kaizen.models import User
from tests.factories import DEFAULT_PASSWORD

CHROMIUM = os.environ.get("KAIZEN_CHROMIUM", "/usr/bin/chromium")
# The machine has no internet: without these flags Chromium keeps trying to reach
# Google's services at start and floods the log with refused connections.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TABLET = {"viewport": {"width": 1024, "height": 768}, "has_touch": True}
SCREENSHOT_DIR = Path(os.environ.get("KAIZEN_SCREENSHOT_DIR", "test-results/screenshots"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium headless, never a downloaded browser."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": CHROMIUM_FLAGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Every page opens as a 1024x768 touch tablet unless a test asks otherwise."""
    return {**browser_context_args, **TABLET}


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve the app on a free port of 127.0.0.1 for the length of one test.

    CSRF protection is switched on here (unit tests leave it off), so browser tests prove
    that pages and htmx requests really send their tokens.
    """
    app.config["WTF_CSRF_ENABLED"] = True
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def screenshot(page: Page) -> Any:
    """Save a full-page screenshot under KAIZEN_SCREENSHOT_DIR and return its path."""

    def take(name: str) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOT_DIR / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this folder as a browser test."""
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


class PageSignIn:
    """Signs a browser page in through the sign-in form, as a person would."""

    def __init__(self, page: Page, live_server: str) -> None:
        self._page = page
        self._live_server = live_server

    def __call__(
        self, who: User | str, password: str = DEFAULT_PASSWORD, page: Page | None = None
    ) -> None:
        """Sign in as an account (or username) on this test's page, or on another tab."""
        page = page or self._page
        page.goto(self._live_server + "/login")
        page.get_by_label("Username").fill(who if isinstance(who, str) else who.username)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.fixture
def sign_in(page: Page, live_server: str) -> PageSignIn:
    """Browser tests sign in through the real form: `sign_in(user)` or `sign_in("mia")`."""
    return PageSignIn(page, live_server)
