"""Step 15 on: no cache keeps an answer that carries a token.

RFC 6749 (section 5.1) asks it of every answer with a token: Cache-Control:
no-store, and Pragma: no-cache for old HTTP/1.0 caches. A shared cache (a
proxy, a CDN) that kept one would hand a user's tokens to the next person.
"""

import pytest
from test_cookie_flow import LOGIN, REFRESH, USER, Browserish

from support import assert_status, feature

pytestmark = feature("no-store", "cookie-flow")


def assert_no_store(response):
    assert response["Cache-Control"] == "no-store", response.headers
    assert response["Pragma"] == "no-cache", response.headers


def test_the_json_flow_answers_are_never_stored(api, user):
    """Login and refresh, with tokens in their answers, and login's 401 too
    (whatever a login answers, no cache should keep it)."""
    login = api.login()
    assert_status(login, 200)
    assert_no_store(login)
    refreshed = api.post("/api/token/refresh/", {"refresh": login.json()["refresh"]})
    assert_status(refreshed, 200)
    assert_no_store(refreshed)
    assert_no_store(api.login(password="wrong"))


@pytest.mark.django_db
def test_the_cookie_flow_answers_are_never_stored(user):
    """The page's login and refresh: the access token in JSON, the refresh
    token in a cookie."""
    browser = Browserish()
    login = browser.post(LOGIN, USER)
    assert_status(login, 200)
    assert_no_store(login)
    refreshed = browser.post(REFRESH)
    assert_status(refreshed, 200)
    assert_no_store(refreshed)
