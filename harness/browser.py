"""Headless Chromium, through Playwright for Python: for the browser tests
(tests/features/) and the screenshots in TUTORIAL.md (`make docs`).

Which browser: $CHROMIUM_PATH if it is set; else the first of `chromium`,
`chromium-browser` and `google-chrome` on the PATH; else Playwright's own
download (`playwright install chromium`, where the network allows it).
Without any of them the browser tests are skipped, with one line that says
how to install one (`.ci/run` installs Debian's chromium, so CI runs them).

Chromium starts headless, with a fresh profile for every context, and with
its background networking off, so it talks to nobody but our own servers.
"""

from __future__ import annotations

import os
import shutil

INSTALL = (
    "no Chromium for the browser tests: install it with "
    "`sudo apt-get install chromium` (or set CHROMIUM_PATH to a Chromium)"
)
FLAGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def executable() -> str | None:
    """The Chromium to drive, or None for Playwright's own download."""
    names = ("chromium", "chromium-browser", "google-chrome")
    found = [os.environ.get("CHROMIUM_PATH"), *map(shutil.which, names)]
    return next((path for path in found if path), None)


def launch(playwright):
    """(Chromium, "") or, when there is none to launch, (None, why)."""
    args = FLAGS + (["--no-sandbox"] if os.geteuid() == 0 else [])
    try:
        browser = playwright.chromium.launch(
            executable_path=executable(), headless=True, args=args
        )
    except Exception as error:  # Playwright raises its own Error, untyped
        return None, f"{INSTALL} ({str(error).splitlines()[0]})"
    return browser, ""


def log_in(page, url: str, username: str = "user", password: str | None = None):
    """Open the notes page at `url` and log in through its form, as a person
    would (a demo user's password unless told); wait until the notes show."""
    from harness.project import DEMO_USERS

    password = password or dict(DEMO_USERS)[username]
    page.goto(url + "/")
    page.fill("#login [name=username]", username)
    page.fill("#login [name=password]", password)
    page.click("#login button")
    page.wait_for_selector("#notes:not([hidden])")
    assert page.inner_text("#who") == username


def add_note(page, title: str, body: str = "") -> None:
    """Add a note through the page's form; wait until the list shows it."""
    import json

    page.fill("#new-note [name=title]", title)
    page.fill("#new-note [name=body]", body)
    page.click("#new-note button")
    page.wait_for_selector(f"#list li:has-text({json.dumps(title)})")
