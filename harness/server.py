"""Start a project's dev server for a notebook, the docs check or a benchmark.

The rules: bind 127.0.0.1 on a free port, wait for a real HTTP answer (never
a fixed sleep), and stop exactly the process this code started, by its id.
Each server gets its own throwaway database with the demo users in it (a
copy of a template made once per version of the project: see below), and
hashes passwords with harness/hashers.py's quicker PBKDF2.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import forkserver
from harness.forkserver import die_with_parent
from harness.net import (
    EVERY_INTERFACE,
    LOOPBACK,
    free_port,
    room_address,
    wait_for_http,
)
from harness.project import Project, run_prepare
from harness.registry import ROOT

READY_PATH = "/api/hello/"
TEMPLATES = ROOT / ".cache" / "databases"  # ignored by git; `make clean` empties it


def _version(project: Project, extra_env: dict | None) -> str:
    """A hash of what a template's data depends on (template_database)."""
    digest = hashlib.sha256((ROOT / "requirements" / "base.txt").read_bytes())
    digest.update((ROOT / "harness" / "project.py").read_bytes())  # demo users
    digest.update((ROOT / "harness" / "hashers.py").read_bytes())
    digest.update((extra_env or {}).get("DJANGO_ENV", "").encode())  # demo users?
    for path in sorted(project.path.rglob("*.py")):
        if "__pycache__" not in path.parts:
            digest.update(path.relative_to(project.path).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def template_database(project: Project, extra_env: dict | None = None) -> Path:
    """A migrated database with the demo users, made once per version of the
    project's code and requirements, then copied for every server.

    Migrating costs about a second; a copy costs nothing. The name hashes
    every .py file of the project, the pinned requirements and the code that
    makes the demo users, so any change to them makes a new template.
    `extra_env` is what the settings need to start (keys, say); of it, only
    DJANGO_ENV changes the data (production mode gets no demo users).
    """
    template = TEMPLATES / f"{project.path.name}-{_version(project, extra_env)}.sqlite3"
    if template.exists():
        return template
    TEMPLATES.mkdir(parents=True, exist_ok=True)
    partial = template.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
    env = project.env(database=partial, hasher="quick", throttle="off")
    env.update(extra_env or {})
    done = run_prepare(project, env)
    if done.returncode:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"preparing the database failed:\n{done.stderr}")
    os.replace(partial, template)  # atomic: parallel jobs never see half a file
    return template


_POSTGRES_TEMPLATES = threading.Lock()


def postgres_database(project: Project, extra_env: dict | None, name: str) -> str:
    """The PostgreSQL lane's template_database(): a database `name` on the
    lane's server (TUTORIAL_POSTGRES), copied from a migrated template with
    the demo users (CREATE DATABASE ... TEMPLATE: a copy, no migrating)."""
    import psycopg

    base = os.environ["TUTORIAL_POSTGRES"]
    template = f"template_{_version(project, extra_env)}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as db:
        with _POSTGRES_TEMPLATES:
            query = "SELECT 1 FROM pg_database WHERE datname = %s"
            if not db.execute(query, [template]).fetchone():
                db.execute(f'CREATE DATABASE "{template}"')
                env = project.env(hasher="quick", throttle="off")
                env.update(extra_env or {})
                env["TUTORIAL_DATABASE_URL"] = f"{base}/{template}"
                done = run_prepare(project, env)
                if done.returncode:
                    db.execute(f'DROP DATABASE "{template}"')
                    raise RuntimeError(f"preparing the database failed:\n{done.stderr}")
        if not db.execute(query, [name]).fetchone():  # a restart keeps its data
            db.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return f"{base}/{name}"


class Server:
    """A project's `runserver`, in the background, on a free port."""

    ready_path = READY_PATH

    def __init__(self, project: Project, env: dict | None = None, keys=True):
        self.project = project
        self.extra_env = env or {}
        self.keys = keys  # Project.env(): False lets the project make its own
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._tmp = tempfile.TemporaryDirectory(prefix="jwt-tutorial-")
        self.log_path = Path(self._tmp.name) / "server.log"
        self.process: subprocess.Popen | None = None

    def environment(self) -> dict:
        """The server's environment: the project's settings through
        harness.settings, on a copy of the template database."""
        if os.environ.get("TUTORIAL_POSTGRES"):  # the PostgreSQL lane
            env = self.project.env(hasher="quick", throttle="off", keys=self.keys)
            name = f"server_{self.port}_{os.getpid()}"
            url = postgres_database(self.project, self.extra_env, name)
            return {**env, "TUTORIAL_DATABASE_URL": url}
        database = Path(self._tmp.name) / "db.sqlite3"
        if not database.exists():  # a restart keeps its data
            shutil.copyfile(template_database(self.project, self.extra_env), database)
        return self.project.env(
            database=database, hasher="quick", throttle="off", keys=self.keys
        )

    def start(self, timeout: float = 30.0) -> Server:
        env = self.environment()
        env.update(self.extra_env)
        self.env = env  # what `manage.py` needs to act on this server's data
        self.log_path.write_bytes(b"")  # a restart's log starts empty
        # Forked from a Python with Django imported (harness/forkserver.py):
        # half the start-up of a `python manage.py runserver` of its own.
        self.process = forkserver.spawn(
            [
                sys.executable,
                "manage.py",
                "runserver",
                "--noreload",
                # Each step's tests run the system checks; a throwaway
                # server need not repeat them at every start.
                "--skip-checks",
                f"127.0.0.1:{self.port}",
            ],
            self.project.path,
            env,
            self.log_path,
        )
        atexit.register(self.stop)
        self._wait_until_ready(timeout)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        try:
            wait_for_http(
                self.url + self.ready_path,
                timeout,
                alive=lambda: self.process.poll() is None,
            )
        except RuntimeError:
            raise RuntimeError(f"the server exited early:\n{self.log()}") from None
        except TimeoutError:
            self.stop()
            raise TimeoutError(
                f"no answer from {self.url} in {timeout}s:\n{self.log()}"
            ) from None

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def _end_process(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def restart(self, env: dict, timeout: float = 30.0) -> Server:
        """Start again with `env` in place of the extra environment it had, on
        the same port and the same data: a deployment of new settings."""
        self._end_process()
        self.extra_env = env
        return self.start(timeout)

    def stop(self) -> None:
        """Stop the process this object started (by its id), then clean up."""
        self._end_process()
        atexit.unregister(self.stop)
        if self._tmp is not None:
            self._tmp.cleanup()

    def shell(self) -> Shell:
        """A Python process on this server's own database (see Shell)."""
        return Shell(self)

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


RESOURCE_SERVICE = "resource_service"  # step 14 on: the second service's folder


class ResourceServer(Server):
    """Step 14 on: the resource service (the project in resource_service/,
    beside the auth service's), checking the tokens of the auth service at
    `auth_url`. It runs with its own settings: it has no database to swap."""

    ready_path = "/api/whoami/"  # 401 without a token: it is up

    def __init__(self, folder: str | os.PathLike, auth_url: str, env=None):
        project = Project.at(Path(folder) / RESOURCE_SERVICE)
        super().__init__(project, {"AUTH_SERVICE_URL": auth_url, **(env or {})})

    def environment(self) -> dict:
        return {
            **self.project.env(),
            "DJANGO_SETTINGS_MODULE": self.project.settings_module,
        }

    def shell(self) -> Shell:
        raise TypeError("the resource service has no database to act on")


_SHELL = """
import contextlib, io, json, sys, traceback
import django
django.setup()
for line in sys.stdin:
    out, error = io.StringIO(), None
    with contextlib.redirect_stdout(out):
        try:
            exec(json.loads(line), {})
        except Exception:
            error = traceback.format_exc()
    print(json.dumps([out.getvalue(), error]), flush=True)
"""


class Shell:
    """What `manage.py shell` does on a running server's data (deactivate a
    user, say), kept open: one start-up, then each run() takes milliseconds,
    which lets a test do it in the middle of concurrent requests."""

    def __init__(self, server: Server):
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SHELL],
            cwd=server.project.path,
            env=server.env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lock = threading.Lock()

    def run(self, code: str) -> str:
        """Run Python code (models are not imported for you); return what it
        printed. Safe to call from several threads: one runs at a time."""
        with self.lock:
            self.process.stdin.write(json.dumps(code) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"the shell exited (status {self.process.wait()})")
        printed, error = json.loads(answer)
        if error:
            raise RuntimeError(f"the code raised:\n{error}")
        return printed

    def close(self) -> None:
        self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()

    def __enter__(self) -> Shell:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Collector:
    """Steps 12 and 13: the step's own collector.py (the attacker's server),
    on a free port, stopped by its process id. reports() reads back, as
    dicts, what the page's planted script sent it. With `terminal=True` it
    prints to this terminal instead (`make step-12`), and dies with us.
    With the host of a server for a room (HOST=0.0.0.0), it listens there
    too, and its url is one the room's browsers reach, not their own
    127.0.0.1."""

    def __init__(
        self, folder: str | os.PathLike, terminal: bool = False, host: str = "127.0.0.1"
    ):
        if host in LOOPBACK:
            bind = reach = "127.0.0.1"
        elif host == EVERY_INTERFACE or ":" in host:  # collector.py speaks IPv4
            bind, reach = EVERY_INTERFACE, room_address()
        else:
            bind = reach = host
        self.port = free_port(bind)
        self.url = f"http://{reach}:{self.port}/"
        # A log to read back, unless it prints to the terminal: `make step-12`
        # then becomes runserver (exec), and would never clean a folder up.
        self._tmp = (
            None if terminal else tempfile.TemporaryDirectory(prefix="jwt-collector-")
        )
        self.log_path = Path(self._tmp.name) / "collector.log" if self._tmp else None
        with open(self.log_path or os.devnull, "wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "collector.py",
                    f"--port={self.port}",
                    f"--host={bind}",
                ],
                cwd=ROOT / folder,
                stdout=None if terminal else log,
                stderr=None if terminal else subprocess.STDOUT,
                preexec_fn=die_with_parent if os.name == "posix" else None,
            )
        atexit.register(self.stop)
        wait_for_http(self.url, 10, alive=lambda: self.process.poll() is None)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def reports(self) -> list[dict]:
        marker = "[collector] received: "
        return [
            json.loads(line[len(marker) :])
            for line in self.output().splitlines()
            if line.startswith(marker)
        ]

    def wait_for(self, predicate, since: int = 0, timeout: float = 5.0) -> dict:
        """The first report for which predicate(report) is true, among those
        after the first `since` (len(reports()) before the test acted)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for report in self.reports()[since:]:
                if predicate(report):
                    return report
            time.sleep(0.05)
        raise AssertionError(
            f"no such report in {timeout} s; the collector got:\n{self.output()}"
        )

    def stop(self) -> None:
        """Stop the process this object started, by its id."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=5)
        atexit.unregister(self.stop)
        if self._tmp is not None:
            self._tmp.cleanup()
