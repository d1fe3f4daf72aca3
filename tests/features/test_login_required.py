import pytest

from support import assert_status, error_code, feature, listed

pytestmark = feature("login-required")


@pytest.mark.parametrize("path", ["/api/notes/", "/api/protected/"])
def test_anonymous_requests_are_refused(api, path):
    """Without credentials, /api/notes/ and /api/protected/ refuse (401 or 403)."""
    response = api.get(path)
    assert_status(
        response,
        401,
        403,
        hint="is IsAuthenticated in REST_FRAMEWORK['DEFAULT_PERMISSION_CLASSES']?",
    )
    assert error_code(response) == "not_authenticated"


def test_anonymous_posts_create_nothing(api, user, as_user):
    """An anonymous POST /api/notes/ is refused and no note appears."""
    response = api.post("/api/notes/", {"title": "sneaky", "owner": user.pk})
    assert_status(response, 401, 403)
    assert listed(as_user(user).get("/api/notes/")) == []
