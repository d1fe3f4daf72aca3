"""Step 15 on: no request body, however hostile, gets a 500.

JSON nested 1,000 deep (2 KB, no login needed) made every JSON endpoint of
step 14 answer 500: Python's json module raises RecursionError, which DRF's
parser does not catch. Bodies had no size limit DRF enforced below Django's
2.5 MB, notes no length limit, and GET /api/notes/ returned every note.
"""

import pytest

from support import assert_status, error_code, feature, field_errors, listed

pytestmark = feature("hostile-bodies")

DEEP = b"[" * 1000 + b"]" * 1000  # 2,000 bytes
HUGE = 64 * 1024 + 1  # one byte over DATA_UPLOAD_MAX_MEMORY_SIZE

# Every endpoint that reads a JSON body, and whether it needs a login
# (/api/logout-all/ reads none; the cookie flow's: test_cookie_flow.py).
JSON_ENDPOINTS = {
    "/api/token/": False,
    "/api/token/refresh/": False,
    "/api/token/verify/": False,
    "/api/token/blacklist/": False,
    "/api/notes/": True,
    "/api/password/": True,
}


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_json_nested_1000_deep_gets_400(api, user, path):
    """2 KB of brackets: 400 parse_error, with or without a login."""
    token = api.tokens()["access"] if JSON_ENDPOINTS[path] else None
    response = api.post(path, raw=DEEP, token=token)
    assert_status(response, 400)
    assert error_code(response) == "parse_error"


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
def test_a_body_over_64_kilobytes_gets_413(api, user, path):
    """One byte over DATA_UPLOAD_MAX_MEMORY_SIZE: 413 too_large, in JSON."""
    token = api.tokens()["access"] if JSON_ENDPOINTS[path] else None
    body = b'{"title": "' + b"x" * HUGE + b'"}'
    response = api.post(path, raw=body, token=token)
    assert_status(response, 413)
    assert error_code(response) == "too_large"


def test_a_form_body_over_64_kilobytes_gets_413(client, user):
    """The same limit for a form body, which Django itself reads."""
    response = client.post(
        "/api/token/",
        "username=user&password=" + "x" * HUGE,
        content_type="application/x-www-form-urlencoded",
    )
    assert_status(response, 413)
    assert error_code(response) == "too_large"


def test_notes_have_length_limits_and_a_refusal_stores_nothing(api, user):
    """A body of 10,000 characters is a note; 10,001, or a title of 201,
    is a 400 naming the field, and nothing is stored."""
    token = api.tokens()["access"]
    ok = api.post("/api/notes/", {"title": "t", "body": "b" * 10_000}, token=token)
    assert_status(ok, 201)
    for note, field in (
        ({"title": "t", "body": "b" * 10_001}, "body"),
        ({"title": "t" * 201, "body": ""}, "title"),
    ):
        response = api.post("/api/notes/", note, token=token)
        assert_status(response, 400)
        assert field in field_errors(response)
    assert len(listed(api.get("/api/notes/", token=token))) == 1


def test_the_notes_list_comes_in_pages_of_50(api, user):
    """51 notes: the first page holds 50 and links to the second, which
    holds the last; there is no third."""
    from notes.models import Note

    Note.objects.bulk_create(
        Note(owner=user, title=f"note {n}", body="") for n in range(51)
    )
    token = api.tokens()["access"]
    first = api.get("/api/notes/", token=token).json()
    assert first["count"] == 51 and len(first["results"]) == 50
    assert first["previous"] is None and first["next"].endswith("?page=2")
    second = api.get("/api/notes/?page=2", token=token).json()
    assert [note["title"] for note in second["results"]] == ["note 50"]
    assert_status(api.get("/api/notes/?page=3", token=token), 404)
