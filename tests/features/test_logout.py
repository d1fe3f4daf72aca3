"""Step 10: logging out for real, with rotation, blacklist and reuse detection.

Each login starts a session (a token family). Refresh tokens are single-use:
each refresh returns a new one and blacklists the old. Logging out, logging
out everywhere and a replayed token each end sessions, and every refresh
checks that its session is still going.
"""

import random
import re
import time
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command

from support import (
    ATTEMPTS,
    BOGUS_SIDS,
    SETTINGS,
    Api,
    assert_status,
    at_once,
    claims,
    copy_project,
    error_code,
    feature,
    resign,
    start,
)

pytestmark = feature("logout")

T0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)
GRACE = timedelta(seconds=2)  # the project's JWT_REFRESH_GRACE
REFRESH, LOGOUT = "/api/token/refresh/", "/api/token/blacklist/"


def refresh(api, token):
    return api.post("/api/token/refresh/", {"refresh": token})


def test_each_refresh_rotates_the_refresh_token(api, user):
    """A refresh answers a new access AND a new refresh token."""
    old = api.tokens()["refresh"]
    response = refresh(api, old)
    assert_status(response, 200)
    assert set(response.json()) == {"access", "refresh"}
    assert response.json()["refresh"] != old


def test_after_logout_the_refresh_token_is_refused(api, user):
    """Logout (POST /api/token/blacklist/), then refresh: 401."""
    token = api.tokens()["refresh"]
    assert_status(api.post("/api/token/blacklist/", {"refresh": token}), 200)
    response = refresh(api, token)
    assert_status(response, 401)
    assert error_code(response) == "token_not_valid"


def test_logging_out_twice_is_refused(api, user):
    """A refresh token can be logged out once: the second time gets 401."""
    token = api.tokens()["refresh"]
    api.post("/api/token/blacklist/", {"refresh": token})
    assert_status(api.post("/api/token/blacklist/", {"refresh": token}), 401)


@feature("stateless-access")
def test_the_access_token_outlives_logout_until_it_expires(api, user):
    """The honest limit: after logout the access token works until its exp."""
    with time_machine.travel(T0, tick=False) as clock:
        tokens = api.tokens()
        api.post("/api/token/blacklist/", {"refresh": tokens["refresh"]})
        assert_status(api.get("/api/protected/", token=tokens["access"]), 200)
        clock.move_to(T0 + timedelta(minutes=5, seconds=1))
        assert_status(api.get("/api/protected/", token=tokens["access"]), 401)


def rotate_then_replay(api, clock, after):
    """Log in (R1), refresh (R1 -> R2), and `after` later send R1 again.
    Returns (the replay's answer, R2)."""
    first = api.tokens()["refresh"]
    second = refresh(api, first).json()["refresh"]
    clock.shift(after)
    return refresh(api, first), second


def test_reuse_ends_the_session_of_the_reused_token(api, user):
    """Reuse detection: a rotated-out token that comes back (after the grace
    window) gets 401, and its successor dies with its session."""
    with time_machine.travel(T0, tick=False) as clock:
        replay, second = rotate_then_replay(api, clock, after=GRACE)
        assert_status(replay, 401)
        assert error_code(replay) == "token_not_valid"
        assert_status(refresh(api, second), 401)
        assert_status(api.login(), 200)  # logging in starts a new session


def test_a_replay_within_the_grace_window_ends_nothing(api, user):
    """A token used up less than JWT_REFRESH_GRACE ago (another tab of the
    same client) is refused, and the session goes on."""
    with time_machine.travel(T0, tick=False) as clock:
        almost = GRACE - timedelta(milliseconds=100)
        replay, second = rotate_then_replay(api, clock, after=almost)
        assert_status(replay, 401)
        assert_status(refresh(api, second), 200)


def test_reuse_ends_one_session_not_every_device(api, user):
    """The laptop's old token comes back: the laptop's session ends, the
    phone's goes on."""
    with time_machine.travel(T0, tick=False) as clock:
        laptop, phone = api.tokens()["refresh"], api.tokens()["refresh"]
        refresh(api, laptop)  # the laptop rotates; later, its old token is replayed:
        clock.move_to(T0 + GRACE)
        assert_status(refresh(api, laptop), 401)
        assert_status(refresh(api, phone), 200)


def test_a_logged_out_token_is_no_button_to_log_out_others(api, user):
    """Whoever finds a logged-out device's token can replay it as often as
    they like: it is refused, and the user's other sessions go on."""
    with time_machine.travel(T0, tick=False) as clock:
        lost, kept = api.tokens()["refresh"], api.tokens()["refresh"]
        api.post("/api/token/blacklist/", {"refresh": lost})
        clock.move_to(T0 + GRACE)
        for _ in range(3):
            assert_status(refresh(api, lost), 401)
        assert_status(refresh(api, kept), 200)


def test_log_out_of_all_devices(api, user):
    """POST /api/logout-all/ ends every session of the user at once."""
    laptop, phone = api.tokens(), api.tokens()
    response = api.post("/api/logout-all/", token=laptop["access"])
    assert_status(response, 204)
    for device in (laptop, phone):
        assert_status(refresh(api, device["refresh"]), 401)
    assert_status(api.login(), 200)


def test_log_out_all_needs_a_login(api):
    """Anonymous POST /api/logout-all/ gets 401."""
    assert_status(api.post("/api/logout-all/"), 401)


def test_refresh_tokens_without_a_session_are_refused(api, user):
    """The database copy of a login token (simplejwt records it before the
    login adds its claims) and a bare RefreshToken.for_user() token belong
    to no session: refresh refuses both, and the real login token lives."""
    from rest_framework_simplejwt.tokens import RefreshToken

    login = api.tokens()["refresh"]
    outstanding = apps.get_model("token_blacklist", "OutstandingToken")
    database_copy = outstanding.objects.get(jti=claims(login)["jti"]).token
    assert "sid" not in claims(database_copy)
    for token in (database_copy, str(RefreshToken.for_user(user))):
        response = refresh(api, token)
        assert_status(response, 401)
        assert error_code(response) == "token_not_valid"
    assert_status(refresh(api, login), 200)


@pytest.mark.parametrize("sid", BOGUS_SIDS, ids=repr)
def test_a_signed_token_with_a_bogus_session_id_gets_401(api, user, sid):
    """A `sid` that is no session id (signed with the real key: a holder of
    the key could do it) is refused with 401 by refresh and verify."""
    token = resign(api.tokens()["refresh"], sid=sid)
    for path, body in (
        (REFRESH, {"refresh": token}),
        ("/api/token/verify/", {"token": token}),
    ):
        response = api.post(path, body)
        assert_status(response, 401)
        assert error_code(response) == "token_not_valid"


def test_verify_answers_400_for_a_blacklisted_token(api, user):
    """The verify endpoint's quirk: a used-up (blacklisted) refresh token gets
    400, not 401, and only because BLACKLIST_AFTER_ROTATION is on."""
    token = api.tokens()["refresh"]
    refresh(api, token)
    assert_status(api.post("/api/token/verify/", {"token": token}), 400)


def test_verify_refuses_the_tokens_of_an_ended_session(api, user):
    """After a logout, verify refuses the session's refresh token and its
    access token: 401 token_not_valid."""
    tokens = api.tokens()
    assert_status(
        api.post("/api/token/blacklist/", {"refresh": tokens["refresh"]}), 200
    )
    for token in tokens.values():
        response = api.post("/api/token/verify/", {"token": token})
        assert_status(response, 401)
        assert error_code(response) == "token_not_valid"


def test_flushexpiredtokens_removes_expired_rows(api, user):
    """`manage.py flushexpiredtokens` deletes what expired, keeps the rest."""
    outstanding = apps.get_model("token_blacklist", "OutstandingToken")
    with time_machine.travel(T0, tick=False) as clock:
        api.tokens()
        clock.move_to(T0 + timedelta(hours=12))
        api.tokens()
        assert outstanding.objects.count() == 2
        clock.move_to(T0 + timedelta(days=1, seconds=1))
        call_command("flushexpiredtokens")
        assert outstanding.objects.count() == 1


def rotated_pairs(live, count):
    """`count` sessions, each rotated once, longer ago than the grace
    window: [(R1, R2), ...], where R1 is used up and R2 is live."""
    pairs = []
    for _ in range(count):
        first = live.refresh_token()
        pairs.append((first, live.refresh(first).json()["refresh"]))
    time.sleep(GRACE.total_seconds())
    return pairs


def alive(live, answers):
    """The refresh tokens in these answers that the server still accepts."""
    issued = [body["refresh"] for status, body in answers if status == 200]
    return [token for token in issued if live.refresh(token).status_code == 200]


@pytest.mark.race
def test_a_replay_racing_a_refresh_leaves_no_live_token(live):
    """The thief's race: R1 (used up) is replayed while R2 is refreshed.
    Half the attempts send both within half a millisecond, in either order;
    the other half land the replay at a random moment of R2's refresh (up to
    25 ms in). Whatever the interleaving, the replay ends the session, and
    no token of it survives."""
    survivors, issued = [], 0
    for attempt, (first, second) in enumerate(rotated_pairs(live, ATTEMPTS)):
        late = random.uniform(0, 0.025) if attempt % 2 else None  # None: 0-0.5 ms
        posts = [(REFRESH, {"refresh": first}), (REFRESH, {"refresh": second})]
        answers = at_once(live.base_url, posts, delays=late and [late, 0])
        assert all(status in (200, 401) for status, _ in answers), answers
        assert answers[0][0] == 401, "the used-up token was accepted"
        issued += answers[1][0] == 200
        survivors += alive(live, answers)
    assert survivors == [], (
        f"{len(survivors)} of {ATTEMPTS} sessions outlived the replay "
        f"({issued} refreshes got a new token before the session ended)"
    )


@pytest.mark.race
@pytest.mark.parametrize("tabs", [2, 8])
def test_tabs_refreshing_at_once_keep_the_user_logged_in(live, tabs):
    """`tabs` requests refresh the same token at once: exactly one gets a
    new token, the rest 401, never a 500, and the winner's token lives on
    (within the grace window, the losers raise no alarm)."""
    for _ in range(max(1, ATTEMPTS // tabs)):
        token = live.refresh_token()
        answers = at_once(live.base_url, [(REFRESH, {"refresh": token})] * tabs)
        statuses = sorted(status for status, _ in answers)
        assert statuses == [200] + [401] * (tabs - 1), answers
        assert len(alive(live, answers)) == 1, "the winner was logged out"


@pytest.mark.race
def test_a_logout_racing_a_refresh_leaves_no_live_token(live):
    """Logging out at the moment the same token is refreshed: the session
    ends either way, so the refresh's new token (if it got one) is dead."""
    for _ in range(ATTEMPTS):
        token = live.refresh_token()
        answers = at_once(
            live.base_url, [(LOGOUT, {"refresh": token}), (REFRESH, {"refresh": token})]
        )
        assert all(status in (200, 401) for status, _ in answers), answers
        assert alive(live, answers[1:]) == []


def test_start_up_refuses_rotation_without_the_blacklist_app(tmp_path):
    """Step 09's mistake cannot come back: with BLACKLIST_AFTER_ROTATION on
    and the token_blacklist app removed, start-up fails and says why."""
    copy = tmp_path / "project"
    copy_project(copy)
    settings_file = copy / (SETTINGS.replace(".", "/") + ".py")
    app_line = re.compile(
        r"^\s*[\"']rest_framework_simplejwt\.token_blacklist[\"'],?\s*\n", re.M
    )
    text, removed = app_line.subn("", settings_file.read_text())
    assert removed == 1, "expected the app on a line of its own in INSTALLED_APPS"
    settings_file.write_text(text)
    done = start(copy, setup=True)
    assert done.returncode != 0, "start-up went on without the blacklist app"
    assert "BLACKLIST_AFTER_ROTATION" in done.stderr, (
        "the error should name the setting"
    )


def test_the_admin_shows_no_refresh_token(client, django_user_model):
    """The admin lists and shows issued refresh tokens by jti, user and
    dates, never the token itself: whoever could read it would hold that
    session."""
    from django.apps import apps

    django_user_model.objects.create_user("user", password="pass")
    token = Api(client).tokens()["refresh"]
    admin = django_user_model.objects.create_superuser("root", password="x" * 20)
    client.force_login(admin)
    outstanding = apps.get_model("token_blacklist", "OutstandingToken")
    row = outstanding.objects.get(jti=claims(token)["jti"])
    base = "/admin/token_blacklist/outstandingtoken/"
    for path in (base, f"{base}{row.pk}/change/"):
        response = client.get(path)
        assert_status(response, 200)
        page = response.content.decode()
        assert row.jti in page, f"{path} should name the token's jti"
        for part in token.split("."):
            assert part not in page, f"{path} shows the refresh token"
