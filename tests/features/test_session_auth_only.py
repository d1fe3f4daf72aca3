"""Step 03's mistake, proven: tokens are issued, then ignored.

With only SessionAuthentication configured, nothing reads the Authorization
header. DRF then answers 403 (not 401) and sends no WWW-Authenticate header,
because the first authentication class (sessions) has no challenge to offer.
"""

import pytest

from support import assert_status, error_code, feature

pytestmark = feature("session-auth-only")


@pytest.mark.parametrize("path", ["/api/protected/", "/api/notes/"])
def test_a_valid_bearer_token_is_ignored(api, user, path):
    """POST /api/token/ gives a token, yet 'Bearer <access>' gets 403."""
    access = api.tokens()["access"]
    response = api.get(path, token=access)
    assert_status(response, 403)
    assert "WWW-Authenticate" not in response
    assert error_code(response) == "not_authenticated"


def test_anonymous_gets_403_without_a_challenge(api):
    """Without credentials too: 403 and no WWW-Authenticate header."""
    response = api.get("/api/protected/")
    assert_status(response, 403)
    assert "WWW-Authenticate" not in response


def test_sessions_still_work(user, client):
    """Session login works (the browsable API and admin use it): only tokens fail."""
    client.force_login(user)
    response = client.get("/api/protected/")
    assert_status(response, 200)
    assert response.json() == {"message": "Hello, user! This is a protected view."}
