"""Helpers for the page's tests in real headless Chromium (which Chromium,
and how it starts: harness/browser.py)."""

from __future__ import annotations

from pathlib import Path

from harness.browser import add_note, log_in
from harness.registry import ROOT

__all__ = ["add_note", "log_in"]

SHOTS = ROOT / ".cache" / "screenshots"

# Any token a script could take: three base64url parts, the first a JSON "{".
JWT_PATTERN = r"eyJ[\w-]+\.[\w-]+\.[\w-]+"


def snapshot(page, moment: str) -> Path:
    """A screenshot of the page at a key moment ("logged-in", say), kept in
    .cache/screenshots/<project>/ (ignored by git) for a person to look at."""
    from harness.pytest_plugin import target

    folder = SHOTS / target().project.path.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{moment}.png"
    page.screenshot(path=path, full_page=True)
    return path


def refresh_token_in(page) -> str:
    """The page's refresh token, from wherever the project keeps it. (The
    test may look where no script can: at HttpOnly cookies.)"""
    stored = page.evaluate("localStorage.getItem('refresh')")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    token = stored or cookies.get("refresh_token")
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
