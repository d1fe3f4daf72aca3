"""Step 14 on: a private key signs, and production insists on a good one.

The settings are run in processes of their own, as a server's start-up runs
them (see support.settings_outcomes), once per environment tried.
"""

import json
import stat

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from support import (
    SETTINGS,
    STRONG,
    assert_status,
    copy_project,
    feature,
    private_pem,
    resign,
    settings_outcomes,
    start,
    startups,
)

pytestmark = feature("asymmetric-keys")


def pem_of(key, password=None) -> str:
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()


@pytest.fixture(scope="module")
def key_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("keys") / "private.pem"
    path.write_text(STRONG["JWT_PRIVATE_KEY"])
    return str(path)


def production(**env):
    base = {k: v for k, v in STRONG.items() if k != "JWT_PRIVATE_KEY"}
    return {**base, "DJANGO_ENV": "production", **env}


def refused_keys() -> dict[str, dict]:
    """Each case's environment (made only where the tests run: keys take
    time to make)."""
    ours = serialization.load_pem_private_key(
        STRONG["JWT_PRIVATE_KEY"].encode(), password=None
    )
    public = ours.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return {
        "no-private-key": production(),
        "not-a-pem": production(JWT_PRIVATE_KEY="secret" * 10),
        "a-public-key": production(JWT_PRIVATE_KEY=public.decode()),
        "a-1024-bit-key": production(JWT_PRIVATE_KEY=private_pem(1024)),
        "an-elliptic-curve-key": production(
            JWT_PRIVATE_KEY=pem_of(ec.generate_private_key(ec.SECP256R1()))
        ),
        "a-key-locked-with-a-passphrase": production(
            JWT_PRIVATE_KEY=pem_of(ours, password=b"a passphrase")
        ),
        "a-key-file-that-is-not-there": production(
            JWT_PRIVATE_KEY_FILE="/nonexistent/private.pem"
        ),
    }


REFUSED = [
    "no-private-key",
    "not-a-pem",
    "a-public-key",
    "a-1024-bit-key",
    "an-elliptic-curve-key",
    "a-key-locked-with-a-passphrase",
    "a-key-file-that-is-not-there",
]


@pytest.fixture(scope="module")
def outcomes(key_file):
    cases = {
        **refused_keys(),
        "a-key": production(JWT_PRIVATE_KEY=STRONG["JWT_PRIVATE_KEY"]),
        "a-key-file": production(JWT_PRIVATE_KEY_FILE=key_file),
    }
    assert sorted(cases) == sorted([*REFUSED, "a-key", "a-key-file"])
    return settings_outcomes(cases)


@pytest.mark.parametrize("case", REFUSED)
def test_production_refuses_a_missing_or_weak_private_key(case, outcomes):
    """No key, not a PEM private key, an RSA key under 2048 bits, another
    kind of key, one locked with a passphrase, a key file that is not there:
    start-up fails, naming the variable."""
    outcome = outcomes[case]
    assert outcome.startswith("ImproperlyConfigured"), outcome
    assert "JWT_PRIVATE_KEY" in outcome, outcome


@pytest.mark.parametrize("case", ["a-key", "a-key-file"])
def test_production_starts_with_a_private_key(case, outcomes):
    """The key in JWT_PRIVATE_KEY, or in the file JWT_PRIVATE_KEY_FILE names."""
    assert outcomes[case] == "started"


def public_half_of(key) -> str:
    return (
        key.public_key()
        .public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        .decode()
    )


# What JWT_EXTRA_PUBLIC_KEYS must never publish, made when a test asks.
BAD_EXTRA_KEYS = {
    "a-broken-key": lambda: (
        "-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----"
    ),
    "no-key": lambda: "not a key at all",
    "a-1024-bit-key": lambda: public_half_of(rsa.generate_private_key(65537, 1024)),
    "public-exponent-3": lambda: public_half_of(rsa.generate_private_key(3, 2048)),
    "an-elliptic-curve-key": lambda: public_half_of(
        ec.generate_private_key(ec.SECP256R1())
    ),
    "an-ed25519-key": lambda: public_half_of(ed25519.Ed25519PrivateKey.generate()),
}


@pytest.fixture(scope="module")
def bad_extra_key_startups(tmp_path_factory):
    """A start-up with each of BAD_EXTRA_KEYS, in a copy of the project, and
    one without the variable (the control: the same start-up succeeds)."""
    copy = copy_project(tmp_path_factory.mktemp("extra") / "p")
    cases = {
        name: {"JWT_EXTRA_PUBLIC_KEYS": make()} for name, make in BAD_EXTRA_KEYS.items()
    }
    return startups(
        copy, {**cases, "none": {"JWT_EXTRA_PUBLIC_KEYS": None}}, setup=True
    )


def test_without_extra_public_keys_the_same_start_up_succeeds(bad_extra_key_startups):
    """The control of the test below: the same start-up, in the same copy,
    with JWT_EXTRA_PUBLIC_KEYS unset, starts."""
    done = bad_extra_key_startups["none"]
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("extra", BAD_EXTRA_KEYS)
def test_a_bad_extra_public_key_stops_start_up(extra, bad_extra_key_startups):
    """JWT_EXTRA_PUBLIC_KEYS that holds no key, a broken one, or a key
    weaker than our own rule (RSA, 2048 bits, a public exponent above
    2**16) stops start-up naming the variable: a rotation never publishes
    nothing, nor a key that someone could break."""
    done = bad_extra_key_startups[extra]
    assert done.returncode != 0
    assert "JWT_EXTRA_PUBLIC_KEYS" in done.stderr.strip().splitlines()[-1]


def test_local_development_makes_a_private_key_once(tmp_path):
    """With nothing set, a 2048-bit RSA key is made on first start, kept in
    .secrets.json (readable by its owner only), and the same next time."""
    copy = copy_project(tmp_path / "project")
    show = f"import {SETTINGS} as s; print(s.JWT_PRIVATE_KEY.splitlines()[1])"
    first, second = start(copy, show), start(copy, show)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    saved = json.loads((copy / ".secrets.json").read_text())
    key = serialization.load_pem_private_key(
        saved["JWT_PRIVATE_KEY"].encode(), password=None
    )
    assert key.key_size == 2048
    assert stat.S_IMODE((copy / ".secrets.json").stat().st_mode) == 0o600


def test_a_token_signed_with_our_key_but_a_wrong_claim_gets_401(api, user):
    """Only the key's holder could sign these, and still: a token for another
    audience, from another issuer, or naming no key of ours is refused."""
    access = api.tokens()["access"]
    for changes in ({"aud": "billing"}, {"iss": "evil-auth"}):
        assert_status(api.get("/api/protected/", token=resign(access, **changes)), 401)
    from django.conf import settings

    key = settings.SIMPLE_JWT["SIGNING_KEY"]
    payload = jwt.decode(access, options={"verify_signature": False})
    unnamed = jwt.encode(payload, key, algorithm="RS256")  # no kid
    assert_status(api.get("/api/protected/", token=unnamed), 401)
