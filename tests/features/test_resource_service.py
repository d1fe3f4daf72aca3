"""Step 14 on: the resource service checks the auth service's tokens alone.

Both services run for real (runserver, free ports): the auth service with a
private key that this test made (so the test can sign what only the key's
holder could), and beside it the resource service, which knows nothing but
the auth service's URL. Every forged, confused or foreign token gets 401
from both, never a 500, and nothing a token points at is ever fetched.
"""

import base64
import functools
import hashlib
import hmac
import json
import select
import socket
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from harness.net import Client
from harness.project import Project
from harness.server import ResourceServer, Server
from support import (
    PROJECT,
    claims,
    copy_project,
    feature,
    private_pem,
    run_resource_service,
    settings_outcomes,
)

pytestmark = feature("resource-service")


@functools.cache
def key(name: str) -> str:
    """A private key, made on first use (only where these tests run). The
    auth service signs with "ours" and also publishes "other" (as the next
    key of a rotation would be), so that a kid naming another of its keys
    can be tried; "attackers" is a key of the attacker's own."""
    return private_pem()


def public_pem(private: str) -> str:
    key = serialization.load_pem_private_key(private.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )


def public_jwk(private: str) -> dict:
    public = serialization.load_pem_public_key(public_pem(private).encode())
    return jwt.algorithms.RSAAlgorithm.to_jwk(public, as_dict=True)


def thumbprint(private: str) -> str:
    """RFC 7638: the SHA-256 of the key's required members, in order."""
    jwk = public_jwk(private)
    canonical = json.dumps(
        {k: jwk[k] for k in ("e", "kty", "n")}, separators=(",", ":")
    )
    return b64(hashlib.sha256(canonical.encode()).digest())


def b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


RS256 = jwt.algorithms.RSAAlgorithm(jwt.algorithms.RSAAlgorithm.SHA256)


@functools.cache
def prepared(private: str):
    """The key, parsed once: cryptography checks a private key as it loads
    it, about 40 ms a time."""
    return RS256.prepare_key(private)


def sign(private: str, payload: dict, **header) -> str:
    """RS256-signed by hand, so that the header can hold anything at all."""
    signing_input = f"{b64({'alg': 'RS256', 'typ': 'JWT', **header})}.{b64(payload)}"
    signature = RS256.sign(signing_input.encode(), prepared(private))
    return f"{signing_input}.{b64(signature)}"


def hs256(secret: bytes, payload: dict, **header) -> str:
    """HMAC-signed by hand: an attacker's code has none of PyJWT's checks
    (PyJWT refuses a PEM key as an HMAC secret)."""
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT', **header})}.{b64(payload)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def unsigned(payload: dict, alg: str, **header) -> str:
    return f"{b64({'alg': alg, 'typ': 'JWT', **header})}.{b64(payload)}."


@pytest.fixture(scope="module")
def auth():
    env = {
        "JWT_PRIVATE_KEY": key("ours"),
        "JWT_EXTRA_PUBLIC_KEYS": public_pem(key("other")),
    }
    with Server(Project.at(PROJECT), env) as server:
        server.api = Client(server.url)
        yield server


@pytest.fixture(scope="module")
def resource(auth):
    with ResourceServer(PROJECT, auth.url) as server:
        server.api = Client(server.url)
        yield server


def login(auth, username="user", password="pass") -> dict:
    answer = auth.api.post(
        "/api/token/", json={"username": username, "password": password}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def whoami(resource, token):
    return resource.api.get(
        "/api/whoami/", headers={"Authorization": f"Bearer {token}"}
    )


def test_the_resource_service_accepts_the_auth_services_token(auth, resource):
    """Log in at the auth service, show the access token to the resource
    service: 200, and it knows who you are from the token alone."""
    answer = whoami(resource, login(auth)["access"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["username"] == "user" and body["is_staff"] is False
    assert body["user_id"] == claims(login(auth)["access"])["user_id"]
    assert body["kid"] == thumbprint(key("ours"))


def test_tokens_name_their_key_issuer_and_audience(auth):
    """Access and refresh tokens alike: RS256, our key's id, our issuer and
    the audience the resource service insists on."""
    for token in login(auth).values():
        header, payload = jwt.get_unverified_header(token), claims(token)
        assert header["alg"] == "RS256"
        assert header["kid"] == thumbprint(key("ours"))
        assert payload["iss"] == "notes-auth" and payload["aud"] == "notes-api"


def test_the_key_set_publishes_public_keys_only(auth):
    """/.well-known/jwks.json: our key and the extra one, public members
    only; nothing of the private keys (not even their numbers) is in it."""
    answer = auth.api.get("/.well-known/jwks.json")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    published = answer.json()["keys"]
    assert [jwk["kid"] for jwk in published] == [
        thumbprint(key("ours")),
        thumbprint(key("other")),
    ]
    for jwk in published:
        assert set(jwk) == {"kty", "n", "e", "kid", "use", "alg"}, jwk
        assert jwk["kty"] == "RSA" and jwk["use"] == "sig" and jwk["alg"] == "RS256"
    for private in (key("ours"), key("other")):
        full = jwt.algorithms.RSAAlgorithm.to_jwk(
            serialization.load_pem_private_key(private.encode(), password=None),
            as_dict=True,
        )
        for member in ("d", "p", "q", "dp", "dq", "qi"):
            assert full[member] not in answer.text, f"private member {member} leaked"
    assert "PRIVATE" not in answer.text
    assert auth.api.post("/.well-known/jwks.json").status_code in (403, 405)


def test_the_published_key_checks_a_real_token(auth):
    """What another service does: verify with the key named by the kid."""
    published = auth.api.get("/.well-known/jwks.json").json()["keys"]
    token = login(auth)["access"]
    kid = jwt.get_unverified_header(token)["kid"]
    key = jwt.PyJWK(next(k for k in published if k["kid"] == kid)).key
    payload = jwt.decode(
        token, key, algorithms=["RS256"], audience="notes-api", issuer="notes-auth"
    )
    assert payload["token_type"] == "access"


def genuine(auth) -> dict:
    """A real access token's claims and header: the attacks start from it."""
    token = login(auth)["access"]
    return {"claims": claims(token), "kid": jwt.get_unverified_header(token)["kid"]}


def shifted(payload, **changes):
    return {k: v for k, v in {**payload, **changes}.items() if v is not None}


# Each attack: (genuine claims, our kid, the other published kid) -> a token.
ATTACKS = {
    # Algorithm confusion: HS256, keyed with what every verifier can read.
    "hs256-keyed-with-the-public-pem": lambda c, kid, _: hs256(
        public_pem(key("ours")).encode(), c, kid=kid
    ),
    "hs256-keyed-with-the-public-jwk": lambda c, kid, _: hs256(
        json.dumps(public_jwk(key("ours"))).encode(), c, kid=kid
    ),
    "hs256-keyed-with-the-modulus": lambda c, kid, _: hs256(
        public_jwk(key("ours"))["n"].encode(), c, kid=kid
    ),
    "alg-none": lambda c, kid, _: unsigned(c, "none", kid=kid),
    "alg-None": lambda c, kid, _: unsigned(c, "None", kid=kid),
    "alg-NONE": lambda c, kid, _: unsigned(c, "NONE", kid=kid),
    "alg-nOnE": lambda c, kid, _: unsigned(c, "nOnE", kid=kid),
    "unknown-kid": lambda c, kid, _: sign(key("attackers"), c, kid="attacker-key-1"),
    "no-kid": lambda c, kid, _: sign(key("ours"), c),
    "kid-is-a-list": lambda c, kid, _: sign(key("ours"), c, kid=[kid]),
    "kid-path-traversal": lambda c, kid, _: sign(
        key("ours"), c, kid="../../../dev/null"
    ),
    "kid-names-our-other-key": lambda c, kid, other: sign(key("ours"), c, kid=other),
    "attackers-key-with-our-kid": lambda c, kid, _: sign(key("attackers"), c, kid=kid),
    "wrong-audience": lambda c, kid, _: sign(
        key("ours"), shifted(c, aud="billing"), kid=kid
    ),
    "wrong-issuer": lambda c, kid, _: sign(
        key("ours"), shifted(c, iss="evil-auth"), kid=kid
    ),
    "no-audience": lambda c, kid, _: sign(key("ours"), shifted(c, aud=None), kid=kid),
    "no-issuer": lambda c, kid, _: sign(key("ours"), shifted(c, iss=None), kid=kid),
    "expired": lambda c, kid, _: sign(
        key("ours"), shifted(c, exp=int(time.time()) - 60), kid=kid
    ),
    "a-refresh-token": lambda c, kid, _: sign(
        key("ours"), shifted(c, token_type="refresh"), kid=kid
    ),
    "no-user-id": lambda c, kid, _: sign(
        key("ours"), shifted(c, user_id=None), kid=kid
    ),
    # Signed with our own key, with times no clock can hold: only a holder
    # of the key could make these, and still the answer is 401, not a 500.
    "exp-1e20": lambda c, kid, _: sign(key("ours"), shifted(c, exp=1e20), kid=kid),
    "exp-in-the-year-10000": lambda c, kid, _: sign(
        key("ours"), shifted(c, exp=253402300800), kid=kid
    ),
    "exp-a-string": lambda c, kid, _: sign(
        key("ours"), shifted(c, exp=str(c["exp"])), kid=kid
    ),
    "iat-a-string": lambda c, kid, _: sign(
        key("ours"), shifted(c, iat=str(c["iat"])), kid=kid
    ),
    "exp-true": lambda c, kid, _: sign(key("ours"), shifted(c, exp=True), kid=kid),
    "user-id-a-list": lambda c, kid, _: sign(
        key("ours"), shifted(c, user_id=[1]), kid=kid
    ),
    "user-id-not-digits": lambda c, kid, _: sign(
        key("ours"), shifted(c, user_id="abc"), kid=kid
    ),
    "user-id-nan": lambda c, kid, _: sign(
        key("ours"), shifted(c, user_id=float("nan")), kid=kid
    ),
    "username-infinity": lambda c, kid, _: sign(
        key("ours"), shifted(c, username=float("inf")), kid=kid
    ),
    "no-jti": lambda c, kid, _: sign(key("ours"), shifted(c, jti=None), kid=kid),
}


@pytest.fixture(scope="module")
def other_kid():
    return thumbprint(key("other"))


@pytest.mark.parametrize("name", ATTACKS)
def test_a_forged_or_foreign_token_gets_401_from_both(auth, resource, other_kid, name):
    """Every attack gets 401 at the resource service, and at the auth
    service too: never a 200, never a 500."""
    real = genuine(auth)
    token = ATTACKS[name](real["claims"], real["kid"], other_kid)
    answer = whoami(resource, token)
    assert answer.status_code == 401, f"resource: {answer.status_code} {answer.text}"
    mine = auth.api.get("/api/protected/", headers={"Authorization": f"Bearer {token}"})
    assert mine.status_code == 401, f"auth: {mine.status_code} {mine.text}"


# Refresh tokens signed with our own key, with claims that our refresh code
# reads (the session's start, the token's id, the user): 401, not a 500.
ODD_REFRESH_CLAIMS = {
    "no-jti": lambda p: shifted(p, jti=None),
    "auth-time-a-string": lambda p: {**p, "auth_time": "x"},
    "auth-time-null": lambda p: {**p, "auth_time": None},
    "user-id-a-dict": lambda p: {**p, "user_id": {"id": 1}},
}


@pytest.mark.parametrize("name", ODD_REFRESH_CLAIMS)
def test_a_refresh_token_with_odd_claims_gets_401(auth, name):
    """What only a holder of our key could sign, sent to the refresh
    endpoint, which reads more claims than any other: 401."""
    refresh = login(auth)["refresh"]
    payload = ODD_REFRESH_CLAIMS[name](claims(refresh))
    token = sign(key("ours"), payload, kid=kid_of(refresh))
    answer = auth.api.post("/api/token/refresh/", json={"refresh": token})
    assert answer.status_code == 401, f"{answer.status_code} {answer.text[:300]}"


class Listener:
    """A port that records whether anything connects to it: where a token's
    header says to fetch a key from."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def was_contacted(self) -> bool:
        readable, _, _ = select.select([self.sock], [], [], 0.2)
        return bool(readable)


@pytest.fixture
def listener():
    listening = Listener()
    with listening.sock:
        yield listening


@pytest.mark.parametrize("where", ["jku", "x5u", "jwk"])
def test_a_key_the_token_brings_along_is_never_used_or_fetched(
    auth, resource, listener, where
):
    """A token signed by the attacker that carries its own key (jwk), or
    says where to get it (jku, x5u): 401, and nothing is fetched from there."""
    real = genuine(auth)
    bring = {
        "jku": {"jku": f"{listener.url}/jwks.json", "kid": "attacker-key-1"},
        "x5u": {"x5u": f"{listener.url}/cert.pem", "kid": "attacker-key-1"},
        "jwk": {
            "jwk": public_jwk(key("attackers")),
            "kid": thumbprint(key("attackers")),
        },
    }[where]
    token = sign(key("attackers"), real["claims"], **bring)
    assert whoami(resource, token).status_code == 401
    headers = {"Authorization": f"Bearer {token}"}
    assert auth.api.get("/api/protected/", headers=headers).status_code == 401
    assert not listener.was_contacted(), f"a server fetched what {where} points at"


def jwks_fetches(auth) -> int:
    return auth.log().count("GET /.well-known/jwks.json")


def test_unknown_kids_cost_at_most_one_fetch_of_the_key_set(auth, resource):
    """A stream of tokens naming keys nobody has: each gets 401, and the
    resource service asks the auth service again at most once in
    JWKS_REFETCH_SECONDS (30), not once per token."""
    whoami(resource, login(auth)["access"])  # the key set is fetched by now
    before = jwks_fetches(auth)
    real = genuine(auth)
    for _ in range(20):
        token = sign(key("attackers"), real["claims"], kid=uuid.uuid4().hex)
        assert whoami(resource, token).status_code == 401
    assert jwks_fetches(auth) - before <= 1


def test_the_stateless_blind_spot(auth, resource):
    """The honest limit: the resource service never asks whether the user
    still exists or may log in. A deactivated user's access token is
    refused by the auth service at once, and accepted by the resource
    service until it expires: at most ACCESS_TOKEN_LIFETIME (5 minutes)."""
    access = login(auth, "alice", "wonderland")["access"]
    switch = (
        "from django.contrib.auth import get_user_model\n"
        "alice = get_user_model().objects.get(username='alice')\n"
        "alice.is_active = {}\n"
        "alice.save()"
    )
    with auth.shell() as shell:
        shell.run(switch.format(False))  # as the admin's form would
        try:
            headers = {"Authorization": f"Bearer {access}"}
            assert auth.api.get("/api/protected/", headers=headers).status_code == 401
            assert whoami(resource, access).status_code == 200  # the blind spot
            payload = claims(access)
            assert payload["exp"] - payload["iat"] <= 300  # ...for 5 minutes at most
        finally:
            shell.run(switch.format(True))


def test_without_the_auth_service_every_token_gets_401(auth):
    """A resource service that cannot fetch the key set (the auth service is
    down, or not there yet) refuses every token with 401, quickly."""
    access = login(auth)["access"]
    nowhere = "http://127.0.0.1:9"  # the discard port: nothing listens there
    with ResourceServer(PROJECT, nowhere) as lonely:
        lonely.api = Client(lonely.url)
        started = time.monotonic()
        assert whoami(lonely, access).status_code == 401
        assert time.monotonic() - started < 3


SHOW_SETTINGS = """
import json
from django.conf import settings
print(json.dumps({
    "simple_jwt": settings.SIMPLE_JWT,
    "databases": settings.DATABASES,
    "secret_key": settings.SECRET_KEY,
    "values": [repr(getattr(settings, n)) for n in dir(settings) if n.isupper()],
}))
"""


def resource_settings() -> dict:
    done = run_resource_service(
        "-c",
        SHOW_SETTINGS,
        DJANGO_SETTINGS_MODULE="service.settings",
        DJANGO_ENV="development",
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_resource_service_holds_no_secret():
    """Its settings, as Django loads them: no signing key, no verifying key
    (it reads the public keys from the key set), no database, nothing that
    looks like a private key, and a SECRET_KEY new at every start."""
    first, second = resource_settings(), resource_settings()
    simple_jwt = first["simple_jwt"]
    assert simple_jwt["SIGNING_KEY"] is None
    assert "VERIFYING_KEY" not in simple_jwt
    assert simple_jwt["JWK_URL"].endswith("/.well-known/jwks.json")
    assert first["databases"] == {}
    assert not any("PRIVATE KEY" in value for value in first["values"])
    assert first["secret_key"] != second["secret_key"]  # shared with no one


def kid_of(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def test_a_key_rotation_refuses_no_token_until_its_key_is_removed():
    """A rotation as chapter 14 does it, with the auth service restarted
    with new settings at each stage, and a resource service that keeps the
    key set it fetched for a minute (and fetches no sooner on unknown kids):

    1. A signs; B, the next key, is published beside it ahead of time;
    2. B signs; A stays published: tokens signed with A work everywhere,
       and refreshing A's refresh token gives tokens signed with B;
    3. C signs, unannounced, and A is removed: A's tokens are refused by the
       auth service at once, but still accepted by the resource service
       that fetched the set before, and C's refused there, until its copy
       expires. A resource service that fetches now sees both at once."""
    a, b, c = private_pem(), private_pem(), private_pem()
    env = {"JWT_PRIVATE_KEY": a, "JWT_EXTRA_PUBLIC_KEYS": public_pem(b)}
    slow = {"JWKS_CACHE_SECONDS": "60", "JWKS_REFETCH_SECONDS": "60"}
    with Server(Project.at(PROJECT), env) as auth:
        auth.api = Client(auth.url)

        def protected(token):
            headers = {"Authorization": f"Bearer {token}"}
            return auth.api.get("/api/protected/", headers=headers)

        old = login(auth)
        assert kid_of(old["access"]) == thumbprint(a)
        with ResourceServer(PROJECT, auth.url, slow) as cached:
            cached.api = Client(cached.url)
            assert whoami(cached, old["access"]).status_code == 200  # has A and B

            auth.restart({"JWT_PRIVATE_KEY": b, "JWT_EXTRA_PUBLIC_KEYS": public_pem(a)})
            new = login(auth)
            assert kid_of(new["access"]) == thumbprint(b)
            assert whoami(cached, new["access"]).status_code == 200  # published ahead
            assert whoami(cached, old["access"]).status_code == 200
            assert protected(old["access"]).status_code == 200
            refreshed = auth.api.post(
                "/api/token/refresh/", json={"refresh": old["refresh"]}
            )
            assert refreshed.status_code == 200, refreshed.text
            assert kid_of(refreshed.json()["access"]) == thumbprint(b)

            auth.restart({"JWT_PRIVATE_KEY": c, "JWT_EXTRA_PUBLIC_KEYS": public_pem(b)})
            newest = login(auth)
            refused = protected(old["access"])
            assert refused.status_code == 401
            assert (
                refused.json()["code"] == "token_not_valid"
            )  # its key, not its session
            assert protected(new["access"]).status_code == 200
            assert (
                whoami(cached, old["access"]).status_code == 200
            )  # until it refetches
            assert whoami(cached, newest["access"]).status_code == 401  # not seen yet
            with ResourceServer(PROJECT, auth.url) as fresh:
                fresh.api = Client(fresh.url)
                assert whoami(fresh, old["access"]).status_code == 401
                assert whoami(fresh, new["access"]).status_code == 200
                assert whoami(fresh, newest["access"]).status_code == 200


def test_a_typo_in_the_resource_services_simple_jwt_stops_start_up(tmp_path):
    """ "AUDIANCE" for "AUDIENCE" would switch the audience check off: the
    resource service refuses to start, naming the key."""
    copy = copy_project(tmp_path / "project") / "resource_service"
    settings_file = copy / "service" / "settings.py"
    text = settings_file.read_text()
    assert '"AUDIENCE": ' in text
    settings_file.write_text(text.replace('"AUDIENCE": ', '"AUDIANCE": '))
    done = run_resource_service(
        "manage.py", "check", folder=copy, DJANGO_ENV="development"
    )
    assert done.returncode != 0
    assert "AUDIANCE" in done.stderr.strip().splitlines()[-1]


def resource_outcomes(cases: dict[str, dict]) -> dict[str, str]:
    settings_file = PROJECT / "resource_service" / "service" / "settings.py"
    return settings_outcomes(cases, settings_file)


def production(**env) -> dict:
    return {"DJANGO_ENV": "production", **env}


def test_the_resource_services_settings_refuse_what_they_cannot_use():
    """Production: no default auth service to trust, and no key set over
    plain http, except to this machine. Anywhere: a URL with a user, a
    space, no host, another scheme or a port that is no number, and cache
    times under a second, stop start-up, naming the variable."""
    outcomes = resource_outcomes(
        {
            "production, no AUTH_SERVICE_URL": production(AUTH_SERVICE_URL=None),
            "production, http elsewhere": production(
                AUTH_SERVICE_URL="http://auth.example.com"
            ),
            "production, https": production(AUTH_SERVICE_URL="https://auth.example"),
            "production, http to 127.0.0.1": production(
                AUTH_SERVICE_URL="http://127.0.0.1:9"
            ),
            "production, http to localhost": production(
                AUTH_SERVICE_URL="http://localhost:9"
            ),
            "a newline at the end": {"AUTH_SERVICE_URL": "https://auth.example\n"},
            "a user in it": {"AUTH_SERVICE_URL": "http://evil.example@127.0.0.1"},
            "no host": {"AUTH_SERVICE_URL": "https:"},
            "a file": {"AUTH_SERVICE_URL": "file://localhost/etc"},
            "ftp": {"AUTH_SERVICE_URL": "ftp://127.0.0.1"},
            "a port that is no number": {"AUTH_SERVICE_URL": "http://127.0.0.1:x"},
            **{
                f"{name}={value}": {name: value}
                for name in ("JWKS_CACHE_SECONDS", "JWKS_REFETCH_SECONDS")
                for value in ("0", "0.5", "-1", "nan", "inf", "five")
            },
            "JWKS_CACHE_SECONDS=2.5": {"JWKS_CACHE_SECONDS": "2.5"},
        }
    )
    started = [name for name, outcome in outcomes.items() if outcome == "started"]
    assert started == [
        "production, https",
        "production, http to 127.0.0.1",
        "production, http to localhost",
        "JWKS_CACHE_SECONDS=2.5",
    ], outcomes
    for name, outcome in outcomes.items():
        if name not in started:
            assert outcome.startswith("ImproperlyConfigured"), (name, outcome)
            variable = name.split("=")[0] if "=" in name else "AUTH_SERVICE_URL"
            assert variable in outcome, (name, outcome)
