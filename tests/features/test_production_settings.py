"""Step 15 on: production settings a deployment checklist passes.

`manage.py check --deploy` finds nothing; behind a proxy that terminates
TLS, plain http is redirected and https answers with HSTS; static files are
served with DEBUG off; new passwords are hashed with Argon2id, and old
PBKDF2 hashes are rehashed at the next login.
"""

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from harness.project import Project
from harness.server import Server
from support import PROJECT, SETTINGS, STRONG, feature, outside_env, start

pytestmark = feature("production-settings")

PRODUCTION = {**STRONG, "DJANGO_ENV": "production", "DJANGO_ALLOWED_HOSTS": "127.0.0.1"}
HTTPS = {"X-Forwarded-Proto": "https"}  # what the proxy says of a TLS request


def test_check_deploy_finds_nothing():
    """Django's deployment checklist, run on the production settings."""
    done = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=PROJECT,
        env={**outside_env(), **PRODUCTION, "DJANGO_SETTINGS_MODULE": SETTINGS},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout, done.stdout


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def fetch(url, headers=None):
    """(status, headers, body) of a GET, redirects not followed."""
    opener = urllib.request.build_opener(NoRedirects)
    try:
        with opener.open(urllib.request.Request(url, headers=headers or {})) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def production():
    with Server(Project.at(PROJECT), env=PRODUCTION) as server:
        yield server


def test_plain_http_is_redirected_to_https(production):
    """A request the proxy did not mark as https is sent to https."""
    status, headers, _ = fetch(production.url + "/api/hello/")
    assert status == 301
    assert headers["Location"].startswith("https://")


def test_https_answers_with_hsts(production):
    """A year of https only, subdomains included (HSTS), DEBUG off."""
    status, headers, _ = fetch(production.url + "/api/hello/", HTTPS)
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    status, _, body = fetch(production.url + "/no/such/page/", HTTPS)
    assert status == 404 and b"Traceback" not in body and b"URLconf" not in body


def test_static_files_are_served_with_debug_off(production):
    """The page's script, served by whitenoise: runserver serves no static
    files once DEBUG is off, and gunicorn never does."""
    status, headers, body = fetch(production.url + "/static/web/notes.js", HTTPS)
    assert status == 200, body[:200]
    assert "javascript" in headers["Content-Type"]
    assert b"/api/browser/login/" in body


def test_argon2id_hashes_and_old_hashes_are_upgraded():
    """With the project's own hashers (the tests' fast one set aside): a new
    password is hashed with Argon2id; a PBKDF2 hash, as every user before
    this step has, checks, and asks to be rehashed (Django's
    User.check_password then saves the new hash)."""
    code = (
        "from django.contrib.auth.hashers import "
        "PBKDF2PasswordHasher, check_password, make_password; "
        "import json; old = PBKDF2PasswordHasher(); "
        "stored = old.encode('pass', old.salt()); rehashed = []; "
        "ok = check_password('pass', stored, setter=rehashed.append); "
        "print(json.dumps([make_password('pass'), ok, rehashed]))"
    )
    done = start(PROJECT, code, setup=True, **STRONG)
    assert done.returncode == 0, done.stderr
    new, ok, rehashed = json.loads(done.stdout)
    assert new.startswith("argon2$argon2id$"), new
    assert ok and rehashed == ["pass"]


@pytest.mark.django_db
def test_the_tests_run_on_the_database_they_say():
    """`make test` runs this step's tests twice: on SQLite, and on a
    throwaway PostgreSQL (the PostgreSQL lane, harness/postgres.py). Both
    the tests' own database and a real server's are the lane's."""
    from django.db import connection

    expected = "postgresql" if os.environ.get("TUTORIAL_POSTGRES") else "sqlite"
    assert connection.vendor == expected
    with Server(Project.at(PROJECT)) as server, server.shell() as shell:
        vendor = "from django.db import connection; print(connection.vendor)"
        assert shell.run(vendor).strip() == expected
