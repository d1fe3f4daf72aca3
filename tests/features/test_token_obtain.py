import pytest

from support import assert_status, claims, error_code, feature

pytestmark = feature("token-obtain")


def test_the_guides_login_returns_two_tokens(api, user):
    """POST /api/token/ with user/pass answers {"access": ..., "refresh": ...}."""
    response = api.login("user", "pass")
    assert_status(response, 200)
    body = response.json()
    assert set(body) == {"access", "refresh"}
    for token in body.values():
        assert token.count(".") == 2, "a JWT is three base64url parts joined by dots"


def test_the_tokens_say_who_and_what_they_are(api, user):
    """Each token names its type, and user_id is the user's pk AS A STRING."""
    tokens = api.tokens()
    access, refresh = claims(tokens["access"]), claims(tokens["refresh"])
    assert access["token_type"] == "access"
    assert refresh["token_type"] == "refresh"
    # simplejwt 5.5.1 always writes user_id as a string: "1", not 1.
    assert access["user_id"] == refresh["user_id"] == str(user.pk)
    assert access["exp"] > access["iat"]
    assert refresh["exp"] > access["exp"], "a refresh token outlives its access token"


@pytest.mark.parametrize(
    "username, password",
    [("user", "wrong"), ("nobody", "pass"), ("USER", "pass"), ("", "x")],
    ids=["wrong-password", "unknown-user", "wrong-case", "empty-username"],
)
def test_bad_credentials_get_the_same_401(api, user, username, password):
    """Bad credentials get 401 no_active_account, whatever was wrong."""
    response = api.login(username, password)
    if username == "":
        assert_status(response, 400)  # a blank field is a malformed request
        return
    assert_status(response, 401)
    assert error_code(response) == "no_active_account"


def test_an_inactive_user_gets_no_tokens(api, user):
    """A deactivated account cannot log in."""
    user.is_active = False
    user.save()
    response = api.login()
    assert_status(response, 401)
    assert error_code(response) == "no_active_account"


def test_a_refresh_token_buys_a_new_access_token(api, user):
    """POST /api/token/refresh/ with the refresh token answers a new access token."""
    refresh = api.tokens()["refresh"]
    response = api.post("/api/token/refresh/", {"refresh": refresh})
    assert_status(response, 200)
    assert claims(response.json()["access"])["token_type"] == "access"


def test_a_garbage_refresh_token_gets_401(api):
    """A refresh token that is not a JWT gets 401 token_not_valid."""
    response = api.post("/api/token/refresh/", {"refresh": "not-a-token"})
    assert_status(response, 401)
    assert error_code(response) == "token_not_valid"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"username=user&password=pass",
        b'{"username": "user", "password": ',
        b"[]",
        b'"user"',
        b"null",
        b'{"username": "user"}',
        b'{"password": "pass"}',
        b'{"username": ["user"], "password": "pass"}',
        b'{"username": {"$ne": ""}, "password": "pass"}',
        b'{"username": "user", "password": null}',
        b'{"username": true, "password": "pass"}',
        b'{"username": "user", "password": "pass"' + b" " * 10 + b"}}",
        b"\xff\xfe\x00garbage",
    ],
    ids=[
        "empty",
        "form-encoded",
        "truncated-json",
        "json-list",
        "json-string",
        "json-null",
        "no-password",
        "no-username",
        "username-list",
        "username-object",
        "password-null",
        "username-bool",
        "trailing-junk",
        "not-utf8",
    ],
)
def test_a_malformed_login_body_gets_400(api, user, body):
    """Login bodies that are not {"username": str, "password": str} get 400."""
    response = api.post("/api/token/", raw=body)
    assert_status(response, 400)


def test_login_is_post_only(api, user):
    """GET /api/token/ is 405: passwords never travel in a URL."""
    assert_status(api.get("/api/token/"), 405)


def test_a_huge_login_body_is_refused_without_a_crash(api, user):
    """A 3 MB password is a client error, not a server error."""
    response = api.post(
        "/api/token/", {"username": "user", "password": "x" * 3_000_000}
    )
    assert 400 <= response.status_code < 500, response.status_code
