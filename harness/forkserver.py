"""Start throwaway servers sooner: fork them from a Python that has Django
imported already.

A test run starts a few hundred servers (harness/server.py), and each
`python manage.py runserver` spends about half of its start-up importing the
same libraries. The fork server is a fresh Python (started with exec, not a
copy of the caller: nothing of a test run's own Django comes along) that
imports those libraries once, before any settings exist, then forks one
child per server. The child becomes what `python manage.py ...` would be: its
own folder, environment, sys.path, output file, and the project's settings
and apps loaded afresh. Each child is a process of its own, stopped by its
id (a pidfd, so a reused id is never signalled by mistake).

Where a start cannot be reproduced exactly, it runs the usual way
(subprocess.Popen): another Python, Python start-up variables other than the
fork server's, no pidfd (not Linux), or TUTORIAL_FORKSERVER=0.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import threading

from harness.pipes import LineProcess
from harness.registry import ROOT

# What the projects' start-ups import, and nothing here reads settings at
# import (tests/repo/test_forkserver.py checks it): safe before any settings
# exist. Not rest_framework.renderers or .views: they read DRF's settings.
PRELOAD = (
    "argon2",
    "cryptography.hazmat.primitives.asymmetric.rsa",
    "cryptography.hazmat.primitives.serialization",
    "django.contrib.admin",
    "django.contrib.auth.hashers",
    "django.contrib.postgres.fields",
    "django.core.handlers.wsgi",
    "django.core.management",
    "django.core.servers.basehttp",
    "django.db.models",
    "django.http",
    "django.template.defaulttags",
    "django.test",  # simplejwt's settings import it (setting_changed)
    "django.urls",
    "jwt",
    "psycopg",
    "redis",
    "rest_framework.compat",
    "rest_framework.serializers",
)


def preload() -> None:
    """Import PRELOAD (what is not installed is left out)."""
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            __import__(name)


# Python start-up variables the child can take on after the fork; any other
# PYTHON* variable that differs from the fork server's means exec instead.
ADOPTED = ("PYTHONPATH", "PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")


def die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: if our parent dies without cleaning up, we get SIGTERM."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


# --- the fork server's side ----------------------------------------------


def serve() -> None:  # pragma: no cover - runs in the fork server
    """Read one JSON request per line, [argv, cwd, env, log], and answer
    with the id of the child that runs it; or a child's id, once its caller
    has seen it end, to reap it (then the id is free, as after Popen.wait).
    When the caller ends, its end of the pipe closes, the loop ends, and so
    does every child (they die with their parent, this process). (Not
    PR_SET_PDEATHSIG here: that fires when the caller's *thread* ends, and a
    thread pool may start this.)"""
    # A Ctrl-C, or a notebook's "interrupt", goes to the whole process group:
    # this process is not what the reader meant (and it would print a
    # traceback). Its children take Python's own handler back.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    preload()
    own = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    base_path = [p for p in sys.path[1:] if p not in own]  # [0]: -c's ""
    children = set()
    for line in sys.stdin:
        request = json.loads(line)
        if isinstance(request, int):  # a child its caller saw end: reap it
            with contextlib.suppress(ChildProcessError):
                os.waitpid(request, 0)
            children.discard(request)
            print("reaped", flush=True)
            continue
        argv, cwd, env, log = request
        pid = os.fork()
        if pid == 0:
            _become(argv, cwd, env, log, base_path)
        children.add(pid)
        print(pid, flush=True)
    # The caller has ended: stop what is still running, and wait for it, so
    # that its CPU time is counted (the caller's `wait` adds ours to its own).
    for pid in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for pid in children:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _become(argv, cwd, env, log, base_path) -> None:  # pragma: no cover
    """In the child: turn into `python SCRIPT ARGS...`, then exit."""
    import runpy
    import traceback

    status = 1
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        die_with_parent()
        output = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
        sys.stdin = open(0, closefd=False)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        script = os.path.abspath(argv[1])
        extra = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
        sys.path[:] = [os.path.dirname(script), *extra, *base_path]
        sys.pycache_prefix = env.get("PYTHONPYCACHEPREFIX") or None
        sys.dont_write_bytecode = bool(env.get("PYTHONDONTWRITEBYTECODE"))
        sys.argv = argv[1:]
        runpy.run_path(script, run_name="__main__")
        status = 0
    except SystemExit as exit:
        if exit.code is None or isinstance(exit.code, int):
            status = exit.code or 0
        else:
            print(exit.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(status)


# --- the caller's side -----------------------------------------------------


class Forked:
    """A child of the fork server, with what Server uses of subprocess.Popen:
    pid, poll(), terminate(), kill() and wait(). Its exit status belongs to
    the fork server, so once it has ended, returncode says only that (-1)."""

    def __init__(self, pid: int, args: list[str]):
        self.pid = pid
        self.args = args
        self.returncode: int | None = None
        self._pidfd = os.pidfd_open(pid)

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self._pidfd], [], [], 0)[0]:
            self._ended()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            if not select.select([self._pidfd], [], [], timeout)[0]:
                raise subprocess.TimeoutExpired(self.args, timeout)
            self._ended()
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.returncode is None:
            try:
                signal.pidfd_send_signal(self._pidfd, sig)
            except ProcessLookupError:
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def _ended(self) -> None:
        self.returncode = -1
        os.close(self._pidfd)
        with contextlib.suppress(OSError, ValueError):  # unless it has gone
            _request(self.pid)  # reaped: its id no longer names a process


_lock = threading.Lock()
_server: LineProcess | None = None
_broken = False


def _start_server() -> LineProcess:
    env = {k: v for k, v in os.environ.items() if k not in ADOPTED}
    env["PYTHONPATH"] = str(ROOT)
    code = "from harness.forkserver import serve; serve()"
    server = LineProcess([sys.executable, "-c", code], ROOT, env)
    # At exit: end it (it stops its children first) and wait for it, so that
    # the CPU time of every server counts as this process's.
    atexit.register(server.close)
    return server


def usable(argv: list[str], env: dict) -> bool:
    """Whether the fork server can start `argv` with `env` exactly as exec
    would: the same Python, and no Python start-up variable of its own."""
    if os.environ.get("TUTORIAL_FORKSERVER") == "0":
        return False
    if not hasattr(os, "pidfd_open") or argv[0] != sys.executable:
        return False
    ours = {k: v for k, v in os.environ.items() if k.startswith("PYTHON")}
    theirs = {k: v for k, v in env.items() if k.startswith("PYTHON")}
    return all(
        ours.get(k) == theirs.get(k) for k in {*ours, *theirs} if k not in ADOPTED
    )


def _request(request) -> str:
    """Send one request to the fork server; its one-line answer."""
    with _lock:
        return _server.ask(json.dumps(request))


def spawn(argv: list[str], cwd, env: dict, log) -> Forked | subprocess.Popen:
    """Start `argv` (python SCRIPT ...) in `cwd` with `env`, its output
    appended to the file `log`: forked where usable(), else exec'd."""
    global _server, _broken
    if usable(argv, env) and not _broken:
        try:
            with _lock:
                if _server is None:
                    _server = _start_server()
            pid = int(_request([argv, str(cwd), env, str(log)]))
            # Its pidfd, opened before anything could reap it: the fork
            # server reaps a child only once its caller has seen it end.
            return Forked(pid, argv)
        except (OSError, ValueError):
            # It broke (its output says why, on this process's stderr):
            # this start and every later one go the usual way.
            _broken = True
    with open(log, "ab") as output:
        return subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            preexec_fn=die_with_parent if os.name == "posix" else None,
        )
