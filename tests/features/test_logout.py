"""Step 10: logging out for real, with rotation, blacklist and reuse detection.

Refresh tokens are single-use: each refresh returns a new one and blacklists
the old. Access tokens cannot be recalled: they live out their 5 minutes.
"""

import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command

from harness.net import Client
from support import (
    PROJECT,
    SETTINGS,
    Api,
    assert_status,
    claims,
    copy_project,
    error_code,
    feature,
    start,
)

pytestmark = feature("logout")

T0 = datetime(2026, 1, 5, 9, 0, 0, tzinfo=UTC)


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


def test_the_access_token_outlives_logout_until_it_expires(api, user):
    """The honest limit: after logout the access token works until its exp."""
    with time_machine.travel(T0, tick=False) as clock:
        tokens = api.tokens()
        api.post("/api/token/blacklist/", {"refresh": tokens["refresh"]})
        assert_status(api.get("/api/protected/", token=tokens["access"]), 200)
        clock.move_to(T0 + timedelta(minutes=5, seconds=1))
        assert_status(api.get("/api/protected/", token=tokens["access"]), 401)


def test_reusing_a_rotated_out_token_revokes_the_newer_one(api, user):
    """Reuse detection: the old token gets 401, and kills its successor."""
    first = api.tokens()["refresh"]
    second = refresh(api, first).json()["refresh"]
    reused = refresh(api, first)
    assert_status(reused, 401)
    assert_status(refresh(api, second), 401)


def test_reuse_revokes_every_device(api, user):
    """A reused token logs the user out on every device, then login works."""
    laptop = api.tokens()["refresh"]
    phone = api.tokens()["refresh"]
    refresh(api, laptop)  # the laptop rotates; a thief replays the old one:
    assert_status(refresh(api, laptop), 401)
    assert_status(refresh(api, phone), 401)
    assert_status(api.login(), 200)


def test_log_out_of_all_devices(api, user):
    """POST /api/logout-all/ blacklists every refresh token of the user."""
    laptop, phone = api.tokens(), api.tokens()
    response = api.post("/api/logout-all/", token=laptop["access"])
    assert_status(response, 204)
    for device in (laptop, phone):
        assert_status(refresh(api, device["refresh"]), 401)
    assert_status(api.login(), 200)


def test_log_out_all_needs_a_login(api):
    """Anonymous POST /api/logout-all/ gets 401."""
    assert_status(api.post("/api/logout-all/"), 401)


def test_verify_answers_400_for_a_blacklisted_token(api, user):
    """The verify endpoint's quirk: a blacklisted refresh token gets 400
    (not 401), and only because BLACKLIST_AFTER_ROTATION is on."""
    token = api.tokens()["refresh"]
    api.post("/api/token/blacklist/", {"refresh": token})
    assert_status(api.post("/api/token/verify/", {"token": token}), 400)


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


@pytest.mark.parametrize("attempt", range(5))
def test_two_refreshes_at_once_yield_at_most_one_live_token(live_api, attempt):
    """Two requests with the same refresh token at the same instant, against
    a real threaded server and a file-backed database: never two live tokens,
    never a 500."""
    token = live_api.login().json()["refresh"]
    start = threading.Barrier(2)
    answers = []

    def race():
        start.wait()
        answers.append(live_api.refresh(token))

    threads = [threading.Thread(target=race) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in answers) in ([200, 401], [401, 401])
    new_tokens = [r.json()["refresh"] for r in answers if r.status_code == 200]
    alive = [t for t in new_tokens if live_api.refresh(t).status_code == 200]
    assert len(alive) <= 1


class LiveApi(Client):
    def login(self):
        return self.post("/api/token/", json={"username": "user", "password": "pass"})

    def refresh(self, token):
        return self.post("/api/token/refresh/", json={"refresh": token})


@pytest.fixture(scope="module")
def live_api():
    """The project's real server (threaded runserver, SQLite file)."""
    from harness.project import Project
    from harness.server import Server

    with Server(Project.at(PROJECT)) as server:
        yield LiveApi(server.url)


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
