"""The half of the cost bench (harness/costs.py) that runs inside Django.

    python -m harness.costs_django

starts Django with the settings its environment chose (final/'s, through
harness/bench_settings.py, or the resource service's), then reads jobs from
standard input, one line of JSON each (["requests", {"iterations": 10}]),
and answers each with one line of JSON: its result, or its error. One
process for all of a project's jobs: Django starts once. Times are in
milliseconds. Every request
goes through Django's test Client: the whole middleware stack and DRF, with
no socket and no server in between. The test Client keeps the database
connection open across requests, and so skips the once-per-request health
check that gunicorn's requests make (conn_health_checks: a SELECT 1).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time

import django

# The demo user of every bench request, and the users of the login rows. Not
# secrets: they exist in a throwaway database for the length of one run.
BENCH_USER = ("bench", "bench-password")
LOGIN_USERS = {"pbkdf2": "login-pbkdf2", "argon2": "login-argon2"}
LOGIN_PASSWORD = "correct horse battery staple"  # noqa: S105 (a throwaway user's)

# What a request through the proxy says (final/ in production redirects
# plain http to https): the same header in-process and over HTTP.
PROXIED = {"X-Forwarded-Proto": "https"}


def summary(samples: list[float]) -> dict:
    """Median and 90th percentile (nearest rank) of timings in ms."""
    ordered = sorted(samples)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return {"median": statistics.median(ordered), "p90": p90, "n": len(ordered)}


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def interleaved(calls: dict, iterations: int, warmup: int) -> dict:
    """Run each call once per round, round after round, so that whatever else
    the machine does slows every row alike; warm-up rounds are not kept."""
    samples = {name: [] for name in calls}
    for round_ in range(warmup + iterations):
        for name, call in calls.items():
            took = timed(call)
            if round_ >= warmup:
                samples[name].append(took)
    return {name: summary(values) for name, values in samples.items()}


def queries_of(call) -> int:
    """How many SQL queries one call makes (Django's own counter)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call()
    return len(captured.captured_queries)


def expect(response, status=200):
    """A row that times errors measures nothing: stop, and say what came back."""
    if response.status_code != status:
        raise RuntimeError(
            f"{response.request['PATH_INFO']} answered {response.status_code}, "
            f"not {status}: {response.content[:300]!r}"
        )
    return response


# --- jobs for final/ (harness/bench_settings.py) -------------------------------


def prepare() -> dict:
    """Migrate the bench's database; add the bench user and the login users.

    The bench user's password uses the harness's quick PBKDF2 (harness/
    hashers.py: no request row checks a password). The login users' use
    the hashers the login rows compare, at their own settings."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import (
        Argon2PasswordHasher,
        PBKDF2PasswordHasher,
        make_password,
    )
    from django.core.management import call_command
    from django.db import connections

    from accounts.tokens import tokens_for
    from notes.models import Note

    call_command("migrate", verbosity=0, interactive=False)
    User = get_user_model()
    username, password = BENCH_USER
    user = User.objects.create_user(username=username, password=password)
    Note.objects.bulk_create(
        Note(owner=user, title=f"note {i}", body="a few words") for i in range(5)
    )
    for kind, hasher in (
        ("pbkdf2", PBKDF2PasswordHasher()),
        ("argon2", Argon2PasswordHasher()),
    ):
        encoded = make_password(LOGIN_PASSWORD, hasher=hasher)
        User.objects.create(username=LOGIN_USERS[kind], password=encoded)
    # A real refresh token's length: the filler rows' token text is as long.
    length = len(tokens_for(user)["refresh"])
    connections.close_all()  # the database is copied next: no one may be in it
    return {"refresh_token_length": length}


def _login(client, username, password) -> dict:
    response = client.post(
        "/api/token/",
        {"username": username, "password": password},
        content_type="application/json",
        headers=PROXIED,
    )
    return expect(response).json()


def requests(iterations: int, warmup: int) -> dict:
    """Rows (1) to (3), in-process, and the queries of each; what one login
    and one refresh query; and two parts that explain the rows: one database
    round trip, and checking an access token's signature and claims."""
    from django.db import connection
    from django.test import Client
    from rest_framework_simplejwt.tokens import AccessToken

    client = Client()
    tokens = _login(client, *BENCH_USER)
    bearer = {**PROXIED, "Authorization": f"Bearer {tokens['access']}"}

    def get(path):
        return lambda: expect(client.get(path, headers=bearer))

    rows = {
        "open": get("/api/hello/"),
        "plain_jwt": get("/bench/protected-plain-jwt/"),
        "final": get("/api/protected/"),
        "final_notes": get("/api/notes/"),
    }
    result = interleaved(rows, iterations, warmup)
    for name, call in rows.items():
        result[name]["queries"] = queries_of(call)

    def refresh():
        answer = client.post(
            "/api/token/refresh/",
            {"refresh": tokens["refresh"]},
            content_type="application/json",
            headers=PROXIED,
        )
        tokens.update(expect(answer).json())

    result["queries"] = {
        "login": queries_of(lambda: _login(client, *BENCH_USER)),
        "refresh": queries_of(refresh),
    }

    def round_trip():
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()

    from django.contrib.auth import get_user_model

    user_id = AccessToken(tokens["access"])["user_id"]
    parts = {
        "round_trip": round_trip,
        # What each authenticated request asks first, through the ORM:
        # the SQL built, sent with its parameter, planned, the row made a User.
        "user_query": lambda: get_user_model().objects.get(pk=user_id),
        "token_check": lambda: AccessToken(tokens["access"]),
    }
    result["parts"] = interleaved(parts, iterations, warmup)
    settings = connection.settings_dict
    result["database"] = {
        "vendor": connection.vendor,
        "version": connection.pg_version,  # e.g. 150014: 15.14
        "conn_max_age": settings["CONN_MAX_AGE"],
        "health_checks": settings["CONN_HEALTH_CHECKS"],
    }
    return result


def logins(iterations: int, warmup: int) -> dict:
    """PBKDF2 at Django's defaults against Argon2id at final/'s settings:
    the password check alone, and the whole POST /api/token/.

    The check alone calls each hasher's verify() on a stored hash. The
    whole login runs under each PASSWORD_HASHERS in turn: Django's default
    list (PBKDF2 first) and final/'s own (Argon2id first), so that neither
    user's hash is "outdated" and rehashed during the login."""
    import importlib

    from django.conf import global_settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import (
        Argon2PasswordHasher,
        PBKDF2PasswordHasher,
    )
    from django.test import Client, override_settings

    final = importlib.import_module(os.environ["TUTORIAL_PROJECT_SETTINGS"])
    lists = {
        "pbkdf2": global_settings.PASSWORD_HASHERS,
        "argon2": final.PASSWORD_HASHERS,
    }
    hashers = {"pbkdf2": PBKDF2PasswordHasher(), "argon2": Argon2PasswordHasher()}
    stored = {
        kind: get_user_model().objects.get(username=LOGIN_USERS[kind]).password
        for kind in hashers
    }
    client = Client()

    def check(kind):
        def run():
            if not hashers[kind].verify(LOGIN_PASSWORD, stored[kind]):
                raise RuntimeError(f"{kind}: the stored hash does not match")

        return run

    def login(kind):
        def run():
            with override_settings(PASSWORD_HASHERS=lists[kind]):
                _login(client, LOGIN_USERS[kind], LOGIN_PASSWORD)

        return run

    calls = {f"check_{kind}": check(kind) for kind in hashers}
    calls.update({f"login_{kind}": login(kind) for kind in hashers})
    result = interleaved(calls, iterations, warmup)
    result["settings"] = {
        "pbkdf2_iterations": hashers["pbkdf2"].iterations,
        "argon2": {
            "time_cost": Argon2PasswordHasher.time_cost,
            "memory_cost_kib": Argon2PasswordHasher.memory_cost,
            "parallelism": Argon2PasswordHasher.parallelism,
        },
        "final_hashers": list(final.PASSWORD_HASHERS[:1]),
    }
    return result


def flush() -> dict:
    """`manage.py flushexpiredtokens`'s own work, in this running Django:
    call_command, so no start-up and no system checks. Its SQL statements
    are counted (not kept: at 10^6 tokens they list a million ids), and its
    process's peak memory is read before and after."""
    import resource

    from django.core.management import call_command
    from django.db import connection

    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with connection.execute_wrapper(count):
        took = timed(lambda: call_command("flushexpiredtokens"))
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": took / 1000,
        "statements": statements,
        "peak_mib": peak_after / 1024,  # Linux: ru_maxrss is in KiB
        "peak_mib_before": peak_before / 1024,
    }


# --- a job for the resource service (its own settings) --------------------------


def whoami(access: str, iterations: int, warmup: int) -> dict:
    """Row (4), in-process: the resource service checks the token with the
    key set it fetched from final/'s JWKS (once, during the warm-up) and
    makes its user from the claims. It has no database: no query at all."""
    from django.test import Client

    client = Client(headers={"Host": "127.0.0.1"})  # its ALLOWED_HOSTS
    bearer = {"Authorization": f"Bearer {access}"}
    rows = {"resource": lambda: expect(client.get("/api/whoami/", headers=bearer))}
    result = interleaved(rows, iterations, warmup)
    result["resource"]["queries"] = 0  # DATABASES = {} (service/settings.py)
    return result


JOBS = {
    "prepare": prepare,
    "requests": requests,
    "logins": logins,
    "flush": flush,
    "whoami": whoami,
}

if __name__ == "__main__":
    django.setup()
    answers = sys.stdout
    sys.stdout = sys.stderr  # whatever else prints must not break the answers
    for line in sys.stdin:
        job, arguments = json.loads(line)
        try:
            answer = {"result": JOBS[job](**arguments)}
        except Exception:
            import traceback

            answer = {"error": traceback.format_exc()}
        print(json.dumps(answer), file=answers, flush=True)
