"""Helpers for the feature tests: an HTTP client, and ways to read responses."""

import base64
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest

from harness.net import Client, post_at_once
from harness.project import DEMO_USERS
from harness.pytest_plugin import target

# The demo accounts, as {username: password}: the ones every server has.
DEMO = dict(DEMO_USERS)


def private_pem(bits: int = 2048, exponent: int = 65537) -> str:
    """A new RSA private key, as PEM text (an attacker's, or a test's)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=exponent, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


# Strong, different keys, made afresh for each test run: what production
# needs (from step 14, a private key instead of JWT_SIGNING_KEY).
STRONG = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
    "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
}
if "asymmetric-keys" in target().features:
    STRONG["JWT_PRIVATE_KEY"] = private_pem()

# The race tests (marked `race`) run against the project's real server: a
# threaded runserver on a SQLite file, each request in a thread of its own.
# `make test-race` runs them (`make test` does not: they take about 40 s per
# project), trying each interleaving RACE_ATTEMPTS times: 200 there, 10 in
# `pytest --step 10 -m race`.
ATTEMPTS = int(os.environ.get("RACE_ATTEMPTS", 10))
# The project under test: its folder, and its own settings module.
PROJECT = target().project.path
SETTINGS = target().project.settings_module
FEATURES = target().features

# Step 15 on ("hostile-bodies"), a request body over 64 KB gets 413 before
# anything reads it.
LARGEST_BODY = 64 * 1024 if "hostile-bodies" in FEATURES else None


class Api:
    """A client of the project, as a browser script or curl would be."""

    def __init__(self, client, token=None):
        self.client = client
        self.token = token

    def _headers(self, token, authorization):
        if authorization is not None:
            return {"Authorization": authorization}
        token = token or self.token
        return {"Authorization": f"Bearer {token}"} if token else {}

    def get(self, path, *, token=None, authorization=None):
        return self.client.get(path, headers=self._headers(token, authorization))

    def post(self, path, data=None, *, token=None, authorization=None, raw=None):
        """POST JSON (or `raw` bytes as they are, to test broken bodies)."""
        body = raw if raw is not None else json.dumps(data or {})
        return self.client.post(
            path,
            body,
            content_type="application/json",
            headers=self._headers(token, authorization),
        )

    def login(self, username="user", password="pass"):
        return self.post("/api/token/", {"username": username, "password": password})

    def tokens(self, username="user", password="pass"):
        response = self.login(username, password)
        assert response.status_code == 200, (
            f"POST /api/token/ as {username!r} answered {response.status_code}, "
            f"not 200: {response.content[:300]!r}"
        )
        return response.json()


class LiveApi(Client):
    """A client of the project's real server (the `live` fixture); `shell`
    runs Python on that server's own database."""

    def __init__(self, server):
        super().__init__(server.url)
        self.server = server

    def refresh_token(self, username="user", password="pass"):
        answer = self.post(
            "/api/token/", json={"username": username, "password": password}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()["refresh"]

    def refresh(self, token):
        return self.post("/api/token/refresh/", json={"refresh": token})


def claims(token: str) -> dict:
    """A JWT's payload, read WITHOUT checking the signature: anyone can."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def assert_status(response, *expected, hint=""):
    """Fail with a sentence: which request answered what, and what it said."""
    if response.status_code in expected:
        return
    request = response.request
    wanted = " or ".join(str(code) for code in expected)
    raise AssertionError(
        f"{request['REQUEST_METHOD']} {request['PATH_INFO']} answered "
        f"{response.status_code}, expected {wanted}"
        + (f": {hint}" if hint else f": {response.content[:200]!r}")
    )


def listed(response) -> list:
    """The items of a list answer: the list itself, or from step 15 on
    (pagination), the first page's "results"."""
    body = response.json()
    if isinstance(body, dict):
        assert "results" in body, f"not a list: {response.status_code} {body}"
        return body["results"]
    return body


def field_errors(response) -> dict:
    """{field: messages} of a validation error: DRF's answer itself, or from
    step 15 on ("error-codes") its "errors"."""
    body = response.json()
    return body.get("errors", body) if "code" in body else body


def error_code(response) -> str | None:
    """The stable error code of a DRF error (never the translated message).

    simplejwt's token errors carry it in the JSON body ({"code": ...}); DRF's
    own errors send only {"detail": "..."}, so read it from the ErrorDetail
    that the view raised (the test client keeps the response's data).
    """
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and "code" in body:
        return body["code"]
    detail = getattr(response, "data", {}).get("detail")
    return getattr(detail, "code", None)


def forge(key: str, user_id, algorithm="HS256") -> str:
    """A token shaped exactly like simplejwt's, signed by the attacker."""
    now = int(time.time())
    payload = {
        "token_type": "access",
        "exp": now + 300,
        "iat": now,
        "jti": uuid.uuid4().hex,
        "user_id": str(user_id),
    }
    return jwt.encode(payload, key, algorithm=algorithm)


def resign(token: str, **changes) -> str:
    """The token with some claims changed, signed with the project's own key
    (and header): what only someone holding the key could make."""
    from django.conf import settings

    key = settings.SIMPLE_JWT["SIGNING_KEY"]
    algorithm = settings.SIMPLE_JWT.get("ALGORITHM", "HS256")
    header = jwt.get_unverified_header(token)
    extra = {k: v for k, v in header.items() if k not in ("alg", "typ")}
    return jwt.encode(
        {**claims(token), **changes}, key, algorithm=algorithm, headers=extra
    )


BOGUS_SIDS = ["x", "", [1], 1.5, {"a": 1}]


def copy_project(destination: Path) -> Path:
    """A copy of the project to change or start, without its local state
    (keys, database, virtualenv, caches): what a fresh clone would hold."""
    shutil.copytree(
        PROJECT,
        destination,
        ignore=shutil.ignore_patterns(
            ".secrets.json", "db.sqlite3", ".venv", "__pycache__"
        ),
    )
    return destination


def outside_env() -> dict:
    """This process's environment without the test run's TUTORIAL_, DJANGO_
    and JWT_ variables: what a fresh shell would have."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TUTORIAL_", "DJANGO_", "JWT_"))
    }


def start(project_dir: Path, code: str = "", setup=False, **env: str | None):
    """Load the project's settings as a server's start-up does, then run `code`.

    A server's start-up begins by importing the settings module, which is
    where missing keys are refused; `setup=True` goes on to django.setup(),
    which runs the apps' start-up checks (config/apps.py). The process gets
    none of the test run's own TUTORIAL_, DJANGO_ or JWT_ variables: only
    the project's settings module, DJANGO_ENV=development (what `manage.py`
    chooses; final/ runs production without it) and `env` (where a value
    of None leaves that variable unset).
    """
    load = "import django; django.setup()" if setup else f"import {SETTINGS}"
    return subprocess.run(
        [sys.executable, "-c", f"{load}; {code}"],
        cwd=project_dir,
        env=_start_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _start_env(env: dict) -> dict:
    """start()'s environment: see there."""
    chosen = {"DJANGO_SETTINGS_MODULE": SETTINGS, "DJANGO_ENV": "development", **env}
    return {
        k: v
        for k, v in {**outside_env(), **chosen}.items()
        if v is not None  # NAME=None: leave NAME unset
    }


# One process imports Django and DRF once, then forks a child per case: each
# child starts as `python -c` would from there (nothing of the project loaded,
# its own environment, stdout and stderr), and sets the project up afresh.
_STARTUPS = """
import importlib, json, os, sys, tempfile, traceback
import django, django.db.models, django.http, django.urls, jwt  # the slow part, once
cases, code, setup, settings = json.loads(sys.stdin.read())
out = {}
for name, env in cases.items():
    stdout, stderr = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    pid = os.fork()
    if pid == 0:
        os.dup2(stdout.fileno(), 1)
        os.dup2(stderr.fileno(), 2)
        os.environ.clear()
        os.environ.update(env)
        status = 0
        try:
            django.setup() if setup else importlib.import_module(settings)
            exec(code, {"__name__": "__main__"})
        except SystemExit as exit:
            status = exit.code if isinstance(exit.code, int) else 1
        except BaseException:
            traceback.print_exc()
            status = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status)
    _, wait = os.waitpid(pid, 0)
    stdout.seek(0)
    stderr.seek(0)
    out[name] = [os.waitstatus_to_exitcode(wait), stdout.read().decode(),
                 stderr.read().decode()]
print(json.dumps(out))
"""


def startups(project_dir: Path, cases: dict[str, dict], code="", setup=False):
    """start() once per case ({name: env}), in one go: {name: what start()
    would return}. Each case still gets a process of its own and a fresh
    start-up of the project (a child forked before anything of it loaded);
    only the Python and Django imports that every start-up repeats are
    shared, which makes each case about a second cheaper."""
    envs = {name: _start_env(env) for name, env in cases.items()}
    done = subprocess.run(
        [sys.executable, "-c", _STARTUPS],
        cwd=project_dir,
        env=_start_env({}),
        input=json.dumps([envs, code, setup, SETTINGS]),
        capture_output=True,
        text=True,
        timeout=60 + 10 * len(cases),
    )
    assert done.returncode == 0, done.stderr
    return {
        name: subprocess.CompletedProcess(name, code, out, err)
        for name, (code, out, err) in json.loads(done.stdout).items()
    }


def run_resource_service(*command, folder=None, **env) -> subprocess.CompletedProcess:
    """`python COMMAND` in the resource service's folder (step 14 on; `folder`
    for a copy), as a fresh shell would: none of the test run's variables,
    only `env` (a value of None leaves that variable unset). Without
    DJANGO_SETTINGS_MODULE, Python runs its manage.py's way: nothing chosen."""
    return subprocess.run(
        [sys.executable, *command],
        cwd=folder or PROJECT / "resource_service",
        env={k: v for k, v in {**outside_env(), **env}.items() if v is not None},
        capture_output=True,
        text=True,
        timeout=60,
    )


_OUTCOMES = """
import json, os, runpy, sys
base, cases, path = json.loads(sys.stdin.read())
out = {}
for name, env in cases.items():
    os.environ.clear()
    os.environ.update(base)
    os.environ.update({k: v for k, v in env.items() if v is not None})
    for k in [k for k, v in env.items() if v is None]:
        os.environ.pop(k, None)
    try:
        runpy.run_path(path)  # the settings module's code, run afresh
        out[name] = "started"
    except Exception as error:
        out[name] = f"{type(error).__name__}: {error}"
print(json.dumps(out))
"""


def settings_outcomes(cases: dict[str, dict], settings_file=None) -> dict[str, str]:
    """How the project's settings (or those of `settings_file`, a project's
    package/settings.py) start under each environment in `cases`: "started",
    or the error they raise ("ImproperlyConfigured: ...").

    Settings are plain code that reads os.environ, so one fresh process can
    run them once per case, each time on a clean environment (outside_env(),
    DJANGO_ENV=development, then the case; None unsets a variable): the same
    as a start-up per case, without a Python start-up per case.
    """
    base = {**outside_env(), "DJANGO_ENV": "development"}
    path = Path(settings_file or PROJECT / (SETTINGS.replace(".", "/") + ".py"))
    done = subprocess.run(
        [sys.executable, "-c", _OUTCOMES],
        cwd=path.parent.parent,
        input=json.dumps([base, cases, str(path)]),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def feature(*names: str):
    """Mark a test (or, as pytestmark, a module) with the feature it proves.
    With several names, it runs only where the project has all of them."""
    return pytest.mark.feature(*names)


def at_once(base_url: str, posts: list[tuple[str, dict]], delays=None):
    """POST each (path, json) at the same moment, against a real server:
    [(status, body), ...] in the order given.

    Every request gets its own connection, opened first; then one thread
    sends them all, the i-th `delays[i]` seconds after the first moment (by
    default: in a random order, a random 0 to 0.5 ms apart). Sending from one
    thread keeps such offsets exact: client threads would add the GIL's
    milliseconds. The server handles the requests at once, each in a thread.
    """
    address = urlsplit(base_url)
    where = ((address.hostname, address.port), None)
    return post_at_once(
        [(where, address.netloc, path, data) for path, data in posts], delays
    )
