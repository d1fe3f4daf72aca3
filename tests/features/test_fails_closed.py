"""final/: settings fail closed. Production is what you get unless you choose
development; a value nobody meant is refused, never guessed at.

These start the project in a process of its own, with nothing from the test
run's environment, because what they prove is what a server does at start-up.
"""

import subprocess
import sys

import pytest

from support import (
    PROJECT,
    SETTINGS,
    STRONG,
    copy_project,
    feature,
    outside_env,
    run_resource_service,
    settings_outcomes,
    start,
)

pytestmark = feature("fails-closed")

# What a WSGI server does: import the project's WSGI module (the one its
# settings name), which builds the application, then serve it.
AS_WSGI = (
    f"import importlib, {SETTINGS} as s; "
    "importlib.import_module(s.WSGI_APPLICATION.rpartition('.')[0]); "
    "from django.conf import settings; print(settings.DEBUG)"
)


def test_a_wsgi_server_with_nothing_set_runs_production():
    """Under WSGI with DJANGO_ENV unset (keys given): DEBUG is off."""
    done = start(PROJECT, AS_WSGI, DJANGO_ENV=None, **STRONG)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False"], "DEBUG must be off in production"


def test_a_wsgi_server_with_nothing_set_requires_keys():
    """Under WSGI with nothing set at all, start-up refuses: no generated keys."""
    done = start(PROJECT, AS_WSGI, DJANGO_ENV=None)
    assert done.returncode != 0, "production started with generated keys"
    assert "DJANGO_SECRET_KEY" in done.stderr.strip().splitlines()[-1]


UNKNOWN = ["Production", "dev", "prod", ""]


@pytest.fixture(scope="module")
def unknown_outcomes():
    """The settings under each unknown DJANGO_ENV, in one process."""
    return settings_outcomes(
        {value: {**STRONG, "DJANGO_ENV": value} for value in UNKNOWN}
    )


@pytest.mark.parametrize("value", UNKNOWN)
def test_an_unknown_environment_is_refused(value, unknown_outcomes):
    """DJANGO_ENV must be exactly development or production: anything else
    stops start-up with a message naming DJANGO_ENV."""
    outcome = unknown_outcomes[value]
    assert outcome != "started", f"DJANGO_ENV={value!r} was accepted"
    assert outcome.startswith("ImproperlyConfigured") and "DJANGO_ENV" in outcome


def test_manage_py_chooses_development(tmp_path):
    """`manage.py` with nothing set is local development: DEBUG on, keys made."""
    copy = tmp_path / "project"  # a copy: the keys it makes stay out of the tree
    copy_project(copy)
    code = "from django.conf import settings; print(settings.DEBUG)"
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=copy,
        env=outside_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True"]
    assert (copy / ".secrets.json").exists()


SHOW_DEBUG = "from django.conf import settings; print(settings.DEBUG)"


WHERE = {"AUTH_SERVICE_URL": "http://127.0.0.1:9"}


@pytest.mark.parametrize(
    "how, env, debug",
    [
        ("wsgi, nothing set", {}, "AUTH_SERVICE_URL"),
        ("wsgi, the auth service's URL set", WHERE, "False"),
        ("manage.py, nothing set", {}, "True"),
        (
            "wsgi, DJANGO_ENV=Production",
            {**WHERE, "DJANGO_ENV": "Production"},
            "DJANGO_ENV",
        ),
    ],
)
@feature("fails-closed", "resource-service")
def test_the_resource_service_fails_closed_too(how, env, debug):
    """The resource service: production under WSGI with nothing set (so it
    insists on being told whose tokens to check), development from its
    manage.py, and an unknown DJANGO_ENV refused."""
    if how.startswith("wsgi"):
        code = f"import service.wsgi; {SHOW_DEBUG}"
        done = run_resource_service(
            "-c", code, DJANGO_SETTINGS_MODULE="service.settings", **env
        )
    else:
        done = run_resource_service(
            "manage.py", "shell", "--no-imports", "-c", SHOW_DEBUG
        )
    if debug in ("True", "False"):
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == [debug]
    else:  # refused, naming the variable
        assert done.returncode != 0
        assert debug in done.stderr.strip().splitlines()[-1], done.stderr
