"""Tokens expire: proven by moving the clock (time-machine), never by sleeping."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from support import assert_status, claims, error_code, feature

pytestmark = feature("expiry")

T0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """A frozen clock at T0; clock.move_to(T0 + delta) travels in time."""
    with time_machine.travel(T0, tick=False) as frozen:
        yield frozen


def test_lifetimes_are_five_minutes_and_one_day(api, user):
    """The access token lives 5 minutes, the refresh token 1 day."""
    tokens = api.tokens()
    access, refresh = claims(tokens["access"]), claims(tokens["refresh"])
    # The access token's exp counts from the moment the refresh token was
    # made; its iat from its own creation, a moment later. Across a second's
    # boundary, exp - iat is 299.
    assert access["exp"] - access["iat"] in (5 * 60 - 1, 5 * 60)
    assert refresh["exp"] - refresh["iat"] == 24 * 60 * 60


def test_the_access_token_works_until_it_expires(api, user, clock):
    """Valid at +4:59; at +5:01 it is refused with 401 token_not_valid."""
    access = api.tokens()["access"]
    clock.move_to(T0 + timedelta(minutes=4, seconds=59))
    assert_status(api.get("/api/protected/", token=access), 200)
    clock.move_to(T0 + timedelta(minutes=5, seconds=1))
    response = api.get("/api/protected/", token=access)
    assert_status(response, 401)
    assert error_code(response) == "token_not_valid"


def test_refreshing_after_expiry_gives_a_working_token(api, user, clock):
    """At +5:01 the refresh token buys a new access token that works."""
    refresh = api.tokens()["refresh"]
    clock.move_to(T0 + timedelta(minutes=5, seconds=1))
    response = api.post("/api/token/refresh/", {"refresh": refresh})
    assert_status(response, 200)
    new_access = response.json()["access"]
    assert_status(api.get("/api/protected/", token=new_access), 200)


def test_the_refresh_token_expires_after_a_day(api, user, clock):
    """After a day the refresh token is refused too: the user logs in again."""
    refresh = api.tokens()["refresh"]
    clock.move_to(T0 + timedelta(days=1, seconds=1))
    response = api.post("/api/token/refresh/", {"refresh": refresh})
    assert_status(response, 401)
    assert error_code(response) == "token_not_valid"


def test_a_refresh_token_is_not_an_access_token(api, user):
    """Sent as 'Authorization: Bearer <refresh>', a refresh token gets 401."""
    refresh = api.tokens()["refresh"]
    response = api.get("/api/protected/", token=refresh)
    assert_status(response, 401)
    assert error_code(response) == "token_not_valid"


def test_an_access_token_cannot_refresh(api, user):
    """POSTed to /api/token/refresh/, an access token gets 401."""
    access = api.tokens()["access"]
    response = api.post("/api/token/refresh/", {"refresh": access})
    assert_status(response, 401)
    assert error_code(response) == "token_not_valid"
