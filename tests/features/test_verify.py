"""POST /api/token/verify/ says whether a token is genuine and unexpired.

It accepts a token of ANY type: a refresh token "verifies" too, although it
would be refused as an access token. Valid is not the same as usable.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from support import assert_status, error_code, feature

pytestmark = feature("verify")


def verify(api, token):
    return api.post("/api/token/verify/", {"token": token})


@pytest.mark.parametrize("kind", ["access", "refresh"])
def test_verify_accepts_both_token_types(api, user, kind):
    """A genuine access token and a genuine refresh token both get 200 {}."""
    response = verify(api, api.tokens()[kind])
    assert_status(response, 200)
    assert response.json() == {}


def test_valid_is_not_usable(api, user):
    """The refresh token verifies, yet it cannot open /api/protected/."""
    refresh = api.tokens()["refresh"]
    assert_status(verify(api, refresh), 200)
    assert_status(api.get("/api/protected/", token=refresh), 401)


@pytest.mark.parametrize("token", ["garbage", "a.b.c", ""])
def test_verify_refuses_what_is_not_a_token(api, token):
    """Garbage gets 401 token_not_valid (an empty token: 400)."""
    response = verify(api, token)
    if token == "":
        assert_status(response, 400)
        return
    assert_status(response, 401)
    assert error_code(response) == "token_not_valid"


def test_verify_refuses_a_tampered_token(api, user):
    """One character changed in the payload: 401."""
    header, payload, signature = api.tokens()["access"].split(".")
    tampered = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB")
    assert_status(verify(api, f"{header}.{tampered}.{signature}"), 401)


def test_verify_refuses_an_expired_token(api, user):
    """Five minutes and a second later, the access token no longer verifies."""
    t0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
    with time_machine.travel(t0, tick=False) as clock:
        access = api.tokens()["access"]
        clock.move_to(t0 + timedelta(minutes=5, seconds=1))
        assert_status(verify(api, access), 401)
