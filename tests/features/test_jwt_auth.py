import pytest

from support import assert_status, error_code, feature

pytestmark = feature("jwt-auth")

HINT = "is JWTAuthentication in REST_FRAMEWORK['DEFAULT_AUTHENTICATION_CLASSES']?"


def test_the_guides_exchange(api, user):
    """The guide's example: log in as user/pass, then GET /api/protected/."""
    access = api.tokens("user", "pass")["access"]
    response = api.get("/api/protected/", token=access)
    assert_status(response, 200, hint=HINT)
    assert response.json() == {"message": "Hello, user! This is a protected view."}


def test_no_credentials_get_401_with_a_bearer_challenge(api):
    """No Authorization header: 401 and 'WWW-Authenticate: Bearer realm="api"'."""
    response = api.get("/api/protected/")
    assert_status(response, 401, hint="is JWTAuthentication the FIRST class?")
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert error_code(response) == "not_authenticated"


@pytest.mark.parametrize(
    "template, code",
    [
        ("Token {}", "not_authenticated"),
        ("JWT {}", "not_authenticated"),
        ("bearer {}", "not_authenticated"),
        ("{}", "not_authenticated"),
        ("Bearer", "bad_authorization_header"),
        ("Bearer ", "bad_authorization_header"),
        ("Bearer {} extra", "bad_authorization_header"),
    ],
    ids=[
        "Token-scheme",
        "JWT-scheme",
        "lowercase-scheme",
        "no-scheme",
        "scheme-only",
        "empty-token",
        "extra-word",
    ],
)
def test_client_header_mistakes_get_401(api, user, template, code):
    """A good token sent the wrong way gets 401, never a 200 or a 500.

    A scheme other than "Bearer" (case-sensitive) makes simplejwt skip the
    header altogether: the request is simply anonymous.
    """
    access = api.tokens()["access"]
    response = api.get("/api/protected/", authorization=template.format(access))
    assert_status(response, 401)
    assert error_code(response) == code


def test_a_refreshed_access_token_works(api, user):
    """An access token from POST /api/token/refresh/ opens /api/protected/."""
    refresh = api.tokens()["refresh"]
    access = api.post("/api/token/refresh/", {"refresh": refresh}).json()["access"]
    response = api.get("/api/protected/", token=access)
    assert_status(response, 200)


def test_the_public_hello_view_ignores_a_broken_token(api):
    """/api/hello/ answers 200 even when the client sends a garbage token.

    An AllowAny view alone would answer 401 here: authentication runs before
    permissions. The hello view also sets authentication_classes = [].
    """
    response = api.get("/api/hello/", authorization="Bearer not.a.token")
    assert_status(response, 200)
