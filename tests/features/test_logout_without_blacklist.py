"""Step 09's mistake, proven: logout and rotation that silently do nothing.

TokenBlacklistView and BLACKLIST_AFTER_ROTATION need the token_blacklist app.
Without it, simplejwt raises no error: it skips the blacklisting and answers
as if all went well.
"""

from support import assert_status, feature

pytestmark = feature("logout-without-blacklist")


def test_logout_answers_200_yet_the_token_lives_on(api, user):
    """POST /api/token/blacklist/ says 200 {}, and the same refresh token
    still refreshes."""
    refresh = api.tokens()["refresh"]
    logout = api.post("/api/token/blacklist/", {"refresh": refresh})
    assert_status(logout, 200)
    assert logout.json() == {}
    assert_status(api.post("/api/token/refresh/", {"refresh": refresh}), 200)


def test_a_rotated_out_refresh_token_still_works(api, user):
    """Rotation hands out a new refresh token, but the old one keeps working."""
    old = api.tokens()["refresh"]
    rotated = api.post("/api/token/refresh/", {"refresh": old})
    assert_status(rotated, 200)
    assert rotated.json()["refresh"] != old
    assert_status(api.post("/api/token/refresh/", {"refresh": old}), 200)
