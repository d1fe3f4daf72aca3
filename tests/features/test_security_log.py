"""Step 15 on: the log says what was refused, and gives away no secret.

A hostile run against a real server (throttles on): wrong passwords, a
broken token, a forged one, a replayed refresh token, a throttled login.
Then its whole log (runserver's, with the "security" logger's lines in it)
is searched: every refusal is there with its code, client and who; no
token, no password that was sent, appears anywhere in it.
"""

import time
import uuid

import pytest

from harness.net import Client
from harness.project import Project
from harness.server import Server
from support import PROJECT, feature, forge

pytestmark = feature("logs-without-secrets")


@pytest.fixture(scope="module")
def hostile_run():
    """The run, and what it sent: (the server's log, the secrets used)."""
    env = {"TUTORIAL_THROTTLE": "", "THROTTLE_LOGIN": "4/minute"}
    with Server(Project.at(PROJECT), env) as server:
        api = Client(server.url)
        wrong = f"not-the-password-{uuid.uuid4().hex}"
        secrets = [wrong, "wonderland"]  # alice's real password, and a guess
        login = {"username": "alice", "password": "wonderland"}
        bad = api.post("/api/token/", json={"username": "alice", "password": wrong})
        assert bad.status_code == 401
        tokens = api.post("/api/token/", json=login).json()
        secrets += [tokens["access"], tokens["refresh"]]
        forged = forge("a-guessed-key-" + "x" * 32, 1)
        secrets.append(forged)
        for token in (forged, "not.a.token"):
            headers = {"Authorization": f"Bearer {token}"}
            assert api.get("/api/protected/", headers=headers).status_code == 401
        rotated = api.post("/api/token/refresh/", json={"refresh": tokens["refresh"]})
        secrets.append(rotated.json()["refresh"])
        time.sleep(2.1)  # past JWT_REFRESH_GRACE: a replay, not a second tab
        replay = api.post("/api/token/refresh/", json={"refresh": tokens["refresh"]})
        assert replay.status_code == 401
        throttled = [api.post("/api/token/", json=login).status_code for _ in range(3)]
        assert throttled[-1] == 429, throttled
        time.sleep(0.2)  # the last lines reach the log
        yield server.log(), secrets


def test_every_refusal_is_logged_with_its_code_client_and_who(hostile_run):
    """The failed login names its username, the refused tokens their code,
    the replay its alarm, the throttled login its 429."""
    log, _ = hostile_run
    lines = [line for line in log.splitlines() if " security: " in line]
    assert any(
        "401 POST /api/token/: no_active_account, client 127.0.0.1, "
        "username 'alice'" in line
        for line in lines
    ), lines
    assert any(
        "/api/protected/: token_not_valid, client 127.0.0.1" in line for line in lines
    )
    assert any("refresh token reused: session" in line for line in lines), lines
    assert any("429 POST /api/token/: throttled" in line for line in lines), lines


def test_no_token_or_password_is_in_the_log(hostile_run):
    """Not one of the tokens (real, forged, rotated) or passwords sent, nor
    a piece of a token: its signature, the part only its holder has."""
    log, secrets = hostile_run
    for secret in secrets:
        assert secret not in log
        if secret.count(".") == 2:
            assert secret.rsplit(".", 1)[1] not in log
