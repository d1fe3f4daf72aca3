"""Step 13 on: the cookie flow, for browsers.

The page logs in at /api/browser/login/. The refresh token travels only in
a cookie (HttpOnly, Secure, SameSite=Strict, Path=/api/browser/, dying with
the token); the access token only in the JSON answer, which the page keeps in
memory. The cookie endpoints need Django's CSRF token. API clients keep the
JSON flow of /api/token/.

The first half talks HTTP through Django's test client (with CSRF checks on,
as a browser gets them); the second drives real headless Chromium.
"""

import http.server
import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from chromium import JWT_PATTERN, LOOK_EVERYWHERE, log_in
from harness.net import free_port
from support import assert_status, claims, error_code, feature

pytestmark = feature("cookie-flow")

LOGIN, REFRESH, LOGOUT = (
    "/api/browser/login/",
    "/api/browser/refresh/",
    "/api/browser/logout/",
)
USER = {"username": "user", "password": "pass"}
COOKIE = "refresh_token"  # "token" in its name: Django's debug page hides it


class Browserish:
    """Django's test client with CSRF checks on, holding cookies as a browser
    does; post() sends the CSRF token unless told not to."""

    def __init__(self):
        from django.test import Client

        self.client = Client(enforce_csrf_checks=True)
        self.client.get("/")  # the page: it sets the csrftoken cookie

    def post(self, path, data=None, *, csrf=True, **headers):
        if csrf:
            headers["X-CSRFToken"] = self.client.cookies["csrftoken"].value
        body = json.dumps(data or {})
        return self.client.post(path, body, "application/json", headers=headers)

    @property
    def refresh_cookie(self) -> str:
        return self.client.cookies[COOKIE].value


@pytest.fixture
def browserish(user):
    return Browserish()


def test_login_puts_the_refresh_token_in_a_cookie_only(browserish):
    """Login answers only the access token; the refresh token is in an HttpOnly,
    Secure, SameSite=Strict cookie for /api/browser/ that dies with the token.
    """
    response = browserish.post(LOGIN, USER)
    assert_status(response, 200)
    assert set(response.json()) == {"access"}  # no refresh token in the JSON
    cookie = response.cookies[COOKIE]
    token = cookie.value
    assert claims(token)["token_type"] == "refresh"
    assert cookie["httponly"] is True
    assert cookie["secure"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["path"] == "/api/browser/"
    lifetime = claims(token)["exp"] - claims(token)["iat"]
    assert abs(int(cookie["max-age"]) - lifetime) <= 1  # dies with the token


def test_refresh_reads_the_cookie_and_rotates_it(browserish, api):
    """Refresh takes the token from the cookie, answers a new access token and sets a
    new cookie; the old token is used up.
    """
    assert_status(browserish.post(LOGIN, USER), 200)
    first = browserish.refresh_cookie
    response = browserish.post(REFRESH)
    assert_status(response, 200)
    assert set(response.json()) == {"access"}
    assert browserish.refresh_cookie != first  # a new cookie, a new token
    assert_status(api.get("/api/notes/", token=response.json()["access"]), 200)
    # The old cookie's token is used up, whoever sends it.
    assert_status(api.post("/api/token/refresh/", {"refresh": first}), 401)


def test_the_cookie_dies_with_the_session_30_days_after_login(browserish):
    """Refreshed every 12 hours, the cookie's Max-Age shrinks to what is left
    of the session (Part IV's cap), not a whole refresh lifetime."""
    t0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        assert_status(browserish.post(LOGIN, USER), 200)
        for half_days in range(1, 60):  # up to 29.5 days after login
            clock.move_to(t0 + timedelta(hours=12 * half_days))
            response = browserish.post(REFRESH)
            assert_status(response, 200)
        assert int(response.cookies[COOKIE]["max-age"]) == 12 * 60 * 60


def test_without_the_csrf_token_every_cookie_endpoint_answers_403(browserish):
    """Without the CSRF token, login, refresh and logout answer 403 csrf_failed and
    change nothing.
    """
    assert_status(browserish.post(LOGIN, USER, csrf=False), 403)
    assert COOKIE not in browserish.client.cookies
    assert_status(browserish.post(LOGIN, USER), 200)
    cookie = browserish.refresh_cookie
    for path in (REFRESH, LOGOUT):
        response = browserish.post(path, csrf=False)
        assert_status(response, 403)
        assert error_code(response) == "csrf_failed"
        assert browserish.refresh_cookie == cookie  # untouched: nothing lost
    assert_status(browserish.post(REFRESH), 200)  # the session lives on


def test_a_request_from_another_origin_is_refused(browserish):
    """A refresh whose Origin is another site answers 403 csrf_failed, even with the
    right token.
    """
    assert_status(browserish.post(LOGIN, USER), 200)
    response = browserish.post(REFRESH, Origin="http://localhost:9999")
    assert_status(response, 403)
    assert error_code(response) == "csrf_failed"


def test_without_the_cookie_refresh_and_logout_answer_401(browserish):
    """With no refresh cookie, refresh and logout answer 401 no_cookie."""
    for path in (REFRESH, LOGOUT):
        response = browserish.post(path)
        assert_status(response, 401)
        assert error_code(response) == "no_cookie"


def test_logout_ends_the_session_and_deletes_the_cookie(browserish, api):
    """Logout deletes the cookie (Max-Age=0) and ends the session: the refresh and the
    access token are refused.
    """
    access = browserish.post(LOGIN, USER).json()["access"]
    token = browserish.refresh_cookie
    response = browserish.post(LOGOUT)
    assert_status(response, 200)
    deleted = response.cookies[COOKIE]
    assert (deleted.value, deleted["max-age"]) == ("", 0)
    assert deleted["path"] == "/api/browser/"
    assert_status(api.post("/api/token/refresh/", {"refresh": token}), 401)
    assert_status(api.get("/api/notes/", token=access), 401)  # the session ended


def test_a_form_post_from_a_browser_gets_403_not_500(browserish):
    """What another site's <form> sends: form-encoded, asking for HTML first."""
    assert_status(browserish.post(LOGIN, USER), 200)
    accept = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for path in (LOGIN, REFRESH, LOGOUT):
        assert_status(browserish.client.post(path, {"x": "1"}, headers=accept), 403)
        assert_status(browserish.client.get(path, headers=accept), 405)


def test_json_nested_too_deep_gets_400_never_500(browserish):
    """A body nested 1,000 deep makes Python's JSON parser raise
    RecursionError: a 500 with DRF's own parser (and in DEBUG, a page that
    lists the request's cookies). Login answers 400; refresh and logout never
    read their body, and answer from the cookie."""
    assert_status(browserish.post(LOGIN, USER), 200)
    deep = "[" * 1000 + "]" * 1000
    csrf = {"X-CSRFToken": browserish.client.cookies["csrftoken"].value}
    post = browserish.client.post
    assert_status(post(LOGIN, deep, "application/json", headers=csrf), 400)
    assert_status(post(REFRESH, deep, "application/json", headers=csrf), 200)
    assert_status(post(LOGOUT, deep, "application/json", headers=csrf), 200)
    assert_status(browserish.post(REFRESH), 401)  # that was a real logout


def test_django_s_debug_page_would_hide_the_cookie(rf):
    """Django's error page (DEBUG) lists the request's cookies, but hides
    those named like secrets: the refresh cookie's name is one of them."""
    from django.views.debug import SafeExceptionReporterFilter

    request = rf.get("/", HTTP_COOKIE=f"{COOKIE}=eyJ.secret.value; csrftoken=x")
    shown = SafeExceptionReporterFilter().get_safe_cookies(request)
    assert "eyJ" not in str(shown), shown


def test_only_a_checked_post_deletes_the_cookie(browserish):
    """A link from another site (GET), OPTIONS, HEAD, or a POST refused
    before the CSRF check: none of them deletes the cookie."""
    assert_status(browserish.post(LOGIN, USER), 200)
    client = browserish.client
    for response in (
        client.get(LOGOUT, headers={"Origin": "http://localhost:9999"}),
        client.options(LOGOUT),
        client.head(LOGOUT),
        client.post(LOGOUT, "{}", "application/json", headers={"Accept": "text/xml"}),
    ):
        assert COOKIE not in response.cookies, (response.request, response.status_code)
    assert_status(browserish.post(REFRESH), 200)  # still logged in


def test_two_refresh_cookies_are_refused(browserish, alice):
    """A second cookie of the same name, for a wider path, is one someone
    planted (a script, a sibling subdomain): Django would keep either one.
    Both are refused, and nobody is logged in as the planter."""
    assert_status(browserish.post(LOGIN, USER), 200)
    mine = browserish.refresh_cookie
    planted = Browserish()
    alice = planted.post(LOGIN, {"username": "alice", "password": "wonderland"})
    theirs = planted.refresh_cookie
    csrf = browserish.client.cookies["csrftoken"].value
    for order in ((mine, theirs), (theirs, mine)):
        cookie = "; ".join(f"{COOKIE}={t}" for t in order) + f"; csrftoken={csrf}"
        response = browserish.client.post(
            REFRESH, "{}", "application/json",
            headers={"X-CSRFToken": csrf}, HTTP_COOKIE=cookie,
        )  # fmt: skip
        assert_status(response, 401)
        assert error_code(response) == "two_cookies"
    assert alice.status_code == 200


def test_a_new_login_ends_the_session_whose_cookie_it_replaces(browserish, api):
    """Logging in again in the same browser replaces the cookie; the session
    it held ends, instead of living on unseen."""
    assert_status(browserish.post(LOGIN, USER), 200)
    first = browserish.refresh_cookie
    assert_status(browserish.post(LOGIN, USER), 200)
    assert browserish.refresh_cookie != first
    assert_status(api.post("/api/token/refresh/", {"refresh": first}), 401)
    assert_status(browserish.post(REFRESH), 200)  # the new one works


def test_api_clients_keep_the_json_flow(api, user):
    """POST /api/token/ still answers both tokens in JSON and sets no cookie: curl,
    client.py and the notebooks work as before.
    """
    response = api.login()
    assert_status(response, 200)
    assert set(response.json()) == {"access", "refresh"}
    assert COOKIE not in response.cookies  # no cookie for API clients


def test_the_page_allows_only_its_own_scripts(api):
    """The page is served with a Content-Security-Policy that allows no inline script
    and no eval.
    """
    policy = api.get("/").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


# In real Chromium.


def test_no_script_in_the_page_can_find_a_token(page, site):
    """After login and after a silent refresh, no token is in storage, in
    document.cookie or in a global variable.
    """
    log_in(page, site.url)
    assert page.evaluate(LOOK_EVERYWHERE, JWT_PATTERN) == []
    page.reload()  # after the silent refresh too
    page.wait_for_selector("#notes:not([hidden])")
    assert page.evaluate(LOOK_EVERYWHERE, JWT_PATTERN) == []
    assert COOKIE not in page.evaluate("document.cookie")


def test_a_slow_refresh_at_page_load_does_not_undo_a_login(page, site):
    """The silent refresh the page makes as it loads comes back (401: no
    cookie yet) only after the user has logged in, while the notes load:
    the login stands and the notes show. (It used to wipe the new access
    token: a script error, and no notes. Seen under load in CI.) The page
    fixture fails the test on any script error."""
    held = {"/api/browser/refresh/": [], "/api/notes/": []}

    def hold_the_first(route):
        waiting = held[urlsplit(route.request.url).path]
        if waiting:
            route.continue_()
        else:
            waiting.append(route)  # answered later, by the test

    for path in held:
        page.route(f"**{path}", hold_the_first)
    page.goto(site.url + "/")
    page.fill("#login [name=username]", "user")
    page.fill("#login [name=password]", "pass")
    page.click("#login button")
    while not held["/api/notes/"]:  # logged in; the notes are on their way
        page.wait_for_timeout(20)
    # The load's refresh, answered now as the server answered it then (no
    # cookie yet: 401). Sent on now, it would carry the login's new cookie.
    with page.expect_response("**/api/browser/refresh/"):
        held["/api/browser/refresh/"][0].fulfill(
            status=401, json={"detail": "No refresh cookie.", "code": "no_cookie"}
        )
    held["/api/notes/"][0].continue_()
    page.wait_for_selector("#notes:not([hidden])")
    assert page.inner_text("#who") == "user"


def test_the_browser_keeps_the_cookie_as_stated(page, site):
    """Chromium stores the refresh cookie as HttpOnly, Secure, SameSite=Strict, for
    /api/browser/, expiring with the token.
    """
    log_in(page, site.url)
    cookie = next(c for c in page.context.cookies() if c["name"] == COOKIE)
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (
        True,
        True,
        "Strict",
    )
    assert cookie["path"] == "/api/browser/"
    lifetime = claims(cookie["value"])["exp"] - time.time()
    assert abs(cookie["expires"] - time.time() - lifetime) < 5


def test_no_json_answer_of_the_cookie_flow_holds_a_refresh_token(page, site):
    """Login, silent refresh and logout, in the browser: no answer body holds a refresh
    token.
    """
    bodies = []

    def keep(route):
        # Read on the way, as a proxy would: from step 15 on, the answers
        # say no-store, and Chromium keeps no copy to read afterwards.
        response = route.fetch()
        bodies.append(response.text())
        route.fulfill(response=response)

    page.route(f"{site.url}/api/browser/**", keep)
    log_in(page, site.url)
    page.reload()  # a refresh
    page.wait_for_selector("#notes:not([hidden])")
    page.click("#logout")
    page.wait_for_selector("#status:has-text('Logged out.')")
    assert len(bodies) >= 3, bodies
    for body in bodies:
        assert "refresh" not in json.loads(body) if body else True
        for token in re.findall(JWT_PATTERN, body):
            assert claims(token)["token_type"] == "access", body


def test_after_logout_the_cookie_is_gone(page, site):
    """After logout the browser holds no refresh cookie."""
    log_in(page, site.url)
    page.click("#logout")
    page.wait_for_selector("#status:has-text('Logged out.')")
    assert COOKIE not in {c["name"] for c in page.context.cookies()}


@pytest.fixture(scope="module")
def other_site():
    """A page on another site: http://localhost:<port>, where the tests' server
    is http://127.0.0.1:<port> (another host, so another site for SameSite).
    GET /?target=URL serves a form that POSTs to URL as soon as it loads."""

    class Attacker(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            target = self.path.split("target=", 1)[1]
            body = (
                f'<form method="post" action="{target}">'
                '<input name="x" value="1"></form>'
                "<script>document.forms[0].submit()</script>"
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Attacker)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_another_site_cannot_use_the_users_cookie(page, site, other_site):
    """A page on another site posting to refresh and logout gets 403, and the browser
    did not send the refresh cookie.
    """
    log_in(page, site.url)
    for path in (REFRESH, LOGOUT):

        def is_ours(response, path=path):
            return response.url == site.url + path

        with page.expect_response(is_ours) as sent:
            page.goto(f"{other_site}/?target={site.url}{path}")
        answer = sent.value
        assert answer.status == 403, (path, answer.status)
        assert COOKIE not in answer.request.all_headers().get("cookie", "")
    # The user is still logged in, on their own page.
    page.goto(site.url + "/")
    page.wait_for_selector("#notes:not([hidden])")


def test_an_injected_inline_script_does_not_run(page, site):
    """An inline script added to the page does not run: the Content-Security-Policy
    blocks it.
    """
    log_in(page, site.url)
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.injected = true";
          document.body.append(script);
        }"""
    )
    assert page.evaluate("window.injected") is None  # the policy blocked it


def test_the_honest_limit_a_script_in_the_page_can_still_call_the_api(page, site):
    """HttpOnly stops theft of the refresh token, not XSS: a script already
    running in the page can ask for access tokens, as the page itself does,
    for as long as the page is open."""
    log_in(page, site.url)
    answer = page.evaluate(
        """async () => {
          const csrf = document.cookie.match(/csrftoken=([^;]*)/)[1];
          const refreshed = await fetch("/api/browser/refresh/", {
            method: "POST", headers: { "X-CSRFToken": csrf },
          });
          const { access } = await refreshed.json();
          const notes = await fetch("/api/notes/", {
            headers: { Authorization: `Bearer ${access}` },
          });
          return { refreshed: refreshed.status, notes: notes.status };
        }"""
    )
    assert (answer["refreshed"], answer["notes"]) == (200, 200)
