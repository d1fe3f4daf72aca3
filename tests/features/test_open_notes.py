"""Step 02's problem, proven: the notes API is open to everyone."""

from support import assert_status, feature

pytestmark = feature("open-notes")


def test_anyone_can_write_a_note_in_anyones_name(api, alice):
    """An anonymous client creates a note owned by alice, just by saying so."""
    response = api.post("/api/notes/", {"title": "I am alice", "owner": alice.pk})
    assert_status(response, 201)
    assert response.json()["owner"] == alice.pk


def test_anyone_can_read_every_note(api, user, alice):
    """An anonymous client lists every user's notes."""
    for owner in (user, alice):
        api.post(
            "/api/notes/", {"title": f"{owner.username}'s secret", "owner": owner.pk}
        )
    response = api.get("/api/notes/")
    assert_status(response, 200)
    assert {n["owner"] for n in response.json()} == {user.pk, alice.pk}
