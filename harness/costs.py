"""`make bench`: what each check of final/ costs, as ratios measured side by side.

One run starts a throwaway PostgreSQL, two gunicorns of final/ (one on a
revocation store of 10^3 tokens, one on 10^6) and one of the resource
service, all on 127.0.0.1 and free ports, and stops them by the process ids
it started. Then it times, and prints beside the targets:

- a request, in-process (Django's test Client: no socket, no server) and
  over HTTP (gunicorn, PostgreSQL, persistent database connections), for:
  (1) an open DRF view, the reference; (2) simplejwt's own
  JWTAuthentication on a protected view; (3) final/'s full path,
  SessionJWTAuthentication with every revocation check on; (4) the
  stateless resource service, checking tokens with final/'s JWKS;
- a login: Django's default PBKDF2 against final/'s Argon2id;
- the revocation store as it grows: refresh and a protected request at 10^3
  and 10^6 outstanding tokens, and `manage.py flushexpiredtokens` at each.

Rows are measured in rounds, one request of each row per round, so that
whatever else the machine is doing slows every row alike: the ratios are
steadier than the times. A benchmark, not a test: it measures and prints,
and asserts nothing (a request that fails stops it, since its time would
mean nothing). `python -m harness bench costs --tiny` runs it with a few
iterations and small tables: the test of the bench does (tests/repo/).

final/ runs in production mode (DEBUG off, https expected from a proxy: the
requests say X-Forwarded-Proto: https), with keys made for this run, through
harness/bench_settings.py: final/'s own settings, plus one bench-only view
for row (2). Two changes from final/ as deployed, said in the output too:
passwords use the harness's quick PBKDF2 except in the login rows, which
use the real hashers; and the throttles are off (a sequential client would
hit the login and refresh rates within seconds).
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import platform
import secrets
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from harness import postgres
from harness.costs_django import interleaved  # rounds of rows, as in-process
from harness.net import TIMEOUT, free_port, wait_for_http
from harness.pipes import LineProcess
from harness.project import Project, clean_environ, new_private_key
from harness.registry import ROOT

FINAL = ROOT / "final"
RESOURCE = FINAL / "resource_service"
GUNICORN_CONFIG = FINAL / "gunicorn.conf.py"
PROXIED = {"X-Forwarded-Proto": "https"}  # as nginx would say (production mode)
BENCH_USER = ("bench", "bench-password")  # harness/costs_django.py made it


@dataclass(frozen=True)
class Sizes:
    requests: int  # timed rounds of the request rows (in-process, and HTTP)
    warmup: int  # rounds before those, not kept
    logins: int  # timed rounds of the login rows
    login_warmup: int
    refreshes: int  # timed rounds of the revocation store's rows
    tokens: tuple[int, int]  # outstanding tokens: the small store, the large


FULL = Sizes(
    requests=1000,
    warmup=100,
    logins=11,
    login_warmup=1,
    refreshes=300,
    tokens=(10**3, 10**6),
)
TINY = Sizes(
    requests=3, warmup=1, logins=1, login_warmup=0, refreshes=3, tokens=(10, 100)
)

# The targets: (what, the ratio it must stay under).
TARGETS = {
    "request": "final/'s protected request over HTTP <= 1.5x the open view",
    "login": "Argon2id login <= 0.6x PBKDF2's at Django's defaults",
    "store": "refresh at the large store <= 1.2x at the small",
}
LIMITS = {"request": 1.5, "login": 0.6, "store": 1.2}


STARTED = time.monotonic()


def say(text: str) -> None:
    """Progress, on standard error (standard output is the table), with the
    seconds since the bench started."""
    print(f"[{time.monotonic() - STARTED:5.1f} s] {text}", file=sys.stderr, flush=True)


# --- the environments -----------------------------------------------------------


def final_env(database_url: str, keys: dict) -> dict:
    """final/ in production mode on `database_url`, through bench_settings.

    DATABASE_URL, not harness.settings' TUTORIAL_DATABASE_URL: final/'s own
    dj_database_url.config() reads it, with conn_max_age=600 and the health
    checks, exactly as deployed (the wrapper's parse() would drop both)."""
    env = clean_environ()
    env.update(Project.at(FINAL).env(hasher="quick", throttle="off", full=False))
    env.update(
        keys,
        DJANGO_SETTINGS_MODULE="harness.bench_settings",
        DJANGO_ENV="production",
        DATABASE_URL=database_url,
        # The test Client's host is "testserver"; gunicorn's is 127.0.0.1.
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        # The run outlasts the default 5 minutes: one access token throughout.
        ACCESS_TOKEN_SECONDS="3600",  # noqa: S106 (a lifetime, not a password)
    )
    return env


def resource_env(auth_url: str) -> dict:
    return {
        **clean_environ(),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "service.settings",
        "DJANGO_ENV": "production",
        "AUTH_SERVICE_URL": auth_url,
    }


class DjangoProcess:
    """harness/costs_django.py in a process of its own, with `env`'s
    settings: run(job, ...) sends it a job and returns the job's result.
    Stopped by its id (close: its standard input ends, and so does it)."""

    def __init__(self, env: dict, cwd: Path):
        self.process = LineProcess(
            [sys.executable, "-m", "harness.costs_django"], cwd, env
        )

    def run(self, job: str, **arguments) -> dict:
        line = self.process.ask(json.dumps([job, arguments]))
        if not line:
            raise RuntimeError(f"{job}: the Django process exited")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"{job} failed:\n{answer['error']}")
        return answer["result"]

    def close(self) -> None:
        self.process.close()


# --- servers and a client -------------------------------------------------------


class Gunicorn:
    """gunicorn with final/'s config file (its timeouts, its access log) and
    one worker, on a free port; stopped by the process id it started.

    One worker: the bench sends one request at a time. final/'s config runs
    gunicorn's default sync worker, which closes every connection after its
    answer (it expects a proxy in front): so every HTTP row pays for a TCP
    connection to 127.0.0.1, as each request from nginx would."""

    def __init__(self, name: str, cwd: Path, app: str, env: dict, folder: Path):
        self.name, self.cwd, self.app = name, cwd, app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        self.env["WEB_CONCURRENCY"] = "1"
        self.log_path = folder / f"gunicorn-{name}.log"
        self.process: subprocess.Popen | None = None

    def launch(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    str(GUNICORN_CONFIG),
                    self.app,
                ],
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a group of its own: master and worker
            )

    def wait(self, ready: str) -> None:
        """Until `ready` answers: a redirect to https (production mode, no
        proxy header) is an answer too."""
        try:
            wait_for_http(
                self.url + ready, 60, alive=lambda: self.process.poll() is None
            )
        except (RuntimeError, TimeoutError):
            self.stop()
            raise RuntimeError(f"{self.name} did not start:\n{self.log()}") from None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)  # our own group: master and worker
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class Connection:
    """A sequential HTTP/1.1 client on one connection, reopened only when the
    server closes it. http.client, not requests: less time in the client, so
    the ratios say more about the server."""

    def __init__(self, url: str, headers: dict | None = None):
        host, port = url.removeprefix("http://").split(":")
        self.http = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
        self.headers = {**PROXIED, **(headers or {})}

    def send(self, method: str, path: str, body=None, status: int = 200) -> dict:
        data = json.dumps(body).encode() if body is not None else None
        headers = {**self.headers}
        if data is not None:
            headers["Content-Type"] = "application/json"
        self.http.request(method, path, data, headers)
        answer = self.http.getresponse()
        content = answer.read()
        if answer.will_close:
            self.http.close()  # the next request connects again
        if answer.status != status:
            raise RuntimeError(f"{method} {path}: {answer.status}, {content[:300]!r}")
        return json.loads(content) if content else {}

    def close(self) -> None:
        self.http.close()


# --- the revocation store, filled with SQL ------------------------------------------

FILLER_USERS = 1000  # the tokens' owners: a store that many users share

ADD_USERS = """
INSERT INTO accounts_user (password, is_superuser, username, first_name,
                           last_name, email, is_staff, is_active, date_joined)
SELECT '!', false, 'filler-' || i, '', '', '', false, true, now()
FROM generate_series(1, %(users)s) AS i
"""

# What final/ keeps per login (accounts/models.py, tokens.py): a LoginSession
# row; then, for the login and each rotation, an OutstandingToken row
# (simplejwt, the whole token in it), and for each token rotated out or
# logged out, a BlacklistedToken row. The filler: sessions of four tokens
# on average, three of them rotated out (blacklisted), half of the
# sessions logged out; issued evenly over the last 60 days with a lifetime
# of a day (final/'s REFRESH_TOKEN_LIFETIME), so most have expired, as in a
# store nobody has flushed for two months.
FILL = [
    """
    INSERT INTO token_blacklist_outstandingtoken
        (user_id, jti, token, created_at, expires_at)
    SELECT %(first_user)s + i %% %(users)s,
           replace(gen_random_uuid()::text, '-', ''),  -- as uuid4().hex
           repeat('x', %(length)s),  -- as long as a real refresh token
           now() - (%(tokens)s - i) * %(span)s / %(tokens)s,
           now() - (%(tokens)s - i) * %(span)s / %(tokens)s + %(lifetime)s
    FROM generate_series(1, %(tokens)s) AS i
    """,
    """
    INSERT INTO token_blacklist_blacklistedtoken (token_id, blacklisted_at)
    SELECT id, created_at + interval '1 hour'
    FROM token_blacklist_outstandingtoken
    WHERE id > %(last_id)s AND id %% 4 <> 0
    """,
    """
    INSERT INTO accounts_loginsession (id, user_id, started_at, ended_at, end_reason)
    SELECT gen_random_uuid(), %(first_user)s + s %% %(users)s, started,
           CASE WHEN s %% 2 = 0 THEN started + interval '1 hour' END,
           CASE WHEN s %% 2 = 0 THEN 'logout' ELSE '' END
    FROM (SELECT s, now() - (%(sessions)s - s) * %(span)s / %(sessions)s AS started
          FROM generate_series(1, %(sessions)s) AS s) AS series
    """,
]
STORE_TABLES = (
    "token_blacklist_outstandingtoken",
    "token_blacklist_blacklistedtoken",
    "accounts_loginsession",
)


def fill(url: str, tokens: int, token_length: int) -> float:
    """Add `tokens` outstanding tokens (and their blacklist and session
    rows) in a few INSERT ... SELECT generate_series; the seconds it took."""
    import psycopg

    started = time.monotonic()
    with psycopg.connect(url) as db:
        # The rows are made consistent: skip the foreign-key triggers (one
        # lookup per row), a superuser's switch for bulk loads like this one.
        db.execute("SET LOCAL session_replication_role = replica")
        first_user = db.execute(
            "SELECT min(id) FROM accounts_user WHERE username LIKE 'filler-%%'"
        ).fetchone()[0]
        last_id = db.execute(
            "SELECT coalesce(max(id), 0) FROM token_blacklist_outstandingtoken"
        ).fetchone()[0]
        values = {
            "first_user": first_user,
            "users": FILLER_USERS,
            "tokens": tokens,
            "sessions": max(1, tokens // 4),
            "last_id": last_id,
            "length": token_length,
            "span": timedelta(days=60),
            "lifetime": timedelta(days=1),
        }
        for statement in FILL:
            db.execute(statement, values)
    # As autovacuum soon would: statistics for the planner, the visibility map.
    with psycopg.connect(url, autocommit=True) as db:
        for table in STORE_TABLES:
            db.execute(f"VACUUM (ANALYZE) {table}")
    return time.monotonic() - started


def counts(url: str) -> dict:
    """Rows in each table of the revocation store, and expired tokens."""
    import psycopg

    with psycopg.connect(url) as db:
        found = {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (our names)
            for table in STORE_TABLES
        }
        found["expired"] = db.execute(
            "SELECT count(*) FROM token_blacklist_outstandingtoken"
            " WHERE expires_at <= now()"
        ).fetchone()[0]
    return found


def sessions_opened(url: str, database: str) -> int:
    """Connections ever opened to `database` (PostgreSQL 14 on counts them)."""
    import psycopg

    with psycopg.connect(url) as db:
        query = "SELECT sessions FROM pg_stat_database WHERE datname = %s"
        return db.execute(query, [database]).fetchone()[0]


# --- the run ------------------------------------------------------------------


def measure(sizes: Sizes) -> dict:
    """Everything the table prints, as numbers."""
    import psycopg

    small_n, large_n = sizes.tokens
    keys = {
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_PRIVATE_KEY": new_private_key(),
    }
    results: dict = {"sizes": sizes}
    with contextlib.ExitStack() as stack:
        folder = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="jwt-bench-"))
        )
        pg = stack.enter_context(postgres.Postgres())
        small_url, large_url = pg.create("small"), pg.url("large")
        small_env, large_env = final_env(small_url, keys), final_env(large_url, keys)
        # final/ in-process: on "small", and on "large" (for its flush only).
        inside = DjangoProcess(small_env, FINAL)
        stack.callback(inside.close)
        inside_large = DjangoProcess(large_env, FINAL)
        stack.callback(inside_large.close)

        say("migrating final/ on PostgreSQL, adding the users ...")
        length = inside.run("prepare")["refresh_token_length"]
        with psycopg.connect(small_url, autocommit=True) as db:
            db.execute(ADD_USERS, {"users": FILLER_USERS})
        with psycopg.connect(pg.url("postgres"), autocommit=True) as db:
            db.execute('CREATE DATABASE "large" TEMPLATE "small"')  # a copy
        say(f"filling the revocation stores ({small_n:,} and {large_n:,}) ...")
        results["fill"] = {
            "small": fill(small_url, small_n, length),
            "large": fill(large_url, large_n, length),
        }
        results["rows"] = {"small": counts(small_url), "large": counts(large_url)}

        say("starting gunicorn: final/ twice, the resource service ...")
        small = Gunicorn("final-small", FINAL, "config.wsgi", small_env, folder)
        large = Gunicorn("final-large", FINAL, "config.wsgi", large_env, folder)
        resource = Gunicorn(
            "resource", RESOURCE, "service.wsgi", resource_env(small.url), folder
        )
        for server in (small, large, resource):  # they start side by side
            stack.callback(server.stop)
            server.launch()
        small.wait("/api/hello/")
        large.wait("/api/hello/")
        resource.wait("/api/whoami/")

        say("requests, in-process ...")
        rounds = {"iterations": sizes.requests, "warmup": sizes.warmup}
        results["inprocess"] = inside.run("requests", **rounds)
        login = Connection(small.url).send("POST", "/api/token/", dict_of(BENCH_USER))
        access = login["access"]
        stateless = DjangoProcess(resource_env(small.url), RESOURCE)
        stack.callback(stateless.close)
        results["inprocess"].update(stateless.run("whoami", access=access, **rounds))

        say("requests, over HTTP ...")
        bearer = {"Authorization": f"Bearer {access}"}
        to_final = Connection(small.url, bearer)
        to_resource = Connection(resource.url, bearer)
        rows = {
            "open": lambda: to_final.send("GET", "/api/hello/"),
            "plain_jwt": lambda: to_final.send("GET", "/bench/protected-plain-jwt/"),
            "final": lambda: to_final.send("GET", "/api/protected/"),
            "final_notes": lambda: to_final.send("GET", "/api/notes/"),
            "resource": lambda: to_resource.send("GET", "/api/whoami/"),
        }
        before = sessions_opened(small_url, "small")
        results["http"] = interleaved(rows, sizes.requests, sizes.warmup)
        results["http_connections"] = sessions_opened(small_url, "small") - before

        say("logins, PBKDF2 and Argon2id ...")
        results["logins"] = inside.run(
            "logins", iterations=sizes.logins, warmup=sizes.login_warmup
        )

        say("the revocation store, small and large, side by side ...")
        results["store"] = store_rows(small, large, sizes)

        say("flushexpiredtokens ...")
        for server in (small, large):
            server.stop()  # cron would run it beside the servers; here, alone
        results["rows_before_flush"] = {
            "small": counts(small_url),
            "large": counts(large_url),
        }
        results["flush"] = {
            "small": inside.run("flush"),
            "large": inside_large.run("flush"),
        }
        results["rows_after"] = {"small": counts(small_url), "large": counts(large_url)}
    return results


def dict_of(user: tuple[str, str]) -> dict:
    return {"username": user[0], "password": user[1]}


def store_rows(small: Gunicorn, large: Gunicorn, sizes: Sizes) -> dict:
    """Refresh (rotation: the old token blacklisted, a new one recorded) and
    final/'s protected request, on each store, round after round."""
    calls = {}
    for name, server in (("small", small), ("large", large)):
        client = Connection(server.url)
        tokens = client.send("POST", "/api/token/", dict_of(BENCH_USER))
        reader = Connection(server.url, {"Authorization": f"Bearer {tokens['access']}"})

        def refresh(client=client, tokens=tokens):
            # Each refresh uses the newest token, as a client does.
            tokens.update(client.send("POST", "/api/token/refresh/", tokens))

        calls[f"refresh_{name}"] = refresh
        calls[f"request_{name}"] = lambda reader=reader: reader.send(
            "GET", "/api/protected/"
        )
    return interleaved(calls, sizes.refreshes, sizes.warmup)


# --- the table ------------------------------------------------------------------


def power(n: int) -> str:
    """10^6 for 1000000; 1,234 otherwise."""
    text = str(n)
    if text.startswith("1") and set(text[1:]) == {"0"}:
        return f"10^{len(text) - 1}"
    return f"{n:,}"


def ms(stat: dict) -> str:
    return f"{stat['median']:7.2f} ({stat['p90']:.2f})"


def verdict(ratio: float, limit: float) -> str:
    if ratio <= limit:
        return f"met (limit {limit}x)"
    over = (ratio / limit - 1) * 100
    return f"MISSED by {ratio - limit:.2f}x ({over:.0f}% over {limit}x)"


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}"


REQUEST_ROWS = [
    ("open", "(1) open DRF view, AllowAny", "GET /api/hello/"),
    ("plain_jwt", "(2) simplejwt JWTAuthentication", "GET /bench/protected-plain-jwt/"),
    ("final", "(3) final/: SessionJWTAuthentication", "GET /api/protected/"),
    ("final_notes", "    the same, on a real endpoint", "GET /api/notes/"),
    ("resource", "(4) resource service, stateless", "GET /api/whoami/"),
]


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def key_number(key: str) -> str:
    """(2) for "plain_jwt": the number its row has in the table."""
    label = next(label for k, label, _ in REQUEST_ROWS if k == key)
    return label.split()[0]


def table(r: dict, seconds: float) -> str:
    sizes = r["sizes"]
    small_n, large_n = sizes.tokens
    db = r["inprocess"]["database"]
    inp, web = r["inprocess"], r["http"]
    out = []
    add = out.append

    def note(text):  # prose under a table, wrapped
        out.extend(
            textwrap.wrap(text, 100, initial_indent="  ", subsequent_indent="  ")
        )

    add(f"What each check costs. Machine: {machine()}")
    note(
        f"PostgreSQL {db['version'] // 10000}.{db['version'] % 10000}, CONN_MAX_AGE="
        f"{db['conn_max_age']}, health checks {'on' if db['health_checks'] else 'off'}"
        " (final/'s settings); gunicorn, 1 sync worker (final/gunicorn.conf.py)."
    )
    note(
        "final/ in production mode (DEBUG off), keys made for this run; throttles"
        " off; passwords: the harness's quick PBKDF2, but for the login rows."
    )
    add("")
    add(
        f"Per request: median of {sizes.requests} in ms (p90), and x the open view."
        " queries: SQL per request, counted in-process"
    )
    add(f"  {'':38} {'':31} {'in-process':>22} {'over HTTP':>22}  queries")
    for key, label, path in REQUEST_ROWS:
        ratio_in = inp[key]["median"] / inp["open"]["median"]
        ratio_web = web[key]["median"] / web["open"]["median"]
        add(
            f"  {label:<38} {path:<31} {ms(inp[key]):>15} {ratio_in:5.2f}x"
            f" {ms(web[key]):>15} {ratio_web:5.2f}x  {inp[key]['queries']:>4}"
        )
    parts = {name: stat["median"] for name, stat in inp["parts"].items()}
    note(
        f"Parts, in-process: a database round trip (SELECT 1)"
        f" {parts['round_trip']:.3f} ms; the user loaded by its id through the ORM"
        f" {parts['user_query']:.3f} ms; an access token's RS256 signature and"
        f" claims checked {parts['token_check']:.3f} ms."
    )
    for key in ("plain_jwt", "final"):
        # How much of a row's time over the open view the parts account for.
        extra = inp[key]["median"] - inp["open"]["median"]
        queries = inp[key]["queries"]
        explained = parts["token_check"] + queries * parts["user_query"]
        note(
            f"Row {key_number(key)}: {extra:.2f} ms more than (1) in-process; its"
            f" token check and {plural(queries, 'query', 'queries')} (at the user"
            " query's cost) make"
            f" {explained:.2f} ms of that; everything else on the path (DRF's"
            f" authenticator and permission, the view) {extra - explained:.2f} ms."
        )
    note(
        "Over HTTP, a request that queries also runs Django's health check first"
        " (a SELECT 1 per request: conn_health_checks). Each HTTP request opens a TCP"
        " connection: gunicorn's sync worker closes every one."
    )
    note(
        "Row (4) runs a smaller Django (two middlewares, no sessions, no database):"
        " its ratio compares two stacks as well as two checks."
    )
    note(
        f"PostgreSQL connections opened during the HTTP rows: {r['http_connections']}"
        " (persistent: one per worker, if any)."
    )
    add("")
    logins = r["logins"]
    settings = logins["settings"]
    argon2 = settings["argon2"]
    add(f"Login: median of {sizes.logins} in ms (p90), and x PBKDF2")
    login_rows = [
        ("PBKDF2-SHA256, Django's default", "pbkdf2"),
        ("Argon2id, final/'s settings", "argon2"),
    ]
    add(f"  {'':52} {'password check':>23} {'POST /api/token/':>23}")
    for label, kind in login_rows:
        check, whole = logins[f"check_{kind}"], logins[f"login_{kind}"]
        check_ratio = check["median"] / logins["check_pbkdf2"]["median"]
        whole_ratio = whole["median"] / logins["login_pbkdf2"]["median"]
        add(
            f"  {label:<52} {ms(check):>16} {check_ratio:5.2f}x"
            f" {ms(whole):>16} {whole_ratio:5.2f}x"
        )
    note(
        f"PBKDF2: {settings['pbkdf2_iterations']:,} iterations. Argon2id:"
        f" time_cost {argon2['time_cost']}, memory {argon2['memory_cost_kib'] // 1024}"
        f" MiB, parallelism {argon2['parallelism']} (Django's, which final/ keeps)."
        f" A login makes {inp['queries']['login']} queries; a refresh"
        f" {inp['queries']['refresh']}."
    )
    add("")
    store = r["store"]
    add(
        f"The revocation store as it grows: over HTTP, median of {sizes.refreshes}"
        " in ms (p90)"
    )
    small_label, large_label = f"{power(small_n)} tokens", f"{power(large_n)} tokens"
    add(f"  {'':52} {small_label:>21} {large_label:>21}   ratio")
    for key, label in (
        ("refresh", "POST /api/token/refresh/ (rotate: blacklist + record)"),
        ("request", "GET /api/protected/ (final/'s full path)"),
    ):
        small, large = store[f"{key}_small"], store[f"{key}_large"]
        ratio = large["median"] / small["median"]
        add(f"  {label:<52} {ms(small):>21} {ms(large):>21}  {ratio:5.2f}x")

    def line(label, values):
        add(f"  {label:<52} {values[0]:>21} {values[1]:>21}")

    def each(key, show):
        return [show(r[key][name]) for name in ("small", "large")]

    line(
        "filled in, with SQL (INSERT ... SELECT)", each("fill", lambda s: f"{s:.1f} s")
    )
    for table_name, label in (
        ("token_blacklist_outstandingtoken", "outstanding tokens (simplejwt)"),
        ("token_blacklist_blacklistedtoken", "blacklisted tokens (simplejwt)"),
        ("accounts_loginsession", "login sessions (final/'s LoginSession)"),
    ):
        line(
            f"{label}, after filling",
            each("rows", lambda c, t=table_name: f"{c[t]:,}"),
        )
    line(
        "  of the outstanding: expired, before the flush",
        each("rows_before_flush", lambda c: f"{c['expired']:,}"),
    )
    line(
        "flushexpiredtokens (call_command: no start-up)",
        each("flush", lambda f: f"{f['seconds']:.2f} s"),
    )
    line(
        "  its SQL statements; peak memory (MiB, before it)",
        each(
            "flush",
            lambda f: (
                f"{f['statements']:,}; {f['peak_mib']:,.0f} "
                f"({f['peak_mib_before']:,.0f})"
            ),
        ),
    )
    for table_name, label in (
        ("token_blacklist_outstandingtoken", "outstanding tokens"),
        ("token_blacklist_blacklistedtoken", "blacklisted tokens"),
        ("accounts_loginsession", "login sessions"),
    ):
        line(
            f"  {label}: before the flush -> after",
            [
                f"{r['rows_before_flush'][n][table_name]:,} -> "
                f"{r['rows_after'][n][table_name]:,}"
                for n in ("small", "large")
            ],
        )
    note(
        "flushexpiredtokens deletes expired outstanding tokens and their blacklist"
        " rows. Nothing deletes final/'s LoginSession rows: they grow with every login."
        " The command is one QuerySet.delete(): a blacklist row cascades from each"
        " token, so Django first reads every expired row, its whole token text"
        " too, into memory, then deletes by batches of ids (the statements and"
        " the memory above). As a cron job, `manage.py flushexpiredtokens` adds"
        " Django's start-up and system checks (a few seconds)."
    )
    add("")
    request_ratio = web["final"]["median"] / web["open"]["median"]
    login_ratio = logins["login_argon2"]["median"] / logins["login_pbkdf2"]["median"]
    store_ratio = store["refresh_large"]["median"] / store["refresh_small"]["median"]
    add("Targets")
    for key, ratio in (
        ("request", request_ratio),
        ("login", login_ratio),
        ("store", store_ratio),
    ):
        add(f"  {TARGETS[key]:<62} {ratio:5.2f}x  {verdict(ratio, LIMITS[key])}")
    notes_ratio = web["final_notes"]["median"] / web["open"]["median"]
    note(
        f"(GET /api/notes/ over HTTP: {notes_ratio:.2f}x the open view; its"
        f" {inp['final_notes']['queries']} queries include the notes' own)"
    )
    add("")
    add(f"The cost bench took {seconds:.0f} s.")
    return "\n".join(out)


RECORD = ROOT / "docs" / "measured" / "bench.json"


def record(results: dict, seconds: float, path: Path = RECORD) -> None:
    """Keep a run's numbers, with the machine and the day, where TUTORIAL.md's
    "What each check costs" takes them from (harness/claims.py): a number
    the prose states is one this file holds, and `make docs` says when they
    differ. Only a full run is kept (`--tiny`'s numbers mean nothing)."""
    kept = {
        **results,
        "sizes": dataclasses.asdict(results["sizes"]),
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "seconds": round(seconds, 1),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(kept, indent=1, sort_keys=True) + "\n")


def main(tiny: bool = False, keep: bool = False) -> int:
    why = postgres.missing()
    if why:
        print(f"The cost bench needs PostgreSQL: {why}")
        return 1
    if keep and tiny:
        print("--record keeps a full run only: leave out --tiny")
        return 2
    started = time.monotonic()
    results = measure(TINY if tiny else FULL)
    seconds = time.monotonic() - started
    print(table(results, seconds))
    if keep:
        record(results, seconds)
        kept = RECORD.relative_to(ROOT)
        print(f"Kept in {kept}: `make docs` takes TUTORIAL.md's numbers from it.")
    return 0
