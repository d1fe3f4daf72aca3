"""Step 06's mistake, proven: a committed signing key lets anyone forge tokens.

The attacker here has no account and no token: only the repository. They
read SECRET_KEY from settings.py and sign their own token, for alice.
"""

import re
import warnings

import jwt
import pytest

from harness.registry import ROOT
from support import PROJECT, SETTINGS, assert_status, claims, feature, forge

pytestmark = feature("committed-key")


def committed_secret_key() -> str:
    """What anyone can read in the repository: settings.py's SECRET_KEY."""
    settings_file = PROJECT / (SETTINGS.replace(".", "/") + ".py")
    match = re.search(r'^SECRET_KEY = "([^"]+)"', settings_file.read_text(), re.M)
    assert match, f"no SECRET_KEY written in {settings_file}"
    return match.group(1)


def test_anyone_with_the_repository_can_forge_a_token(api, alice):
    """A token signed with the committed SECRET_KEY opens /api/protected/."""
    forged = forge(committed_secret_key(), alice.pk)
    response = api.get("/api/protected/", token=forged)
    assert_status(response, 200)
    assert response.json() == {"message": "Hello, alice! This is a protected view."}


def word_list() -> list[str]:
    lines = (ROOT / "notebooks" / "common-secrets.txt").read_text().splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def crack(token: str) -> str | None:
    """Try every word as the HMAC key; no server is asked, nothing is logged."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        for word in word_list():
            try:
                jwt.decode(token, word, algorithms=["HS256"])
                return word
            except jwt.InvalidSignatureError:
                continue
    return None


def test_a_short_key_warns_and_falls_to_a_word_list(api, user):
    """A token signed with "secret" is cracked offline from one token.

    PyJWT warns about the short key (InsecureKeyLengthWarning); a short word
    list finds it without ever talking to the server.
    """
    real = claims(api.tokens()["access"])  # the shape a real server issues
    with pytest.warns(jwt.warnings.InsecureKeyLengthWarning):
        token = jwt.encode(real, "secret", algorithm="HS256")
    assert crack(token) == "secret"


def test_a_long_random_key_is_not_in_the_word_list(api, user):
    """The project's own (long, random) key is not found by the same attack."""
    assert crack(api.tokens()["access"]) is None
