"""Real headless Chromium for the page's tests, through Playwright for Python.

Which browser: $CHROMIUM_PATH if it is set; else the first of `chromium`,
`chromium-browser` and `google-chrome` on the PATH; else Playwright's own
download (`playwright install chromium`, where the network allows it).
Without any of them the browser tests are skipped, with one line that says
how to install one (`.ci/run` installs Debian's chromium, so CI runs them).

Chromium starts headless, with a fresh profile for every test (a new
context), and with its background networking off, so it talks to nobody but
the servers the tests start.
"""

from __future__ import annotations

import json
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
# Any token a script could take: three base64url parts, the first a JSON "{".
JWT_PATTERN = r"eyJ[\w-]+\.[\w-]+\.[\w-]+"


def executable() -> str | None:
    """The Chromium to drive, or None for Playwright's own download."""
    names = ("chromium", "chromium-browser", "google-chrome")
    found = [os.environ.get("CHROMIUM_PATH"), *map(shutil.which, names)]
    return next((path for path in found if path), None)


def launch(playwright):
    """Chromium, or None (and why) when there is none to launch."""
    args = FLAGS + (["--no-sandbox"] if os.geteuid() == 0 else [])
    try:
        return playwright.chromium.launch(
            executable_path=executable(), headless=True, args=args
        ), ""
    except Exception as error:  # Playwright raises its own Error, untyped
        return None, f"{INSTALL} ({str(error).splitlines()[0]})"


def log_in(page, url: str, username: str = "user", password: str = "pass"):
    """Open the page at `url` and log in through its form, as a person would."""
    page.goto(url + "/")
    page.fill("#login [name=username]", username)
    page.fill("#login [name=password]", password)
    page.click("#login button")
    page.wait_for_selector("#notes:not([hidden])")
    assert page.inner_text("#who") == username


def add_note(page, title: str, body: str = "") -> None:
    page.fill("#new-note [name=title]", title)
    page.fill("#new-note [name=body]", body)
    page.click("#new-note button")
    page.wait_for_selector(f"#list li:has-text({json.dumps(title)})")


def refresh_token_in(page) -> str:
    """The page's refresh token, from wherever the project keeps it. (The
    test may look where no script can: at HttpOnly cookies.)"""
    stored = page.evaluate("localStorage.getItem('refresh')")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    token = stored or cookies.get("refresh")
    assert token and token.count(".") == 2, (stored, cookies)
    return token


# What a script in the page can look at: the same places the planted script
# looks, searched by the test itself (final/ has no planted script).
LOOK_EVERYWHERE = """
(pattern) => {
  const jwt = new RegExp(pattern);
  const found = [];
  for (const store of [localStorage, sessionStorage]) {
    for (const key of Object.keys(store)) found.push(store.getItem(key));
  }
  found.push(document.cookie);
  for (const name of Object.keys(window)) {
    try {
      const value = window[name];
      if (typeof value === "string") found.push(value);
      else if (value && typeof value === "object") found.push(JSON.stringify(value));
    } catch (error) {}  // cross-origin frames, cyclic objects
  }
  return found.filter((text) => jwt.test(text));
}
"""
