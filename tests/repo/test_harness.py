"""The tooling itself: servers, diffs, `make step-N` and `make check`."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from harness import diff
from harness.net import Client, free_port, room_address, wait_for_http
from harness.project import Project, ProjectError
from harness.registry import ROOT, load
from harness.server import Server

REGISTRY = load()


def http(method, url, body=None, headers=None):
    """(status, JSON body) of one request, through the harness's client."""
    with Client(url) as client:
        response = client.request(method, url, json=body, headers=headers)
        return response.status_code, response.json()


def harness(*args):
    """Run `python -m harness ARGS` as a learner would, and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def is_listening(port):
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_a_server_starts_answers_and_stops_by_its_pid():
    with Server(Project.at(REGISTRY.step(1).path)) as server:
        pid = server.process.pid
        assert http("GET", server.url + "/api/hello/") == (
            200,
            {"message": "Hello, world!"},
        )
    assert not is_listening(server.port)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_free_ports_are_free():
    port = free_port()
    assert not is_listening(port)


def test_settings_module_is_read_from_manage_py():
    assert Project.at(REGISTRY.step(4).path).settings_module == "config.settings"
    assert Project.at(REGISTRY.final.path).settings_module == "config.settings"
    with pytest.raises(ProjectError, match="no manage.py"):
        Project.at(ROOT / "tests")


def test_the_step_04_lesson_is_one_setting():
    """`make diff-4` shows the guide's fix, and nothing else."""
    text = diff.between(REGISTRY.step(3), REGISTRY.step(4))
    changed = [line for line in text.splitlines() if line.startswith("+++ ")]
    assert changed == ["+++ steps/04-jwt-authentication/config/settings.py"]
    assert (
        '+        "rest_framework_simplejwt.authentication.JWTAuthentication",' in text
    )


def test_diff_ignores_databases_and_caches(tmp_path):
    (tmp_path / "db.sqlite3").write_text("x")
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.pyc").write_text("x")
    (tmp_path / "app.py").write_text("x")
    assert diff.files(tmp_path) == {"app.py"}


@pytest.mark.parametrize(
    "which, server", [("4", "runserver"), ("final", "runserver"), ("15", "gunicorn")]
)
def test_make_step_serves_the_guides_exchange(tmp_path, which, server):
    """`python3 -m harness serve N` (what `make step-N` runs), used with HTTP,
    with nothing set in the environment; from step 15, with gunicorn too
    (`make step-15 SERVER=gunicorn`), whose access log has no query string:
    no token that a careless client put there."""
    port = free_port()
    folder = REGISTRY.step(which).path
    # `make step-N` keeps its database (and final/ its keys) in the project's
    # folder, as it should for a learner; this test removes what it made.
    made = [
        p for p in (folder / "db.sqlite3", folder / ".secrets.json") if not p.exists()
    ]
    log = open(tmp_path / "serve.log", "wb")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JWT_"))}
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "serve", which, "--port", str(port)]
        + ["--server", server],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # runserver's reloader has a child: stop them all
    )
    try:
        base = f"http://127.0.0.1:{port}"
        try:
            wait_for_http(base + "/api/hello/", alive=lambda: process.poll() is None)
        except RuntimeError:
            raise AssertionError((tmp_path / "serve.log").read_text()) from None
        # The line a reader copies into a second terminal, with the real port.
        assert f"export API={base}" in (tmp_path / "serve.log").read_text()
        # "Serving" comes before the server has its port: a line says when it
        # answers (both services, where there are two), for the reader to wait.
        ready = "Ready: {} answers." if which == "4" else "Both services answer: {} and"
        deadline = time.monotonic() + 10
        while ready.format(base) not in (tmp_path / "serve.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.1)
        status, tokens = http(
            "POST", base + "/api/token/", {"username": "user", "password": "pass"}
        )
        assert status == 200 and set(tokens) == {"access", "refresh"}
        auth = {"Authorization": f"Bearer {tokens['access']}"}
        assert http("GET", base + "/api/protected/", headers=auth) == (
            200,
            {"message": "Hello, user! This is a protected view."},
        )
        if server == "gunicorn":
            careless = f"/api/protected/?access_token={tokens['access']}"
            assert http("GET", base + careless, headers=auth)[0] == 200
            time.sleep(0.2)  # the log line is written after the answer
            logged = (tmp_path / "serve.log").read_text()
            assert '"GET /api/protected/" 200' in logged, logged
            assert tokens["access"] not in logged and "access_token" not in logged
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)  # the group of the pid we started
        process.wait(timeout=10)
        log.close()
        for path in made:
            path.unlink(missing_ok=True)


def test_a_missing_step_says_so():
    done = harness("serve", "99")
    assert done.returncode != 0
    assert "step 99 does not exist yet" in done.stderr


@pytest.mark.parametrize(
    "step, copy_of, exit_code, says",
    [
        # A feature whose failing tests all log in with a token is not judged
        # while the project refuses tokens: step 03 has login-required.
        (4, 3, 1, ("✗ jwt-auth", "until jwt-auth works: notes, login-required,")),
        (2, 2, 0, ("3 of 3 features of step 02 work",)),
        # A test that names two features counts against both: step 06 has
        # no signing key of its own, though its tests name secrets first.
        (7, 6, 1, ("✗ hmac-signing-key", "9 of 11 features of step 07 work")),
    ],
)
def test_check_judges_a_learners_project(tmp_path, step, copy_of, exit_code, says):
    """`make check STEP=N DIR=...`: a copy of step 03 fails step 04's check,
    naming what is missing; a project that has it all passes."""
    learner = tmp_path / "my-project"
    shutil.copytree(
        REGISTRY.step(copy_of).path,
        learner,
        ignore=shutil.ignore_patterns("db.sqlite3", "__pycache__"),
    )
    done = harness("check", str(step), str(learner))
    assert done.returncode == exit_code, done.stdout + done.stderr
    for words in says:
        assert words in done.stdout, done.stdout


def test_check_says_why_a_test_failed_in_a_line():
    """`make check` reports a test that stopped on an error (a KeyError
    reading a body) with the answer it had read, an HTML page by its title,
    and a long body only once."""
    from harness.check import explain

    stopped = {
        "message": "KeyError: 'results'",
        "stopped": "KeyError: 'results'",
        "last_answer": 'GET /api/notes/: 403 b\'{"detail":"No."}\'',
    }
    assert explain(stopped, set()) == (
        "The test stopped on KeyError: 'results', reading the answer to"
        ' GET /api/notes/: 403 {"detail":"No."}'
    )
    page = "b'<!doctype html><html><head><title>Not Found</title></head></html>'"
    missing = {"message": f"POST /x/ answered 404, expected 200: {page}"}
    bodies = set()
    assert explain(missing, bodies) == (
        'POST /x/ answered 404, expected 200: an HTML page, "Not Found"'
        " (no such URL in your project's urls.py?)"
    )
    again = {"message": f"POST /x/ answered 404, expected 401: {page}"}
    assert explain(again, bodies).endswith('401: an HTML page, "Not Found"')
    long = "b'" + '{"detail":"' + "x" * 80 + '"}' + "'"
    first = {"message": f"GET /y/ answered 403, expected 200: {long}"}
    assert "xxxx" in explain(first, bodies)
    second = {"message": f"GET /y/ answered 403, expected 401: {long}"}
    assert explain(second, bodies) == (
        "GET /y/ answered 403, expected 401 (the same body as above)"
    )


def test_a_room_is_let_in_except_in_production(monkeypatch):
    """`make step-N HOST=0.0.0.0` accepts any Host for the room in
    development; in production mode (steps 07 on) only the step's own
    ALLOWED_HOSTS, from DJANGO_ALLOWED_HOSTS, as in a real deployment."""
    from harness.serve import room_hosts

    monkeypatch.delenv("DJANGO_ENV", raising=False)
    assert room_hosts(REGISTRY.step(7)) == "*"
    monkeypatch.setenv("DJANGO_ENV", "production")
    assert room_hosts(REGISTRY.step(7)) == ""
    assert room_hosts(REGISTRY.final) == ""
    assert room_hosts(REGISTRY.step(4)) == "*"  # no production mode before 07


def test_a_rooms_browsers_reach_the_collector():
    """`make step-12 HOST=0.0.0.0`: the page of a server for a room sends the
    planted script's reports to the collector at an address the room's
    browsers reach (this machine's, not their own 127.0.0.1), where it
    listens."""
    import json

    from harness.server import Collector

    folder = REGISTRY.step(12).path
    alone = Collector(folder)
    try:
        assert alone.url.startswith("http://127.0.0.1:")
    finally:
        alone.stop()
    room = Collector(folder, host="0.0.0.0")  # noqa: S104
    try:
        assert room.url == f"http://{room_address()}:{room.port}/"
        report = {"page": "a room's browser", "localStorage": {}}
        with Client(room.url) as browser:  # as the planted script's beacon
            assert browser.post(room.url, data=json.dumps(report)).ok
        assert room.wait_for(lambda r: r.get("page") == "a room's browser")
    finally:
        room.stop()


def test_login_says_when_no_server_answers():
    """tutorial.sh's login with nobody at $API: a sentence, not two Python
    tracebacks from field (a reader saw them with the server not up yet);
    and the commands that read the token it did not get say so in one line."""
    script = f"source tutorial.sh >/dev/null; API=http://127.0.0.1:{free_port()}"
    reads = 'header "$ACCESS"; claims "$ACCESS"; lifetime "$ACCESS"'
    done = subprocess.run(
        ["bash", "-c", f'{script}; login user pass; echo "[$ACCESS]"; {reads}'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.stdout.splitlines()[0].startswith("No answer: is the server at")
    assert done.stdout.splitlines()[1:] == ["[]"]
    assert done.stderr.splitlines() == ["Not a token: '' (did the login work?)"] * 3


def test_check_explains_a_folder_that_is_not_a_project(tmp_path):
    done = harness("check", "4", str(tmp_path))
    assert done.returncode == 2
    assert "has no manage.py" in done.stdout


def test_each_server_has_a_database_of_its_own():
    """Servers start from one migrated template, but never share data."""
    project = Project.at(REGISTRY.step(2).path)
    with Server(project) as first, Server(project) as second:
        note = {"title": "only on the first server", "owner": 1}
        assert http("POST", first.url + "/api/notes/", note)[0] == 201
        assert http("GET", first.url + "/api/notes/")[1] != []
        assert http("GET", second.url + "/api/notes/") == (200, [])


def test_check_asks_for_missing_migrations(tmp_path):
    """A learner who forgot `makemigrations` is told so, in those words."""
    learner = tmp_path / "my-project"
    shutil.copytree(REGISTRY.step(2).path, learner)
    (learner / "notes" / "migrations" / "0001_initial.py").unlink()
    done = harness("check", "2", str(learner))
    assert done.returncode == 1
    assert "python manage.py makemigrations" in done.stdout
    assert not (learner / "notes" / "migrations" / "0001_initial.py").exists()


def test_diff_names_new_empty_files(tmp_path):
    """A new app's empty __init__.py files are part of the lesson too."""
    text = diff.between(REGISTRY.step(7), REGISTRY.step(8))
    assert "new empty file steps/08-custom-claims/accounts/__init__.py" in text


def test_check_explains_a_project_that_does_not_start(tmp_path):
    """A settings error is reported as one line, not a traceback."""
    learner = tmp_path / "my-project"
    shutil.copytree(REGISTRY.step(1).path, learner)
    with open(learner / "config" / "settings.py", "a") as settings:
        settings.write("\nimport a_module_that_does_not_exist\n")
    done = harness("check", "1", str(learner))
    assert done.returncode == 1
    assert "Your project does not start: ModuleNotFoundError" in done.stdout


def test_production_mode_has_no_demo_users():
    """DJANGO_ENV=production: no user/pass account waiting to be guessed."""
    import secrets

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    env = {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        # final/ signs with RS256 (step 14): a private key, in PEM.
        "JWT_PRIVATE_KEY": private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode(),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
    }
    with Server(Project.at(REGISTRY.final.path), env=env) as server:
        login = {"username": "user", "password": "pass"}
        # As the proxy in front says of a TLS request (production redirects
        # plain http to https from step 15 on).
        https = {"X-Forwarded-Proto": "https"}
        assert http("POST", server.url + "/api/token/", login, https)[0] == 401


def test_production_mode_refuses_a_database_development_seeded(tmp_path):
    """After a development run, production mode on the same database would
    let user/pass in: start-up refuses it, and says why in one line."""
    import secrets

    from harness.project import run_prepare

    project = Project.at(REGISTRY.step(7).path)
    env = project.env(database=tmp_path / "db.sqlite3", hasher="quick")
    assert run_prepare(project, env).returncode == 0  # development: demo users
    production = {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_SIGNING_KEY": secrets.token_urlsafe(48),
    }
    done = run_prepare(project, {**env, **production})
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert "demo users of development" in last and "user, alice" in last


def test_each_start_gives_the_demo_users_back_their_passwords(tmp_path):
    """`make step-N` prepares the database it keeps: a demo user whose
    password was changed, or who was deactivated, gets the demo password and
    is active again; one left alone keeps its hash (not hashed again)."""
    from harness.project import DEMO_USERS, run_prepare

    project = Project.at(REGISTRY.step(4).path)
    env = project.env(database=tmp_path / "db.sqlite3", hasher="quick")
    assert run_prepare(project, env).returncode == 0
    read = (
        "import django, json; django.setup()\n"
        "from django.contrib.auth import get_user_model\n"
        "users = get_user_model().objects.order_by('username')\n"
        f"demo = dict({DEMO_USERS!r})\n"
        "print(json.dumps({u.username: [u.password, u.is_active,"
        " u.check_password(demo[u.username])] for u in users}))\n"
    )
    change = (
        "import django; django.setup()\n"
        "from django.contrib.auth import get_user_model\n"
        "User = get_user_model()\n"
        "u = User.objects.get(username='user'); u.set_password('changed'); u.save()\n"
        "User.objects.filter(username='alice').update(is_active=False)\n"
    )

    def python(code):
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=project.path,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    import json

    first = json.loads(python(read))
    assert all(active and works for _, active, works in first.values())
    python(change)
    changed = json.loads(python(read))
    assert changed["user"][2] is False and changed["alice"][1] is False
    assert run_prepare(project, env).returncode == 0
    again = json.loads(python(read))
    assert all(active and works for _, active, works in again.values())
    assert again["alice"][0] == first["alice"][0]  # left alone: the same hash
    assert again["user"][0] != changed["user"][0]  # hashed again, the demo way


@pytest.mark.parametrize(
    "step, environment, named",
    [
        # `make step-7` in production mode without keys.
        ("7", "production", "DJANGO_SECRET_KEY"),
        # `DJANGO_ENV=Production make final`: not a value final/ knows.
        ("final", "Production", "DJANGO_ENV"),
    ],
)
def test_a_project_that_refuses_to_start_says_why_in_one_line(step, environment, named):
    """The project's own message, naming the variable, not two tracebacks."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "JWT_"))}
    done = subprocess.run(
        [sys.executable, "-m", "harness", "serve", step, "--port", str(free_port())],
        cwd=ROOT,
        env={**env, "DJANGO_ENV": environment},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert "did not start:" in done.stdout and named in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def plain_pytest(*args, cwd=ROOT):
    """`pytest ARGS` as a learner types it: nothing set in the environment."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "JWT_", "TUTORIAL_", "PYTEST_"))
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_bare_pytest_says_how_to_pick_a_project():
    """`pytest` alone: one line that says what to type, never a traceback."""
    done = plain_pytest()
    assert done.returncode == 4  # pytest's "usage error"
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and "pytest --step 4" in lines[0], lines
    assert "Traceback" not in done.stderr


def test_pytest_runs_one_project_from_the_root():
    """`pytest --step 1` runs step 01's feature tests with its own settings."""
    done = plain_pytest("--step", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout


def test_harness_runs_leave_the_learners_folders_alone(tmp_path, monkeypatch):
    """A notebook's servers (step 14's two services, on a database prepared
    afresh), `pytest --step 7` and `make check` on a step's own folder give
    the projects keys in the environment, throwaway databases, and bytecode
    in .cache/: no .secrets.json, db.sqlite3 or __pycache__ appears in
    steps/ or final/. (`make test` checks the same after every run:
    harness/runner.py.)"""
    from harness import runner, server
    from harness.notebook import connect, connect_resource

    for number in (7, 14):
        kept = REGISTRY.step(number).path / ".secrets.json"
        if kept.exists():
            pytest.skip(
                f"{kept.relative_to(ROOT)} is a learner's, and would hide a new one:"
                f" `make reset-{number}` removes it"
            )
    before = runner.untracked_files()
    monkeypatch.setattr(server, "TEMPLATES", tmp_path)  # a database made afresh
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    api = connect("14", ours=True)
    try:
        resource = connect_resource(api)
        login = {"username": "user", "password": "pass"}
        access = api.post("/api/token/", json=login).json()["access"]
        auth = {"Authorization": f"Bearer {access}"}
        assert resource.get("/api/whoami/", headers=auth).status_code == 200
        resource.close()
    finally:
        api.close()
    done = plain_pytest("--step", "7", "-k", "hello")
    assert done.returncode == 0, done.stdout + done.stderr
    done = harness("check", "1", str(REGISTRY.step(1).path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert runner.changed_files(before) == []


def test_a_hung_job_is_stopped_and_named(tmp_path):
    """A job that outlives its timeout is stopped and reported as a failure,
    by name, with the output it had until then."""
    from harness import runner

    hang = tmp_path / "test_hang.py"
    hang.write_text(
        "import time\n\ndef test_hangs():\n    print('waiting')\n    time.sleep(120)\n"
    )
    job = runner.Job("a job that hangs", [str(hang), "-s"])
    started = time.monotonic()
    # 20 s: room for pytest to start and reach the test on a busy machine
    # (2 s was not, in CI, nor was 8 s beside make test's other jobs: 3 s of
    # CPU in 8 s of wall); the test itself would sleep two minutes.
    result = runner.run_job(job, tmp_path, timeout=20)
    assert time.monotonic() - started < 40
    assert result.timed_out and result.failed == 1
    assert "a job that hangs did not finish in 20 s" in result.output
    assert result.output.rstrip().endswith("test_hang.py::test_hangs waiting")


def test_without_chromium_the_browser_tests_are_skipped_loudly(tmp_path):
    """No browser: the browser tests count as skipped, never as passed, and
    the run says once how to install one."""
    from harness import runner

    job = runner.Job(
        "browser tests, no browser",
        ["--step", "12", "tests/features/test_browser_page.py", "-k", "reload"],
    )
    no_browser = {"CHROMIUM_PATH": str(tmp_path / "no-such-chromium")}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in no_browser.items():
            patch.setenv(name, value)
        result = runner.run_job(job, tmp_path)
    assert (result.passed, result.failed, result.skipped) == (0, 0, 1), result.output
    assert any("apt-get install chromium" in r for r in result.skip_reasons)


def test_without_postgresql_the_postgresql_lane_is_skipped_loudly(tmp_path):
    """No PostgreSQL: the lane's tests count as skipped, never as passed,
    and the run says once how to install it."""
    from harness import runner

    job = runner.Job(
        "PostgreSQL lane, no PostgreSQL",
        ["--step", "15", "--database", "postgres"]
        + ["tests/features/test_production_settings.py", "-k", "database"],
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("POSTGRES_BIN", str(tmp_path / "no-such-postgresql"))
        result = runner.run_job(job, tmp_path)
    assert (result.passed, result.failed, result.skipped) == (0, 0, 1), result.output
    assert any("apt-get install postgresql" in r for r in result.skip_reasons)


def test_without_redis_or_nginx_the_cluster_lane_is_skipped_loudly(tmp_path):
    """No Redis (or no nginx): the cluster's tests count as skipped, and the
    run says once how to install what is missing."""
    from harness import runner

    job = runner.Job("cluster lane, no Redis", ["tests/cluster", "-k", "spreads"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REDIS_SERVER", str(tmp_path / "no-such-redis-server"))
        result = runner.run_job(job, tmp_path)
    assert (result.passed, result.failed, result.skipped) == (0, 0, 1), result.output
    assert any(
        "apt-get install postgresql redis-server nginx" in r
        for r in result.skip_reasons
    )


def test_a_notebook_runs_headless_and_shows_its_outputs():
    """`make notebook-1`: the notebook runs on its own server, without
    JupyterLab; its text cells (their first lines), every code cell's source
    and output are printed, and nothing else (the kernel runs over IPC, so
    ipykernel does not warn that its TCP traffic is unencrypted)."""
    import nbformat

    notebook = nbformat.read(REGISTRY.step(1).notebook, as_version=4)
    text = next(c.source for c in notebook.cells if c.cell_type == "markdown")
    done = harness("notebook", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "In [1]:" in done.stdout and "HTTP 200 OK" in done.stdout
    assert text.splitlines()[0].lstrip("# ") + "\n---" in done.stdout
    assert "every cell ran" in done.stdout
    if os.name == "posix":
        assert "WARNING" not in done.stderr, done.stderr
    # Not a traceback from anything it started (the fork server once printed
    # one: the kernel's shutdown interrupts its whole process group).
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("given", "port"),
    [(["PORT=8890"], "8890"), (["LAB_PORT=8891"], "8891"), ([], None)],
)
def test_make_notebooks_takes_its_port(given, port):
    """`make notebooks PORT=8890` puts JupyterLab on 8890, as `make step-N
    PORT=` puts a server; without it, JupyterLab chooses (8888, or the next
    free one), not the steps' default of 8000."""
    skip = ("PORT", "LAB_PORT", "MAKEFLAGS", "MAKELEVEL", "MFLAGS")  # make test's
    env = {k: v for k, v in os.environ.items() if k not in skip}
    done = subprocess.run(
        ["make", "-n", "notebooks", *given],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=30,
    )
    lines = [line for line in done.stdout.splitlines() if "harness lab" in line]
    assert len(lines) == 1, done.stdout + done.stderr
    command = lines[0]
    assert (f"--port {port}" in command) if port else "--port" not in command


def test_a_notebook_imports_this_checkouts_harness(tmp_path, monkeypatch):
    """A kernel puts this checkout first on its path: a .venv shared with
    another checkout (whose jwt-tutorial.pth names that one), or any other
    harness on PYTHONPATH, once had the notebooks import its code and act
    on its steps."""
    import nbformat

    from harness import lab

    (tmp_path / "harness").mkdir()
    (tmp_path / "harness" / "__init__.py").write_text("")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("import harness; print(harness.__file__)")
    ]
    lab.execute(notebook)
    assert notebook.cells[0].outputs[0].text.strip() == str(
        ROOT / "harness/__init__.py"
    )


def test_a_notebooks_output_is_printed_as_jupyterlab_shows_it():
    """A print that reached the kernel in pieces is one text, as JupyterLab
    shows it (printed piece by piece, a split line broke in two); a text
    cell cut short says how many lines are left out, in English."""
    import nbformat

    from harness import lab

    pieces = [
        nbformat.v4.new_output("stream", text="HTTP 200 OK\nContent-Ty"),
        nbformat.v4.new_output("stream", text="pe: application/json\n"),
        nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
    ]
    assert lab._texts(pieces) == [
        "HTTP 200 OK\nContent-Type: application/json\n",
        "a warning\n",
    ]
    assert lab._brief("a\nb\nc", most=2).endswith("[... 1 more line]")
    assert lab._brief("a\nb\nc\nd", most=2).endswith("[... 2 more lines]")
    # A heading past the first lines is shown; "#861" starts a sentence.
    cell = "a\nb\nc\n#861, merged\nd\n## 3. Next\ne"
    assert lab._brief(cell, most=2) == (
        "a\nb\n[... 3 more lines]\n3. Next\n-------\n[... 1 more line]"
    )


def test_a_notebook_pointed_at_the_wrong_server_says_so(monkeypatch):
    """Notebooks 05 and 10 watch 2-second tokens expire: pointed (BASE_URL)
    at a server with the usual 5 minutes, connect() says how to start the
    right one, before any cell fails with a bare AssertionError."""
    from harness.notebook import connect
    from harness.project import Project
    from harness.registry import load
    from harness.server import Server

    with Server(Project.at(load().step(5).path)) as server:
        monkeypatch.setenv("BASE_URL", server.url)
        with pytest.raises(RuntimeError, match="ACCESS_TOKEN_SECONDS=2 make step-5"):
            connect("05", ACCESS_TOKEN_SECONDS="2")
        connect("05")  # without the demand, any step-05 server will do


def test_a_notebook_may_insist_on_a_server_of_its_own(monkeypatch):
    """connect(..., ours=True) starts its own server even with BASE_URL set:
    notebook 15 compares step 14 with step 15, and turns the throttles on."""
    from harness.notebook import connect

    monkeypatch.setenv("BASE_URL", "http://127.0.0.1:9")  # nobody listens there
    api = connect("01", ours=True)
    try:
        assert api.server is not None and api.base_url != "http://127.0.0.1:9"
        assert api.get("/api/hello/").status_code == 200
    finally:
        api.close()


def test_a_notebook_that_changes_users_needs_a_server_it_can_reach(monkeypatch, capsys):
    """An instructor's server (BASE_URL, not a `make step-N` of this machine)
    keeps its database where manage.py cannot reach it: connect(...,
    manages=True) starts a server of its own and says why, and api.manage()
    on such a server refuses in a sentence (it once failed with "no such
    table: auth_user" on this machine's empty copy)."""
    from harness.notebook import connect

    with Server(Project.at(load().step("08").path)) as theirs:
        monkeypatch.setenv("BASE_URL", theirs.url)
        api = connect("08")  # reading only: their server will do
        try:
            assert api.server is None
            with pytest.raises(RuntimeError, match="manages=True"):
                api.manage("issue_token", "user")
        finally:
            api.close()
        api = connect("08", manages=True)
        try:
            assert api.server is not None and api.base_url != theirs.url
            assert "starts a server of its own" in capsys.readouterr().out
            assert '"access"' in api.manage("issue_token", "user")
        finally:
            api.close()


def test_a_resource_service_checks_the_tokens_of_the_notebooks_own_server(
    monkeypatch,
):
    """RESOURCE_URL's service checks BASE_URL's tokens: when the notebook
    started its own auth service instead, it starts the resource service
    too, pointed at it."""
    from harness.notebook import connect, connect_resource

    monkeypatch.setenv("RESOURCE_URL", "http://127.0.0.1:9")  # nobody there
    auth = connect("14", ours=True)
    try:
        resource = connect_resource(auth)
        try:
            assert resource.server is not None
            assert resource.base_url != "http://127.0.0.1:9"
            assert resource.get("/api/whoami/").status_code == 401
        finally:
            resource.close()
    finally:
        auth.close()


def test_reset_starts_a_step_over():
    """`make reset-N` removes the step's database and generated keys, and
    says what it removed (here only files this test made: a learner's own
    database is never touched by the tests)."""
    from harness.registry import load
    from harness.serve import reset

    folder = load().step(1).path
    made = [folder / "db.sqlite3", folder / ".secrets.json"]
    if any(path.exists() for path in made):
        pytest.skip("step 01 holds a learner's files: left alone")
    for path in made:
        path.write_text("")
    done = harness("reset", "1")
    assert done.returncode == 0, done.stderr
    assert not any(path.exists() for path in made)
    assert "Removed steps/01-bare-django/db.sqlite3" in done.stdout
    assert reset("1") == 0  # again: nothing left to remove, and no error


def test_a_notebook_given_the_wrong_server_says_so_in_a_sentence(monkeypatch):
    """BASE_URL naming no server, another step's `make step-N`, or one
    started without the lifetime the notebook needs: a WrongServer error
    that says what to start, before any cell depends on it."""
    from harness import serving
    from harness.notebook import WrongServer, connect

    monkeypatch.setenv("BASE_URL", f"http://127.0.0.1:{free_port()}")
    nobody = "No server answers at .* `make step-4 PORT=...`"
    with pytest.raises(WrongServer, match=nobody):
        connect("04")
    # An instructor's machine: its `make step-N` needs HOST=0.0.0.0 too (this
    # machine's own room address refuses at once, as no server is there).
    monkeypatch.setenv("BASE_URL", f"http://{room_address()}:{free_port()}")
    if room_address() != "127.0.0.1":  # a machine with no network has none
        with pytest.raises(WrongServer, match="make step-4 PORT=... HOST=0.0.0.0"):
            connect("04")
    with Server(Project.at(load().step("04").path)) as server:
        monkeypatch.setenv("BASE_URL", server.url)
        monkeypatch.setattr(serving, "NOTES", ROOT / ".cache" / "serving-test")
        serving.record(server.port, "04-jwt-authentication")  # as make step-4 does
        try:
            connect("04").close()  # the right one: no complaint
            with pytest.raises(WrongServer, match="is 04-jwt-authentication, not 05"):
                connect("05")
            wanted = "ACCESS_TOKEN_SECONDS=10 make step-4"
            with pytest.raises(WrongServer, match=wanted):
                connect("04", ACCESS_TOKEN_SECONDS="10")
        finally:
            shutil.rmtree(serving.NOTES)
