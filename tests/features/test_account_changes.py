"""Step 11: what happens to tokens when an account changes.

Deactivated, deleted, new password: each must end the user's sessions at
once, and none may crash the server. And no session lives forever.
"""

import hashlib
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from harness.net import Client
from support import (
    ATTEMPTS,
    assert_status,
    at_once,
    claims,
    error_code,
    feature,
    field_errors,
)

pytestmark = feature("account-changes")

NEW = "a much better passphrase"
ALICE = {"username": "alice", "password": "wonderland"}
REFRESH = "/api/token/refresh/"


def refresh(api, token):
    return api.post("/api/token/refresh/", {"refresh": token})


def test_a_deactivated_user_is_locked_out_at_once(api, user):
    """is_active = False: the access token gets 401 user_inactive, the refresh
    token 401, and login 401."""
    tokens = api.tokens()
    user.is_active = False
    user.save()
    response = api.get("/api/protected/", token=tokens["access"])
    assert_status(response, 401)
    assert error_code(response) == "user_inactive"
    assert_status(refresh(api, tokens["refresh"]), 401)
    assert_status(api.login(), 401)


def test_reactivation_brings_no_old_session_back(api, user):
    """Deactivated, then active again: the tokens from before stay refused
    (401), while a new login works."""
    tokens = api.tokens()
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    response = api.get("/api/protected/", token=tokens["access"])
    assert_status(response, 401)
    assert_status(refresh(api, tokens["refresh"]), 401)
    assert_status(verify(api, tokens["access"]), 401)
    fresh = api.tokens()
    assert_status(api.get("/api/protected/", token=fresh["access"]), 200)


def form_data(form):
    """What a browser would send back for this form, unchanged."""
    data = {}
    for name, field in form.fields.items():
        value, widget = form[name].value(), field.widget
        if field.disabled or value in (None, False):
            continue
        if hasattr(widget, "widgets"):  # a date and a time, say: name_0, name_1
            for i, part in enumerate(widget.decompress(value)):
                data[f"{name}_{i}"] = widget.widgets[i].format_value(part) or ""
        else:
            data[name] = value
    return data


def test_deactivating_in_the_admin_ends_every_session(
    client, api, user, django_user_model
):
    """The admin's user form, "Active" unticked and saved: the user's tokens
    are refused, and stay refused after reactivation."""
    tokens = api.tokens()
    admin = django_user_model.objects.create_superuser("root", password="x" * 20)
    client.force_login(admin)
    meta = django_user_model._meta
    page = f"/admin/{meta.app_label}/{meta.model_name}/{user.pk}/change/"
    data = {**form_data(client.get(page).context["adminform"].form)}
    del data["is_active"]  # an unticked box sends nothing
    response = client.post(page, data)
    assert_status(response, 302)
    user.refresh_from_db()
    assert not user.is_active
    user.is_active = True
    user.save()
    client.logout()
    assert_status(refresh(api, tokens["refresh"]), 401)
    assert_status(api.get("/api/protected/", token=tokens["access"]), 401)


def test_a_deleted_users_tokens_get_401_not_500(api, user):
    """A deleted user's refresh token gets 401 (simplejwt 5.5.1 alone: 500)."""
    tokens = api.tokens()
    user.delete()
    response = refresh(api, tokens["refresh"])
    assert_status(response, 401)
    assert error_code(response) in ("token_not_valid", "no_active_account")
    response = api.get("/api/protected/", token=tokens["access"])
    assert_status(response, 401)
    assert error_code(response) == "user_not_found"


def change(api, access, old="pass", new=NEW):
    return api.post(
        "/api/password/", {"old_password": old, "new_password": new}, token=access
    )


def test_a_password_change_ends_every_session(api, user):
    """After POST /api/password/, the old access and refresh tokens (of every
    device) get 401, the old password fails, and the new one logs in."""
    laptop, phone = api.tokens(), api.tokens()
    assert_status(change(api, laptop["access"]), 200)

    for device in (laptop, phone):
        response = api.get("/api/protected/", token=device["access"])
        assert_status(response, 401)
        assert error_code(response) == "password_changed"
        assert_status(refresh(api, device["refresh"]), 401)
    assert_status(api.login("user", "pass"), 401)
    fresh = api.tokens("user", NEW)
    assert_status(api.get("/api/protected/", token=fresh["access"]), 200)


def test_a_password_change_needs_the_old_password(api, user):
    """A wrong old password gets 400, and the password stays as it was."""
    response = change(api, api.tokens()["access"], old="wrong")
    assert_status(response, 400)
    assert "old_password" in field_errors(response)
    assert_status(api.login("user", "pass"), 200)


def test_a_weak_new_password_is_refused(api, user):
    """Django's password validators apply: "12345678" gets 400."""
    response = change(api, api.tokens()["access"], new="12345678")
    assert_status(response, 400)
    assert "new_password" in field_errors(response)


def test_a_password_change_needs_a_login(api):
    """Anonymous POST /api/password/ gets 401."""
    assert_status(api.post("/api/password/", {"old_password": "x"}), 401)


def test_tokens_carry_a_fingerprint_not_the_password_hash(api, user):
    """CHECK_REVOKE_TOKEN adds hash_password: an MD5 of the password hash,
    readable by anyone holding the token, but not the hash itself."""
    fingerprint = claims(api.tokens()["access"])["hash_password"]
    expected = hashlib.md5(user.password.encode()).hexdigest().upper()
    assert fingerprint == expected
    assert fingerprint != user.password


def test_a_session_ends_30_days_after_login_however_it_is_refreshed(api, user):
    """Refreshed every 12 hours, a session still ends 30 days after login."""
    t0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
    end = t0 + timedelta(days=30)
    with time_machine.travel(t0, tick=False) as clock:
        token = api.tokens()["refresh"]
        for half_days in range(1, 60):  # up to 29.5 days: every refresh works
            clock.move_to(t0 + timedelta(hours=12 * half_days))
            response = refresh(api, token)
            assert_status(response, 200)
            token = response.json()["refresh"]
        assert claims(token)["exp"] == int(end.timestamp())  # capped, not +1 day
        clock.move_to(end + timedelta(seconds=1))
        assert_status(refresh(api, token), 401)
        assert_status(api.login(), 200)  # logging in starts a new session


def test_a_password_changed_anywhere_ends_refresh_tokens(api, user):
    """Changed outside /api/password/ (the admin, `manage.py changepassword`),
    the password still ends every refresh token issued before the change."""
    tokens = api.tokens()
    user.set_password(NEW)
    user.save()
    response = refresh(api, tokens["refresh"])
    assert_status(response, 401)
    assert error_code(response) == "token_not_valid"


def test_a_token_from_before_a_password_change_cannot_log_the_user_out(api, user):
    """Replaying a refresh token issued under the old password is refused,
    and does NOT revoke the sessions started with the new password."""
    stale = api.tokens()["refresh"]
    assert_status(change(api, api.tokens()["access"]), 200)
    fresh = api.tokens("user", NEW)["refresh"]
    for _ in range(3):  # an attacker trying again and again
        assert_status(refresh(api, stale), 401)
    assert_status(refresh(api, fresh), 200)


SPACEY = "   Spacey-pw-456   "


def test_a_login_password_is_never_trimmed(api, user, django_user_model):
    """Login checks the password exactly as typed: "  pass  " is not "pass",
    and a password with spaces around it works only with them."""
    response = api.login("user", "  pass  ")
    assert_status(response, 401)
    assert error_code(response) == "no_active_account"
    django_user_model.objects.create_user("spacey", password=SPACEY)
    assert_status(api.login("spacey", SPACEY), 200)
    assert_status(api.login("spacey", SPACEY.strip()), 401)


def test_a_new_password_is_stored_with_its_spaces(api, user):
    """A password change keeps leading and trailing spaces, and checks the
    old password exactly as typed too."""
    token = api.tokens()["access"]
    untrimmed = {"old_password": " pass ", "new_password": SPACEY}
    response = api.post("/api/password/", untrimmed, token=token)
    assert_status(response, 400)  # " pass " is not the password
    change = {"old_password": "pass", "new_password": SPACEY}
    assert_status(api.post("/api/password/", change, token=token), 200)
    user.refresh_from_db()
    assert user.check_password(SPACEY)
    assert not user.check_password(SPACEY.strip())


DAY = 24 * 60 * 60


def test_no_refresh_token_outlives_its_session(api, user, monkeypatch):
    """With a 40-day REFRESH_TOKEN_LIFETIME, the login's refresh token and
    every rotation of it still end 30 days after the login."""
    from rest_framework_simplejwt.tokens import RefreshToken

    # What REFRESH_TOKEN_LIFETIME = 40 days sets (simplejwt reads it once).
    monkeypatch.setattr(RefreshToken, "lifetime", timedelta(days=40))
    login = api.tokens()["refresh"]
    rotated = refresh(api, login).json()["refresh"]
    for token in (login, rotated):
        payload = claims(token)
        assert payload["exp"] <= payload["auth_time"] + 30 * DAY, payload


def verify(api, token):
    return api.post("/api/token/verify/", {"token": token})


def test_verify_refuses_what_the_api_refuses(api, user, django_user_model):
    """Verify refuses, never says 200 to, the tokens of a deactivated user, of
    a deleted user, and from before a password change, as the rest of the API
    does: 401, or simplejwt's 400 for a refresh token already blacklisted."""
    alice = django_user_model.objects.create_user("alice", password="wonderland")
    before = api.tokens("alice", "wonderland")
    for token in before.values():
        assert_status(verify(api, token), 200)
    alice.is_active = False
    alice.save()
    for token in before.values():
        assert_status(verify(api, token), 401)

    tokens = api.tokens()
    assert_status(change(api, tokens["access"]), 200)
    response = verify(api, tokens["access"])
    assert_status(response, 401)
    assert error_code(response) == "token_not_valid"
    assert_status(verify(api, tokens["refresh"]), 400, 401)  # blacklisted: 400

    fresh = api.tokens("user", NEW)
    user.delete()
    for token in fresh.values():
        assert_status(verify(api, token), 401)


def set_active(shell, username, active):
    shell.run(
        "from django.contrib.auth import get_user_model; "
        f"u = get_user_model().objects.get(username={username!r}); "
        f"u.is_active = {active}; u.save()"
    )


@pytest.mark.race
def test_a_login_racing_a_deactivation_leaves_no_old_token(live):
    """Four clients log in as alice again and again while an admin
    deactivates her (save(), as the admin does) and then reactivates her.
    Every token from before the deactivation stays refused: a login that
    checked the password just before it must not slip a session past it."""
    survivors, total = 0, 0
    with live.server.shell() as shell:
        for _ in range(max(2, ATTEMPTS // 10)):
            tokens, stop = [], threading.Event()

            def log_in_again_and_again(tokens=tokens, stop=stop):
                client = Client(live.base_url)
                while not stop.is_set():
                    answer = client.post("/api/token/", json=ALICE)
                    if answer.status_code == 200:
                        tokens.append(answer.json()["access"])

            threads = [
                threading.Thread(target=log_in_again_and_again) for _ in range(4)
            ]
            for thread in threads:
                thread.start()
            time.sleep(0.2)
            set_active(shell, "alice", False)
            stop.set()
            for thread in threads:
                thread.join()
            set_active(shell, "alice", True)
            for access in tokens:
                total += 1
                answer = live.get(
                    "/api/protected/", headers={"Authorization": f"Bearer {access}"}
                )
                survivors += answer.status_code == 200
    assert total > 0
    assert survivors == 0, f"{survivors} of {total} logins outlived the deactivation"


@pytest.mark.race
def test_deleting_a_user_during_refreshes_never_answers_500(live):
    """A user is deleted while six of their refresh tokens are being
    refreshed at once: each refresh answers 200 or 401, never a 500."""
    with live.server.shell() as shell:
        for attempt in range(max(2, ATTEMPTS // 10)):
            name = f"doomed{attempt}"
            shell.run(
                "from django.contrib.auth import get_user_model; "
                f"get_user_model().objects.create_user({name!r}, password='gone soon')"
            )
            tokens = [live.refresh_token(name, "gone soon") for _ in range(6)]
            delete = threading.Thread(
                target=shell.run,
                args=(
                    "import random, time; time.sleep(random.uniform(0, 0.02)); "
                    "from django.contrib.auth import get_user_model; "
                    f"get_user_model().objects.filter(username={name!r}).delete()",
                ),
            )
            delete.start()
            answers = at_once(
                live.base_url, [(REFRESH, {"refresh": t}) for t in tokens]
            )
            delete.join()
            assert all(status in (200, 401) for status, _ in answers), answers
