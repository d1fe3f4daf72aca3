"""Broken and forged tokens: every one gets 401, never a 200, never a 500.

Each case starts from a real token for "user" and breaks it the way a
confused client or an attacker would: without a key, or with a key the
attacker has (empty, guessed from a word list, their own) and header tricks
that try to make the server use it.
"""

import base64
import hashlib
import hmac
import json

import pytest

from harness.registry import ROOT
from support import LARGEST_BODY, assert_status, feature

pytestmark = feature("hostile-tokens")


def b64(data) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def as_alice(token, alice_pk):
    """Change the payload to claim alice's id, keeping user's signature."""
    header, payload, signature = token.split(".")
    claims = {**unb64(payload), "user_id": str(alice_pk)}
    return f"{header}.{b64(claims)}.{signature}"


def alg_none(token, alg="none"):
    """The classic: declare "no signature needed" and drop the signature."""
    _, payload, _ = token.split(".")
    return f"{b64({'alg': alg, 'typ': 'JWT'})}.{payload}."


def nested_header(depth):
    return b64(b"[" * depth + b"]" * depth) + "." + b64({}) + "."


ATTACKER_KEY = "an attacker's own key, long enough to pass any length check"
GUESSES = [
    line
    for line in (ROOT / "notebooks" / "common-secrets.txt").read_text().splitlines()
    if line and not line.startswith("#")
]


def resign(token, alice_pk, key, alg="HS256", **header):
    """Claim alice and sign with a key the attacker has, by hand with hmac
    (an attacker's own code has none of PyJWT's checks on the key)."""
    _, payload, _ = token.split(".")
    claims = {**unb64(payload), "user_id": str(alice_pk)}
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[alg]
    signing_input = f"{b64({'alg': alg, 'typ': 'JWT', **header})}.{b64(claims)}"
    signature = hmac.new(key.encode(), signing_input.encode(), digest).digest()
    return f"{signing_input}.{b64(signature)}"


def spliced(token, other):
    """One token's header and payload with another token's signature."""
    return token.rsplit(".", 1)[0] + "." + other.rsplit(".", 1)[1]


def rs256_header(token, alice_pk):
    """Claim the public-key algorithm RS256, with an HMAC-looking signature."""
    _, payload, signature = as_alice(token, alice_pk).split(".")
    return f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{payload}.{signature}"


def jwk_of(key):
    return {"kty": "oct", "k": b64(key.encode())}


EXTRA_SIGNATURE = 256_000  # bytes: the longest token on the list

BREAKERS = {
    "garbage": lambda t, a: "not-a-token",
    "two-parts": lambda t, a: ".".join(t.split(".")[:2]),
    "four-parts": lambda t, a: t + ".extra",
    "truncated": lambda t, a: t[:-5],
    "signature-stripped": lambda t, a: t.rsplit(".", 1)[0] + ".",
    "signature-flipped": lambda t, a: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"),
    "payload-changed-to-alice": as_alice,
    "alg-none": lambda t, a: alg_none(t),
    "alg-None": lambda t, a: alg_none(t, "None"),
    "alg-NONE": lambda t, a: alg_none(t, "NONE"),
    "alg-nOnE": lambda t, a: alg_none(t, "nOnE"),
    "not-base64": lambda t, a: "!!!.@@@.###",
    "header-not-json": lambda t, a: b64(b"{oops") + "." + t.split(".", 1)[1],
    "deeply-nested-header": lambda t, a: nested_header(100_000),
    "latin1-bytes": lambda t, a: "\xe9\xe9.\xe9\xe9.\xe9\xe9",
    "64-kilobytes": lambda t, a: "A" * 65_536,
    # A genuine token with 256 KB more signature: 32 times the largest header
    # nginx or gunicorn accept by default (8 KB), so only a test client or a
    # server without a proxy in front ever sees it.
    "token-plus-256-kilobytes": lambda t, a: t + "A" * EXTRA_SIGNATURE,
    "resigned-empty-key": lambda t, a: resign(t, a, ""),
    "resigned-attacker-key": lambda t, a: resign(t, a, ATTACKER_KEY),
    "resigned-HS512": lambda t, a: resign(t, a, ATTACKER_KEY, alg="HS512"),
    "header-says-RS256": rs256_header,
    "kid-injection": lambda t, a: resign(t, a, "", kid="../../../../dev/null"),
    "jku-injection": lambda t, a: resign(
        t, a, ATTACKER_KEY, jku="http://attacker.example/jwks.json"
    ),
    "jwk-injection": lambda t, a: resign(t, a, ATTACKER_KEY, jwk=jwk_of(ATTACKER_KEY)),
}


@pytest.mark.parametrize("name", BREAKERS)
def test_a_broken_token_gets_401(api, user, alice, name):
    """A broken or forged token in 'Authorization: Bearer' gets 401."""
    token = BREAKERS[name](api.tokens()["access"], alice.pk)
    response = api.get("/api/protected/", token=token)
    assert_status(response, 401)


@pytest.mark.parametrize("kind", ["access", "refresh"])
def test_guessed_keys_forge_nothing(api, user, alice, kind):
    """Re-signed with each key of a common word list: 401 for every one."""
    token = api.tokens()[kind]
    path, field = (
        ("/api/protected/", None)
        if kind == "access"
        else ("/api/token/refresh/", "refresh")
    )
    for guess in GUESSES:
        forged = resign(token, alice.pk, guess)
        response = (
            api.get(path, token=forged)
            if field is None
            else api.post(path, {field: forged})
        )
        assert response.status_code == 401, (
            f"a token re-signed with the guessed key {guess!r} got "
            f"{response.status_code} from {path}, not 401"
        )


@pytest.mark.parametrize("kind", ["access", "refresh"])
def test_a_signature_from_another_token_does_not_fit(api, user, alice, kind):
    """user's header and payload with alice's signature (spliced): 401."""
    mine, hers = api.tokens()[kind], api.tokens("alice", "wonderland")[kind]
    forged = spliced(mine, hers)
    if kind == "access":
        assert_status(api.get("/api/protected/", token=forged), 401)
    else:
        assert_status(api.post("/api/token/refresh/", {"refresh": forged}), 401)


@pytest.mark.parametrize("name", BREAKERS)
def test_a_broken_refresh_token_gets_401(api, user, alice, name):
    """The same breakage, sent to POST /api/token/refresh/, gets 401 too."""
    token = BREAKERS[name](api.tokens()["refresh"], alice.pk)
    response = api.post("/api/token/refresh/", {"refresh": token})
    too_large = LARGEST_BODY and len(json.dumps({"refresh": token})) > LARGEST_BODY
    assert_status(response, 413 if too_large else 401)
