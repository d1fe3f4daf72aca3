"""Step 08: custom claims in every token, and why they must not authorise.

Claims are a snapshot taken at login. The staff endpoint decides from the
user in the database, so a user who lost staff status is refused even while
their (refreshed) token still says is_staff: true.
"""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from support import assert_status, claims, error_code, feature

pytestmark = feature("custom-claims")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "boss", password="boss-pass", is_staff=True
    )


@pytest.mark.parametrize("kind", ["access", "refresh"])
def test_tokens_carry_username_and_is_staff(api, user, kind):
    """Both tokens from POST /api/token/ carry username and is_staff."""
    token = claims(api.tokens()[kind])
    assert token["username"] == "user"
    assert token["is_staff"] is False
    assert token["user_id"] == str(user.pk)


def test_a_staff_users_token_says_so(api, staff):
    """A staff user's token says is_staff: true."""
    assert claims(api.tokens("boss", "boss-pass")["access"])["is_staff"] is True


def test_the_staff_endpoint_refuses_non_staff(api, user):
    """A valid token of a non-staff user gets 403 on /api/staff/."""
    response = api.get("/api/staff/", token=api.tokens()["access"])
    assert_status(response, 403)
    assert error_code(response) == "permission_denied"


def test_the_staff_endpoint_admits_staff(api, staff):
    """A staff user's token gets 200 on /api/staff/."""
    response = api.get("/api/staff/", token=api.tokens("boss", "boss-pass")["access"])
    assert_status(response, 200)
    assert response.json() == {"message": "Hello, boss. You are staff."}


def test_claims_go_stale_but_the_database_decides(api, staff):
    """Demoted after login: the refreshed token still says is_staff, yet
    /api/staff/ refuses, because it reads the user from the database."""
    refresh = api.tokens("boss", "boss-pass")["refresh"]
    staff.is_staff = False
    staff.save()

    response = api.post("/api/token/refresh/", {"refresh": refresh})
    assert_status(response, 200)
    access = response.json()["access"]
    assert claims(access)["is_staff"] is True  # stale: copied from the old token
    assert_status(api.get("/api/staff/", token=access), 403)

    fresh = api.tokens("boss", "boss-pass")["access"]  # logging in again
    assert claims(fresh)["is_staff"] is False


def issue_token(username):
    out = io.StringIO()
    call_command("issue_token", username, stdout=out)
    return json.loads(out.getvalue())


def test_tokens_made_by_hand_work_and_carry_the_claims(api, user):
    """`manage.py issue_token user` prints tokens that work, with the claims."""
    tokens = issue_token("user")
    assert claims(tokens["access"])["username"] == "user"
    assert_status(api.get("/api/protected/", token=tokens["access"]), 200)


def test_no_tokens_by_hand_for_an_inactive_user(user):
    """issue_token refuses a deactivated account, as login does."""
    user.is_active = False
    user.save()
    with pytest.raises(CommandError, match="inactive"):
        issue_token("user")


def test_no_tokens_by_hand_for_an_unknown_user(db):
    """issue_token names a user that does not exist, instead of crashing."""
    with pytest.raises(CommandError, match="no user"):
        issue_token("nobody")
