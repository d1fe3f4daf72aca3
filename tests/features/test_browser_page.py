"""Step 12 on: the notes page, driven in real headless Chromium.

The page (a template and one script, no build step) logs in, lists and adds
notes, stays logged in across a reload, refreshes an expired access token
without the user noticing, and logs out. It loads nothing from elsewhere.
"""

import re
import time
from urllib.parse import urlsplit

import pytest

from chromium import add_note, log_in, refresh_token_in, snapshot
from harness.net import Client
from harness.pytest_plugin import target
from harness.server import Server
from support import feature, listed

pytestmark = feature("browser-page")

DEMO_LOGIN = {"username": "user", "password": "pass"}


def test_the_page_logs_in_lists_and_adds_notes(page, site):
    """Log in through the page's form, add two notes: the page lists them, and so does
    the API.
    """
    log_in(page, site.url)
    add_note(page, "Groceries", "milk, eggs")
    add_note(page, "Ideas", "a tutorial")
    titles = page.locator("#list li b").all_inner_texts()
    assert titles[-2:] == ["Groceries", "Ideas"]
    snapshot(page, "logged-in")
    # And they are really there: the API, from outside the page, agrees.
    api = Client(site.url)
    access = api.post("/api/token/", json=DEMO_LOGIN).json()["access"]
    notes = api.get("/api/notes/", headers={"Authorization": f"Bearer {access}"})
    assert [n["title"] for n in listed(notes)][-2:] == ["Groceries", "Ideas"]


def test_a_wrong_password_is_refused_on_the_page(page, site):
    """A wrong password shows a message and no notes."""
    page.goto(site.url + "/")
    page.fill("#login [name=username]", "user")
    page.fill("#login [name=password]", "wrong")
    page.click("#login button")
    page.wait_for_selector("#status:has-text('Wrong username or password.')")
    assert page.is_hidden("#notes")


def test_a_note_is_shown_as_text_never_run_as_html(page, site):
    """A note holding HTML is shown as text: the page never runs what a note says."""
    log_in(page, site.url, "alice", "wonderland")
    trap = '<img src="x" onerror="window.ran = true">'
    add_note(page, trap, "<script>window.ran = true</script>")
    assert page.locator("#list li b").last.inner_text() == trap
    assert page.evaluate("window.ran") is None


def test_a_reload_keeps_the_user_logged_in(page, site):
    """Reloading the page keeps the user logged in (no password asked again)."""
    log_in(page, site.url)
    page.reload()
    page.wait_for_selector("#notes:not([hidden])")
    assert page.inner_text("#who") == "user"


def test_the_page_loads_nothing_from_elsewhere(page, site):
    """No CDN, no font service: every request goes to this server (and, on
    steps 12 and 13, the planted script's beacons to its collector)."""
    seen = []
    page.on("request", lambda request: seen.append(request.url))
    log_in(page, site.url)
    add_note(page, "offline", "works")
    allowed = {urlsplit(site.url).netloc}
    if site.collector is not None:
        allowed.add(urlsplit(site.collector.url).netloc)
    assert {urlsplit(url).netloc for url in seen} <= allowed, seen
    assert any(url.endswith(".js") for url in seen)  # it did load its script


@pytest.fixture(scope="module")
def short_lived():
    """A second server, whose access tokens live 2 seconds (1 to 2 s, as
    "exp" is a whole second: so the refreshed one lives long enough)."""
    env = {"ACCESS_TOKEN_SECONDS": "2"}
    with Server(target().project, env) as server:
        yield server


def test_an_expired_access_token_is_refreshed_without_the_user_noticing(
    page, short_lived
):
    """Once the access token expires, the next call gets 401, the page refreshes once
    and retries: the user sees nothing.
    """
    log_in(page, short_lived.url)
    answers = []
    page.on("response", lambda r: answers.append((urlsplit(r.url).path, r.status)))
    time.sleep(2.05)  # past the access token's "exp", for sure
    add_note(page, "after expiry", "still works")
    notes = [a for a in answers if a[0] == "/api/notes/"]
    refreshes = [a for a in answers if "refresh" in a[0]]
    # The first try was refused as expired; one refresh; the retry worked.
    assert notes[:2] == [("/api/notes/", 401), ("/api/notes/", 201)], answers
    assert [status for _, status in refreshes][:1] == [200], answers


def test_after_logout_the_page_cannot_get_back_in(page, site):
    """After logout a reload shows the login form, and the refresh token the page held
    is refused from anywhere.
    """
    log_in(page, site.url)
    refresh = refresh_token_in(page)
    page.click("#logout")
    page.wait_for_selector("#status:has-text('Logged out.')")
    page.reload()
    page.wait_for_selector("#login:not([hidden])")
    assert page.is_hidden("#notes")
    snapshot(page, "after-logout")
    # And the refresh token the page had is dead, wherever it is sent from.
    answer = Client(site.url).post("/api/token/refresh/", json={"refresh": refresh})
    assert answer.status_code == 401, answer.text


def test_a_failed_logout_does_not_say_logged_out(page, site):
    """When the server does not confirm the logout (here a 500, made by the
    test), the page says so and stays as it is: on a shared computer, a
    false "Logged out." would hand the session to the next person."""
    log_in(page, site.url)
    logout = re.compile(r"/api/(token/blacklist|browser/logout)/$")
    page.route(logout, lambda route: route.fulfill(status=500, body="{}"))
    page.click("#logout")
    page.wait_for_selector("#status:has-text('Logging out failed: try again.')")
    assert page.is_visible("#notes")
