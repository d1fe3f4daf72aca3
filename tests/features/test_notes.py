from support import assert_status, feature, field_errors, listed

pytestmark = feature("notes")


def test_a_created_note_is_listed(user, as_user):
    """POST /api/notes/ creates a note (201) and GET /api/notes/ lists it."""
    me = as_user(user)
    # "owner" is sent because step 02 requires it; later steps ignore it.
    created = me.post(
        "/api/notes/", {"title": "Groceries", "body": "eggs, milk", "owner": user.pk}
    )
    assert_status(created, 201)
    note = created.json()
    assert note["title"] == "Groceries" and note["body"] == "eggs, milk"
    answer = me.get("/api/notes/")
    assert_status(answer, 200)
    assert [n["id"] for n in listed(answer)] == [note["id"]]


def test_a_note_needs_a_title(user, as_user):
    """A note without a title is refused with 400 and the field named."""
    response = as_user(user).post("/api/notes/", {"body": "no title", "owner": user.pk})
    assert_status(response, 400)
    assert "title" in field_errors(response)


def test_a_body_that_is_not_json_gets_400(user, as_user):
    """Broken JSON is a client error (400), never a server crash."""
    response = as_user(user).post("/api/notes/", raw=b'{"title": ')
    assert_status(response, 400)
