"""Step 11: an access token dies with its session, not minutes later.

Step 10's honest limit was that an access token outlives its logout by up
to five minutes. From step 11 the authentication class checks, on every
request, that the token's session is still going: one more indexed lookup.
"""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from support import BOGUS_SIDS, assert_status, error_code, feature, resign

pytestmark = feature("access-ends-with-session")

T0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
GRACE = timedelta(seconds=2)  # the project's JWT_REFRESH_GRACE


def protected(api, tokens):
    return api.get("/api/protected/", token=tokens["access"])


def assert_ended(response):
    assert_status(response, 401)
    assert error_code(response) == "session_ended"


def test_logout_ends_the_access_token_at_once(api, user):
    """After POST /api/token/blacklist/, the same login's access token gets
    401 session_ended, well before its exp."""
    tokens = api.tokens()
    assert_status(protected(api, tokens), 200)
    api.post("/api/token/blacklist/", {"refresh": tokens["refresh"]})
    assert_ended(protected(api, tokens))


def test_log_out_everywhere_ends_every_access_token(api, user):
    """POST /api/logout-all/: every device's access token, the caller's too."""
    laptop, phone = api.tokens(), api.tokens()
    assert_status(api.post("/api/logout-all/", token=laptop["access"]), 204)
    for device in (laptop, phone):
        assert_ended(protected(api, device))


def test_a_replayed_token_ends_its_sessions_access_tokens(api, user):
    """Reuse ends the session of the reused token, access tokens included;
    the user's other session goes on."""
    with time_machine.travel(T0, tick=False) as clock:
        laptop, phone = api.tokens(), api.tokens()
        newer = api.post("/api/token/refresh/", {"refresh": laptop["refresh"]}).json()
        clock.shift(GRACE)
        api.post("/api/token/refresh/", {"refresh": laptop["refresh"]})  # replay
        assert_ended(protected(api, newer))
        assert_status(protected(api, phone), 200)


def test_an_access_token_without_a_session_is_refused(api, user):
    """simplejwt's own AccessToken.for_user() carries no session: 401."""
    from rest_framework_simplejwt.tokens import AccessToken

    assert_ended(protected(api, {"access": str(AccessToken.for_user(user))}))


@pytest.mark.parametrize("sid", BOGUS_SIDS, ids=repr)
def test_an_access_token_with_a_bogus_session_id_gets_401(api, user, sid):
    """A `sid` that is no session id, in a token signed with the real key:
    401 session_ended on a protected view and on log out everywhere."""
    access = resign(api.tokens()["access"], sid=sid)
    assert_ended(protected(api, {"access": access}))
    assert_ended(api.post("/api/logout-all/", token=access))
