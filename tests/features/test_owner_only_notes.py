from support import assert_status, feature, listed

pytestmark = feature("owner-only-notes")


def test_each_user_sees_only_their_own_notes(user, alice, as_user):
    """user and alice each list only the notes they created themselves."""
    me, her = as_user(user), as_user(alice)
    assert_status(me.post("/api/notes/", {"title": "mine"}), 201)
    assert_status(her.post("/api/notes/", {"title": "hers"}), 201)
    assert [n["title"] for n in listed(me.get("/api/notes/"))] == ["mine"]
    assert [n["title"] for n in listed(her.get("/api/notes/"))] == ["hers"]


def test_the_owner_is_whoever_created_the_note(user, alice, as_user):
    """A client cannot claim someone else as a note's owner."""
    me = as_user(user)
    response = me.post("/api/notes/", {"title": "forged", "owner": alice.pk})
    assert_status(response, 201)
    assert response.json()["owner"] == "user"
    assert listed(as_user(alice).get("/api/notes/")) == []
