"""Settings wrapper: a project's own settings, run somewhere harmless.

Used by the tests, the notebooks' servers and the docs check, and by
`make step-N HOST=0.0.0.0` for its hosts only (a plain `make step-N` runs a
step exactly as a learner would, with config.settings). It imports the
project's settings module unchanged, so everything simplejwt reads at import
time is the project's own; then it only changes where data goes:

- TUTORIAL_DB: a throwaway SQLite file instead of the step's db.sqlite3,
  which commits without waiting for the disk; or TUTORIAL_DATABASE_URL, a
  throwaway PostgreSQL database (the PostgreSQL lane, step 15 on);
- TUTORIAL_HASHER: "fast" for tests (MD5: weak, instant), "quick" for the
  throwaway servers (PBKDF2 with fewer rounds: harness/hashers.py);
- TUTORIAL_ALLOWED_HOSTS: hosts to accept when an instructor serves a room
  (`make step-N HOST=0.0.0.0`); the steps themselves accept only localhost;
- TUTORIAL_THROTTLE: "off" for tests, which log in hundreds of times from
  one address (step 15 on); the throttling tests leave it on.
"""

import importlib
import os
import sys

sys.path.insert(0, os.environ["TUTORIAL_PROJECT"])
_project = importlib.import_module(os.environ["TUTORIAL_PROJECT_SETTINGS"])
globals().update({k: v for k, v in vars(_project).items() if k.isupper()})

if os.environ.get("TUTORIAL_DATABASE_URL"):
    # The PostgreSQL lane (harness/postgres.py): a database of its own there.
    import dj_database_url

    DATABASES = {
        **DATABASES,  # noqa: F821
        # The project's own connection settings (kept connections, health
        # checks) stay: only where the data goes changes.
        "default": dj_database_url.parse(
            os.environ["TUTORIAL_DATABASE_URL"],
            conn_max_age=DATABASES["default"].get("CONN_MAX_AGE", 0),  # noqa: F821
            conn_health_checks=DATABASES["default"].get(  # noqa: F821
                "CONN_HEALTH_CHECKS", False
            ),
        ),
    }
elif os.environ.get("TUTORIAL_DB"):
    DATABASES = {
        **DATABASES,  # noqa: F821 (from the project's settings)
        "default": {
            **DATABASES["default"],  # noqa: F821
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ["TUTORIAL_DB"],
            # Thrown away after the run, so no commit waits for the disk
            # (about 10 ms each here); locking, and so every race, is as is.
            "OPTIONS": {"init_command": "PRAGMA synchronous = OFF;"},
        },
    }

if os.environ.get("TUTORIAL_ALLOWED_HOSTS"):
    ALLOWED_HOSTS = os.environ["TUTORIAL_ALLOWED_HOSTS"].split(",")

_HASHERS = {
    "fast": ["django.contrib.auth.hashers.MD5PasswordHasher"],
    "quick": ["harness.hashers.QuickPBKDF2PasswordHasher"],
}
if os.environ.get("TUTORIAL_HASHER") in _HASHERS:
    PASSWORD_HASHERS = _HASHERS[os.environ["TUTORIAL_HASHER"]]

_rest = globals().get("REST_FRAMEWORK", {})
if os.environ.get("TUTORIAL_THROTTLE") == "off" and "DEFAULT_THROTTLE_RATES" in _rest:
    # A scope whose rate is None is not throttled (DRF).
    _rates = dict.fromkeys(_rest["DEFAULT_THROTTLE_RATES"])
    REST_FRAMEWORK = {**_rest, "DEFAULT_THROTTLE_RATES": _rates}
