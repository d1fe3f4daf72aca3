"""Step 07: keys come from the environment, and production insists on them.

Some of these tests start the project in a process of its own, with its own
settings module (never the test settings), because what they prove is what
happens at start-up.
"""

import json
import re
import secrets
import urllib.request

import pytest

from harness.project import Project
from harness.registry import ROOT
from harness.server import Server
from support import (
    PROJECT,
    SETTINGS,
    STRONG,
    assert_status,
    copy_project,
    feature,
    forge,
    settings_outcomes,
    start,
)

pytestmark = feature("secrets-from-env")


def lesson_keys() -> set[str]:
    """Every SECRET_KEY committed anywhere in this repository's steps."""
    keys = set()
    for path in (ROOT / "steps").glob("*/config/settings.py"):
        keys |= set(re.findall(r'^SECRET_KEY = "([^"]+)"', path.read_text(), re.M))
    return keys


def test_the_committed_keys_forge_nothing(api, alice):
    """Step 06's forgery (signed with a committed key) now gets 401."""
    assert lesson_keys(), "expected the earlier steps' committed lesson key"
    for key in lesson_keys():
        assert_status(api.get("/api/protected/", token=forge(key, alice.pk)), 401)


def test_another_environments_key_forges_nothing(api, alice):
    """A token signed with some other strong key (another server's) gets 401."""
    other = forge(secrets.token_urlsafe(48), alice.pk)
    assert_status(api.get("/api/protected/", token=other), 401)


# Where the project signs with HS256 and JWT_SIGNING_KEY (steps 07-13), the
# cases about that key; step 14 signs with a private key (test_asymmetric_keys).
HMAC = feature("secrets-from-env", "hmac-signing-key")
REFUSED = {
    "no-keys": ({}, "DJANGO_SECRET_KEY"),
    "short-secret-key": ({"DJANGO_SECRET_KEY": "short"}, "DJANGO_SECRET_KEY"),
    "one-letter-secret-key": (
        {**STRONG, "DJANGO_SECRET_KEY": "a" * 40},
        "DJANGO_SECRET_KEY",
    ),
    "no-signing-key": (
        {"DJANGO_SECRET_KEY": STRONG["DJANGO_SECRET_KEY"]},
        "JWT_SIGNING_KEY",
    ),
    "short-signing-key": ({**STRONG, "JWT_SIGNING_KEY": "secret"}, "JWT_SIGNING_KEY"),
    "spaces-for-a-signing-key": (
        {**STRONG, "JWT_SIGNING_KEY": " " * 40},
        "JWT_SIGNING_KEY",
    ),
    "the-same-key-twice": (
        {**STRONG, "JWT_SIGNING_KEY": STRONG["DJANGO_SECRET_KEY"]},
        "JWT_SIGNING_KEY must differ from DJANGO_SECRET_KEY",
    ),
}
CASES = [
    pytest.param(name, marks=HMAC if "SIGNING_KEY" in missing else ())
    for name, (_, missing) in REFUSED.items()
]


@pytest.fixture(scope="module")
def production_outcomes():
    """Production settings under every case of REFUSED, in one process."""
    return settings_outcomes(
        {
            name: {**env, "DJANGO_ENV": "production"}
            for name, (env, _) in REFUSED.items()
        }
    )


@pytest.mark.parametrize("case", CASES)
def test_production_refuses_to_start_without_strong_keys(case, production_outcomes):
    """DJANGO_ENV=production with a key missing, short, trivially weak (one
    letter, only spaces) or the same for both: start-up fails, naming the
    variable."""
    outcome, missing = production_outcomes[case], REFUSED[case][1]
    assert outcome != "started", "production started without a strong key"
    assert outcome.startswith("ImproperlyConfigured"), outcome
    assert missing in outcome, f"the error should name {missing}: {outcome}"


def test_production_serves_with_strong_keys():
    """With strong keys, production settings start and answer requests."""
    env = {**STRONG, "DJANGO_ENV": "production", "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
    with Server(Project.at(PROJECT), env=env) as server:
        # As a proxy that terminated TLS says (step 15 on, production
        # redirects plain http to https).
        request = urllib.request.Request(
            server.url + "/api/hello/", headers={"X-Forwarded-Proto": "https"}
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 200


def test_local_development_needs_nothing_set(tmp_path):
    """In local development, missing keys are generated once into .secrets.json,
    are strong, differ from each other, and stay the same on the next start."""
    copy = tmp_path / "project"
    copy_project(copy)
    show = (
        f"import json, {SETTINGS} as s; "
        "print(json.dumps([s.SECRET_KEY, s.SIMPLE_JWT['SIGNING_KEY']]))"
    )
    first, second = start(copy, show), start(copy, show)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    secret_key, signing_key = json.loads(first.stdout)
    assert secret_key != signing_key
    assert min(len(secret_key), len(signing_key)) >= 32
    assert (copy / ".secrets.json").exists()


def test_a_typo_in_simple_jwt_stops_start_up(tmp_path):
    """An unknown SIMPLE_JWT key (a typo) stops start-up and is named."""
    copy = tmp_path / "project"
    copy_project(copy)
    settings_file = copy / (SETTINGS.replace(".", "/") + ".py")
    text = settings_file.read_text()
    assert "SIMPLE_JWT = {" in text
    settings_file.write_text(
        text.replace("SIMPLE_JWT = {", 'SIMPLE_JWT = {\n    "ACCES_TOKEN_LIFETIME": 1,')
    )
    done = start(copy, setup=True)
    assert done.returncode != 0, "start-up went on with a misspelt SIMPLE_JWT key"
    last_line = done.stderr.strip().splitlines()[-1]
    assert "ACCES_TOKEN_LIFETIME" in last_line, f"name the key: {last_line}"
