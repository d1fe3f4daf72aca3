"""Step 14 on: the resource service's copy of the key set, when the auth
service misbehaves.

Here the "auth service" is a stand-in run by the test (a few lines of
http.server), so that it can answer anything: a broken key set, errors,
or nothing at all for seconds. The resource service is the real one, or,
where time must pass, its service/keyset.py alone, in this process, with a
clock the test moves. Every token gets 401 or 200, never a 500; a failing
auth service is asked once per RETRY_AFTER (2 s), not once per token; a
slow one delays no request that the copy can answer; and a copy older than
twice JWKS_CACHE_SECONDS is never used.
"""

import base64
import concurrent.futures
import functools
import importlib.util
import json
import os
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from harness.net import Client
from harness.server import ResourceServer
from support import PROJECT, feature, private_pem

pytestmark = feature("resource-service")


@functools.cache
def key(bits=2048) -> str:
    """The stand-in's signing key, made on first use (where these tests run)."""
    return private_pem(bits)


@functools.cache
def loaded(private: str):
    """The key, parsed once: cryptography checks a private key as it loads
    it, about 40 ms a time."""
    return serialization.load_pem_private_key(private.encode(), None)


def jwk_of(private: str, **members) -> dict:
    public = loaded(private).public_key()
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(public, as_dict=True)
    return {**jwk, "kid": "key-1", "use": "sig", "alg": "RS256", **members}


def key_set(*keys, **more) -> bytes:
    return json.dumps({"keys": list(keys), **more}).encode()


def good() -> tuple[int, bytes]:
    return 200, key_set(jwk_of(key()))


def token(kid="key-1") -> str:
    now = int(time.time())
    claims = {
        "token_type": "access",
        "exp": now + 300,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": 1,
        "iss": "notes-auth",
        "aud": "notes-api",
    }
    return jwt.encode(claims, loaded(key()), algorithm="RS256", headers={"kid": kid})


class StandIn:
    """An auth service that serves its key set as `answer` says: (status,
    body); ("raw", bytes), sent as they are, status line and headers
    included; ("trickle", body), one byte every TRICKLE_SECONDS; or "hang" (say
    nothing for 10 seconds). It counts the fetches."""

    def __init__(self):
        self.answer = good()
        self.fetches = 0
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stand_in.fetches += 1
                if stand_in.answer == "hang":
                    time.sleep(10)
                    return
                status, body = stand_in.answer
                if status == "raw":
                    self.wfile.write(body)
                    return
                if status == "trickle":
                    head = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body)
                    for byte in head + body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(TRICKLE_SECONDS)
                    return
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(
            target=self.server.serve_forever, args=(0.05,), daemon=True
        ).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stand_in():
    serving = StandIn()
    yield serving
    serving.close()


def resource(stand_in, **env):
    server = ResourceServer(PROJECT, stand_in.url, env)
    server.__enter__()
    server.api = Client(server.url)
    return server


@pytest.fixture
def start(stand_in):
    started = []

    def start_one(**env):
        started.append(resource(stand_in, **env))
        return started[-1]

    yield start_one
    for server in started:
        server.__exit__(None, None, None)


def whoami(server, raw_token):
    return server.api.get(
        "/api/whoami/", headers={"Authorization": f"Bearer {raw_token}"}
    )


# What a broken or hostile auth service could serve at /.well-known/jwks.json.
# The slow and the big key sets (TUTORIAL.md chapter 14 takes both numbers
# from here): a byte every so many seconds; padding, in bytes.
TRICKLE_SECONDS = 0.2
PADDING_BYTES = 70_000

BROKEN = {
    "an-html-page": lambda: (200, b"<html><body>Bad gateway</body></html>"),
    "an-empty-object": lambda: (200, b"{}"),
    "no-keys": lambda: (200, key_set()),
    "keys-not-a-list": lambda: (200, b'{"keys": {"kid": "key-1"}}'),
    "a-list": lambda: (200, b"[1, 2, 3]"),
    "a-key-without-n": lambda: (
        200,
        key_set({k: v for k, v in jwk_of(key()).items() if k != "n"}),
    ),
    "an-hmac-key": lambda: (
        200,
        key_set({"kty": "oct", "kid": "key-1", "k": "c2VjcmV0", "alg": "HS256"}),
    ),
    "a-1024-bit-key": lambda: (200, key_set(jwk_of(key(1024)))),
    "a-kid-that-is-a-number": lambda: (200, key_set(jwk_of(key(), kid=1))),
    "an-error-500": lambda: (500, key_set(jwk_of(key()))),
    "too-big": lambda: (200, key_set(jwk_of(key()), padding="x" * PADDING_BYTES)),
    "json-nested-60000-deep": lambda: (200, b"[" * 60_000),
    "a-private-key": lambda: (200, key_set({**jwk_of(key()), "d": "AQAB"})),
    "public-exponent-3": lambda: (200, key_set(jwk_of(key(), e="Aw"))),
    "a-9000-bit-modulus": lambda: (200, key_set(jwk_of(key(), n=b64url(2**9000 + 1)))),
    "a-garbage-status-line": lambda: ("raw", b"HTTP/1.1 OK\r\n\r\n"),
    "a-truncated-chunked-body": lambda: (
        "raw",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfff\r\n{",
    ),
    "no-answer-at-all": lambda: ("raw", b""),
}


def b64url(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def keyset_module():
    """The resource service's service/keyset.py, which needs no Django: its
    rules can be tried here, in this process, against the stand-in."""
    path = PROJECT / "resource_service" / "service" / "keyset.py"
    spec = importlib.util.spec_from_file_location("resource_keyset", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", BROKEN)
def test_a_broken_key_set_is_a_failed_fetch(stand_in, name):
    """Whatever is served as the key set, it gives no key and raises
    nothing: the token it was fetched for is refused (401). The good key
    set, served the same way, gives the key."""
    keys = keyset_module().KeySet(stand_in.url + "/jwks.json", 300, 30)
    stand_in.answer = BROKEN[name]()
    assert keys.key("key-1") is None
    assert keys.failed_at is not None and keys.keys == {}
    stand_in.answer = good()
    assert keyset_module().KeySet(stand_in.url, 300, 30).key("key-1") is not None


@pytest.mark.parametrize("name", ["an-html-page", "an-hmac-key", "no-keys"])
def test_a_broken_key_set_gets_401_never_500(stand_in, start, name):
    """The same, through the real resource service: 401, not a 500."""
    stand_in.answer = BROKEN[name]()
    answer = whoami(start(), token())
    assert answer.status_code == 401, f"{answer.status_code} {answer.text[:200]}"
    assert answer.json()["code"] == "token_not_valid"


def test_a_failing_auth_service_is_asked_once_per_retry_not_per_token(stand_in, start):
    """100 tokens in a row while the key set answers 503: all refused, and
    the auth service is asked once, not 100 times."""
    stand_in.answer = (503, b'{"detail": "down"}')
    server = start()
    started = time.monotonic()
    for _ in range(100):
        assert whoami(server, token()).status_code == 401
    elapsed = time.monotonic() - started
    # One fetch per 2 seconds at most (and the first one).
    assert stand_in.fetches <= 1 + int(elapsed / 2), (stand_in.fetches, elapsed)


def test_a_slow_auth_service_delays_only_the_request_that_fetches(stand_in, start):
    """The copy (kept 1 s here) has expired, and the auth service now hangs:
    of 8 requests at once, at most one waits (for TIMEOUT, 2 s, after which
    the copy is too old for it); the others are answered from the old copy
    at once. simplejwt's own client makes all of them wait behind the
    fetch, for longer than a client waits."""
    server = start(JWKS_CACHE_SECONDS="1")
    assert whoami(server, token()).status_code == 200  # fetched
    stand_in.answer = "hang"
    time.sleep(1.1)  # the copy is stale, not yet too old (2 s)

    def timed(_):
        began = time.monotonic()
        status = whoami(server, token()).status_code
        return status, time.monotonic() - began

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        results = list(pool.map(timed, range(8)))
    quick = [status for status, took in results if took < 0.8]
    assert len(quick) >= 7 and set(quick) == {200}, results


class Clock:
    """time.monotonic() for service/keyset.py, moved by hand: hours pass
    in no time."""

    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


def test_an_old_copy_is_used_while_the_auth_service_fails_never_longer(stand_in):
    """A copy kept 300 s, then a failing auth service: the copy is used
    until it is 600 s old (twice JWKS_CACHE_SECONDS), never longer; the
    auth service is asked once per 2 s (RETRY_AFTER) meanwhile; a working
    key set is picked up at the next try."""
    module, clock = keyset_module(), Clock()
    module.time = clock  # the module's only use of time is time.monotonic()
    keys = module.KeySet(stand_in.url, fresh_for=300, refetch_after=30)
    fetched = clock.now
    assert keys.key("key-1") is not None and stand_in.fetches == 1
    stand_in.answer = (503, b"")
    clock.now = fetched + 300  # expired: fetch again, fail, use the old copy
    assert keys.key("key-1") is not None and stand_in.fetches == 2
    clock.now += 1.9  # no new try yet
    assert keys.key("key-1") is not None and stand_in.fetches == 2
    clock.now += 0.1
    assert keys.key("key-1") is not None and stand_in.fetches == 3
    clock.now = fetched + 599.9
    assert keys.key("key-1") is not None  # still trusted, just
    clock.now = fetched + 600
    assert keys.key("key-1") is None  # too old: every token refused
    stand_in.answer = good()
    clock.now += 2  # RETRY_AFTER since the last failed try
    assert keys.key("key-1") is not None
    assert keys.age() == 0  # a new copy


def test_a_trickling_answer_is_cut_at_the_deadline(stand_in):
    """A key set sent one byte every TRICKLE_SECONDS (a whole answer would take
    minutes): the fetch gives up after TIMEOUT (2 s) in all, not per byte,
    and the token is refused."""
    keys = keyset_module().KeySet(stand_in.url, 300, 30)
    stand_in.answer = ("trickle", good()[1])
    started = time.monotonic()
    assert keys.key("key-1") is None
    assert time.monotonic() - started < 3
    assert not keys.fetching.locked()


def test_no_proxy_is_asked_for_the_key_set(stand_in, monkeypatch):
    """http_proxy in the environment (urllib would send the fetch through
    it, in the clear, to whoever runs it): the key set still comes from the
    URL in the settings, and the proxy hears nothing."""
    proxy = socket.socket()
    proxy.bind(("127.0.0.1", 0))
    proxy.listen()
    with proxy:
        address = f"http://127.0.0.1:{proxy.getsockname()[1]}"
        for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
            monkeypatch.setenv(name, address)
        monkeypatch.delenv("no_proxy", raising=False)
        monkeypatch.delenv("NO_PROXY", raising=False)
        keys = keyset_module().KeySet(stand_in.url, 300, 30)
        assert keys.key("key-1") is not None
        proxy.setblocking(False)
        with pytest.raises(BlockingIOError):
            proxy.accept()  # nobody connected
    assert os.environ["http_proxy"] == address  # it was set, all along
