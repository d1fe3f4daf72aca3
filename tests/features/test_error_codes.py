"""Step 15 on: every error answer of the API carries a stable `code`.

Before, simplejwt's token errors had one ({"detail", "code", "messages"})
but DRF's own sent only {"detail": "..."}, in the user's language: a client
had nothing stable to test. Now `detail` is for people and `code` for
programs, and a validation error lists its fields under `errors`.
"""

import pytest

from support import assert_status, feature

pytestmark = feature("error-codes")


def body_of(response) -> dict:
    body = response.json()
    assert isinstance(body["detail"], str), body
    return body


@pytest.mark.parametrize(
    "request_, status, code",
    [
        (lambda api, t: api.get("/api/protected/"), 401, "not_authenticated"),
        (
            lambda api, t: api.get("/api/protected/", token="x.y.z"),
            401,
            "token_not_valid",
        ),
        (lambda api, t: api.login(password="wrong"), 401, "no_active_account"),
        (lambda api, t: api.get("/api/staff/", token=t), 403, "permission_denied"),
        (lambda api, t: api.get("/api/notes/?page=9", token=t), 404, "not_found"),
        (lambda api, t: api.get("/api/token/"), 405, "method_not_allowed"),
        (
            lambda api, t: api.client.post(
                "/api/token/", "x", content_type="text/plain"
            ),
            415,
            "unsupported_media_type",
        ),
        (lambda api, t: api.post("/api/token/", raw=b"{"), 400, "parse_error"),
        # Django's Http404, which DRF raises for a format it has no renderer
        # for: the exception handler read its code and answered 500.
        (lambda api, t: api.get("/api/notes/?format=xml", token=t), 404, "not_found"),
    ],
    ids=[
        "no-token",
        "a-broken-token",
        "a-wrong-password",
        "not-staff",
        "no-such-page",
        "wrong-method",
        "not-json",
        "broken-json",
        "an-unknown-format",
    ],
)
def test_every_error_has_a_code(api, user, request_, status, code):
    """DRF's own errors (401, 403, 404, 405, 415, 400), Django's 404 and
    simplejwt's alike: a `detail` to read and the `code` a client can test."""
    response = request_(api, api.tokens()["access"])
    assert_status(response, status)
    assert body_of(response)["code"] == code


def test_a_validation_error_names_each_field_with_its_code(api, user):
    """A note with no title and a body that is not text: "invalid", and
    under `errors` each field's messages, each with its own code."""
    token = api.tokens()["access"]
    response = api.post("/api/notes/", {"body": ["not", "text"]}, token=token)
    assert_status(response, 400)
    body = body_of(response)
    assert body["code"] == "invalid"
    assert [e["code"] for e in body["errors"]["title"]] == ["required"]
    assert [e["code"] for e in body["errors"]["body"]] == ["invalid"]
