"""The fork server (harness/forkserver.py): servers forked from a Python that
has Django imported start sooner, and are still each their own project."""

import os
import subprocess
import sys
import time

import pytest
import requests

from harness import forkserver
from harness.project import Project
from harness.registry import ROOT, load
from harness.server import Server

pytestmark = pytest.mark.skipif(
    not hasattr(os, "pidfd_open"), reason="no pidfd here: servers start the usual way"
)


def test_what_it_preloads_reads_no_settings():
    """Imported with no settings chosen, PRELOAD leaves Django's settings
    and DRF's unread: each child reads its own project's afresh."""
    check = (
        "from harness import forkserver; forkserver.preload()\n"
        "import sys; from django.conf import settings\n"
        "assert not settings.configured\n"
        "drf = sys.modules.get('rest_framework.settings')\n"
        "assert drf is None or not drf.api_settings._cached_attrs\n"
        "print(len([m for m in forkserver.PRELOAD if m in sys.modules]))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    done = subprocess.run(
        [sys.executable, "-c", check],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == len(forkserver.PRELOAD)  # all installed


def test_two_projects_forked_from_one_server_keep_their_own_settings():
    """Step 04, then step 15, from the same fork server: each answers as its
    own project (only step 15 describes itself at /api/schema/), logs to its
    own file, and is gone once stopped."""
    registry = load()
    servers = [Server(Project.at(registry.step(n).path)) for n in ("4", "15")]
    for server in servers:
        server.start()
    try:
        schema = [
            requests.get(s.url + "/api/schema/", timeout=10).status_code
            for s in servers
        ]
        assert schema == [404, 200]
        assert all(isinstance(s.process, forkserver.Forked) for s in servers)
        assert len({s.process.pid for s in servers}) == 2
        for server in servers:
            assert "/api/hello/" in server.log()  # the readiness check's request
    finally:
        processes = [s.process for s in servers]
        for server in servers:
            server.stop()
    assert all(p.poll() is not None for p in processes)


def test_a_start_it_cannot_reproduce_goes_the_usual_way(monkeypatch):
    argv = [sys.executable, "manage.py"]
    env = dict(os.environ)
    assert forkserver.usable(argv, env)
    assert not forkserver.usable(["/usr/bin/python3", "manage.py"], env)
    assert not forkserver.usable(argv, {**env, "PYTHONWARNINGS": "error"})
    assert forkserver.usable(argv, {**env, "PYTHONPATH": "/elsewhere"})
    monkeypatch.setenv("TUTORIAL_FORKSERVER", "0")
    assert not forkserver.usable(argv, env)


def test_its_servers_end_when_their_caller_ends_without_stopping_them():
    """A caller that dies without cleaning up (no atexit: os._exit) closes
    its pipe to the fork server, which stops every server it forked."""
    code = (
        "import os\n"
        "from harness.project import Project\n"
        "from harness.registry import load\n"
        "from harness.server import Server\n"
        "s = Server(Project.at(load().step('4').path)).start()\n"
        "print(s.process.pid, s.url, flush=True)\n"
        "os._exit(0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    pid, url = done.stdout.split()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            requests.get(url + "/api/hello/", timeout=1)
        except requests.ConnectionError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"server {pid} at {url} still answers after its caller ended")
