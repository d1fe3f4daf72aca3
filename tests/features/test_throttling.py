"""Step 15 on: login, refresh and password change are throttled.

Real servers, with the throttles on (the other tests turn them off: they log
in hundreds of times from one address). Each test starts its own server, so
that no count carries over from one test to the next.
"""

import pytest

from harness.net import Client
from harness.project import Project
from harness.server import Server
from support import PROJECT, error_code, feature

pytestmark = feature("throttling")

WRONG = {"username": "user", "password": "wrong"}
RIGHT = {"username": "user", "password": "pass"}


def throttled_server(**env):
    server = Server(Project.at(PROJECT), {"TUTORIAL_THROTTLE": "", **env})
    server.start()
    server.api = Client(server.url)
    return server


@pytest.fixture
def start():
    started = []

    def start_one(**env):
        started.append(throttled_server(**env))
        return started[-1]

    yield start_one
    for server in started:
        server.stop()


def assert_throttled(answer):
    assert answer.status_code == 429, f"{answer.status_code} {answer.text}"
    assert error_code(answer) == "throttled"
    assert 1 <= int(answer.headers["Retry-After"]) <= 60


def test_the_sixth_login_in_a_minute_gets_429_with_retry_after(start):
    """5 logins a minute (THROTTLE_LOGIN's default): 5 wrong passwords get
    401, then even the right password gets 429, with Retry-After saying how
    many seconds to wait."""
    server = start()
    for _ in range(5):
        assert server.api.post("/api/token/", json=WRONG).status_code == 401
    assert_throttled(server.api.post("/api/token/", json=RIGHT))


def test_refresh_and_password_change_have_their_own_rates(start):
    """THROTTLE_REFRESH and THROTTLE_PASSWORD, from the environment: the 3rd
    refresh and the 3rd password change in a minute get 429; logging in
    is still allowed (another scope, another count)."""
    server = start(THROTTLE_REFRESH="2/minute", THROTTLE_PASSWORD="2/minute")
    tokens = server.api.post("/api/token/", json=RIGHT).json()
    refresh = tokens["refresh"]
    for _ in range(2):
        answer = server.api.post("/api/token/refresh/", json={"refresh": refresh})
        assert answer.status_code == 200, answer.text
        refresh = answer.json()["refresh"]
    assert_throttled(server.api.post("/api/token/refresh/", json={"refresh": refresh}))

    access = server.api.post("/api/token/", json=RIGHT).json()["access"]
    headers = {"Authorization": f"Bearer {access}"}
    guess = {"old_password": "guess", "new_password": "a much better passphrase"}
    for _ in range(2):
        answer = server.api.post("/api/password/", json=guess, headers=headers)
        assert answer.status_code == 400, answer.text
    assert_throttled(server.api.post("/api/password/", json=guess, headers=headers))


def test_a_made_up_forwarded_for_header_dodges_nothing(start):
    """With no proxy in front (NUM_PROXIES=0, the default), X-Forwarded-For
    is anyone's to write: a new made-up address on every try is still the
    same client. (DRF's default, NUM_PROXIES unset, counts each header
    value as a new client: 100 guesses a minute, not 5.)"""
    server = start()
    for n in range(5):
        forged = {"X-Forwarded-For": f"198.51.100.{n}"}
        answer = server.api.post("/api/token/", json=WRONG, headers=forged)
        assert answer.status_code == 401
    forged = {"X-Forwarded-For": "198.51.100.99"}
    assert_throttled(server.api.post("/api/token/", json=RIGHT, headers=forged))


def test_behind_a_proxy_each_client_has_its_own_count(start):
    """NUM_PROXIES=1: one proxy in front, which adds the address it saw to
    X-Forwarded-For. Client A, locked out after 5 tries, locks out no one
    else; and what A writes in the header before the proxy's address
    changes nothing."""
    server = start(NUM_PROXIES="1")

    def login(seen_by_proxy, body, forged=None):
        chain = ", ".join(filter(None, [forged, seen_by_proxy]))
        return server.api.post(
            "/api/token/", json=body, headers={"X-Forwarded-For": chain}
        )

    for _ in range(5):
        assert login("203.0.113.1", WRONG).status_code == 401
    assert_throttled(login("203.0.113.1", RIGHT))
    assert login("203.0.113.2", RIGHT).status_code == 200  # client B
    assert_throttled(login("203.0.113.1", RIGHT, forged="203.0.113.77"))
