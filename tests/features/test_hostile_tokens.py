"""Broken and forged tokens: every one gets 401, never a 200, never a 500.

Each case starts from a real access token for "user" and breaks it the way
a confused client or an attacker would. Part III adds forgeries made with
keys; these need no key at all.
"""

import base64
import json

import pytest

from support import assert_status, feature

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
    "1-megabyte": lambda t, a: t + "A" * 1_000_000,
}


@pytest.mark.parametrize("name", BREAKERS)
def test_a_broken_token_gets_401(api, user, alice, name):
    """A broken or forged token in 'Authorization: Bearer' gets 401."""
    token = BREAKERS[name](api.tokens()["access"], alice.pk)
    response = api.get("/api/protected/", token=token)
    assert_status(response, 401)


@pytest.mark.parametrize("name", BREAKERS)
def test_a_broken_refresh_token_gets_401(api, user, alice, name):
    """The same breakage, sent to POST /api/token/refresh/, gets 401 too."""
    token = BREAKERS[name](api.tokens()["refresh"], alice.pk)
    response = api.post("/api/token/refresh/", {"refresh": token})
    assert_status(response, 401)
