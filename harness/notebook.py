"""What the notebooks import: a server for their step, and a way to show HTTP.

from harness.notebook import connect, show
api = connect("04")          # starts step 04's server on a free port...
r = api.get("/api/hello/")   # ...or uses BASE_URL if it is set
show(r)
api.close()                  # stops the server this notebook started
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from urllib.parse import urlsplit

import requests

from harness.net import LOOPBACK, Client
from harness.project import Project
from harness.registry import ROOT, load
from harness.server import RESOURCE_SERVICE, ResourceServer, Server
from harness.serving import SETTINGS, who_serves

# The headers worth looking at in a lesson about authentication.
INTERESTING_HEADERS = (
    "Content-Type",
    "WWW-Authenticate",
    "Set-Cookie",
    "Content-Security-Policy",
)


class Api(Client):
    """A client of the step's server (paths relative to it, every request
    with a timeout), that can also run manage.py on the server's data."""

    def __init__(self, base_url: str, project: Project, server: Server | None = None):
        super().__init__(base_url)
        self.project = project
        self.server = server
        self._shell = None

    def manage(self, *args: str) -> str:
        """Run `python manage.py ARGS` on this server's data, as an admin on
        the server would (e.g. to deactivate a user), and return its output.

        With BASE_URL, it acts on the step's own db.sqlite3: right when that
        server is this repository's `make step-N` on this machine.

        `shell --no-imports -c CODE` on our own server runs in one Python kept
        open beside it (Server.shell()): the same code on the same data, in
        milliseconds instead of a Django start-up (about 0.7 s) per call.
        """
        if self.server is not None and args[:3] == ("shell", "--no-imports", "-c"):
            if self._shell is None:
                self._shell = self.server.shell()
            return self._shell.run(args[3])
        if self.server is not None:
            cwd, env = self.server.project.path, self.server.env
        elif who_serves(self.base_url) is None:
            raise RuntimeError(
                f"manage.py acts on this machine's copy of {self.project.path.name},"
                f" and the server at {self.base_url} is not one: connect() with"
                " manages=True starts a server of its own instead"
            )
        else:
            cwd, env = self.project.path, dict(os.environ)
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout

    def restart(self, **env: str) -> None:
        """Start our server again with these variables instead of the ones it
        had (same port, same data): a deployment of new settings."""
        if self.server is None:
            settings = " ".join(f"{name}=..." for name in env)
            raise RuntimeError(
                f"the server at {self.base_url} (BASE_URL) is not ours to restart:"
                f" stop it and start it again with {settings}"
            )
        if self._shell is not None:
            self._shell.close()
            self._shell = None
        self.server.restart(env)

    def close(self) -> None:
        super().close()
        if self._shell is not None:
            self._shell.close()
            self._shell = None
        if self.server is not None:
            self.server.stop()
            self.server = None


def connect(
    step: str | int, *, ours: bool = False, manages: bool = False, **env: str
) -> Api:
    """An Api for `step`: BASE_URL's server if set, else a fresh one of our own.

    Extra keyword arguments become environment variables of the server we
    start (ignored when BASE_URL points at someone else's server). With
    ours=True, always a fresh server of our own, BASE_URL or not: for a
    notebook that compares two steps, or needs settings (the throttles on,
    say) that it must start the server with. With manages=True, for a
    notebook that changes the server's data with api.manage(): BASE_URL's
    server if it is a `make step-N` of this machine (whose database
    manage.py reaches), else one of our own, and a sentence saying why.
    """
    chosen = load().step(step)
    project = Project.at(chosen.path)
    base_url = None if ours else os.environ.get("BASE_URL")
    if base_url and manages and who_serves(base_url) is None:
        print(
            f"BASE_URL names {base_url}, which is not a `make step-{chosen.number}`"
            " of this machine. This notebook uses manage.py, which needs the"
            " server's own database, so it starts a server of its own."
        )
    elif base_url:
        print(f"Using the server at {base_url} (from BASE_URL).")
        api = Api(base_url, project)
        _check_server(api, chosen, env)
        if "ACCESS_TOKEN_SECONDS" in env:
            _check_lifetime(api, step, int(env["ACCESS_TOKEN_SECONDS"]))
        return api
    server = Server(project, env=env).start()
    print(f"Started {project.path.name} at {server.url} (stopped by close()).")
    return Api(server.url, project, server)


def connect_resource(auth: Api, **env: str) -> Api:
    """Step 14 on: a client of the resource service, checking the tokens of
    `auth`'s server: RESOURCE_URL's if set and `auth` is BASE_URL's server,
    else one we start. Keyword
    arguments become its environment variables (JWKS_CACHE_SECONDS=...)."""
    project = Project.at(auth.project.path / RESOURCE_SERVICE)
    # RESOURCE_URL's service checks BASE_URL's tokens: not those of a server
    # the notebook started.
    url = os.environ.get("RESOURCE_URL") if auth.server is None else None
    if url:
        print(f"Using the resource service at {url} (from RESOURCE_URL).")
        return Api(url, project)
    server = ResourceServer(auth.project.path, auth.base_url, env).start()
    print(
        f"Started the resource service at {server.url}, checking the tokens of"
        f" {auth.base_url} (stopped by close())."
    )
    return Api(server.url, project, server)


class WrongServer(RuntimeError):
    """BASE_URL names a server this notebook cannot use: the message says
    what to start instead."""


def _room(base_url: str) -> str:
    """ " HOST=0.0.0.0" for a server on another machine (an instructor's): the
    part of its `make step-N` that lets the room in."""
    host = urlsplit(base_url).hostname or ""
    return "" if host in LOOPBACK else " HOST=0.0.0.0"


def _check_server(api: Api, step, env: dict) -> None:
    """Is BASE_URL's server up, this notebook's step, with its settings? Say
    so in a sentence now, rather than fail in a later cell."""
    settings = "".join(f"{k}={v} " for k, v in env.items())
    start = f"{settings}make step-{step.number} PORT=...{_room(api.base_url)}"
    fix = f"Start it with `{start}`, or unset BASE_URL: the notebook starts its own."
    try:
        requests.get(api.base_url + "/api/hello/", timeout=3)
    except requests.RequestException:
        raise WrongServer(f"No server answers at {api.base_url}. {fix}") from None
    serving = who_serves(api.base_url)
    if serving is None:
        return  # not a `make step-N` of this machine: we cannot know more
    if serving["folder"] != step.folder:
        raise WrongServer(
            f"The server at {api.base_url} is {serving['folder']}, not "
            f"{step.folder}, this notebook's step. {fix}"
        )
    wanted = {k: str(v) for k, v in env.items() if k in SETTINGS}
    if any(serving["env"].get(k) != v for k, v in wanted.items()):
        raise WrongServer(
            f"The server at {api.base_url} was started without the settings this "
            f"notebook needs ({settings.strip()}). {fix}"
        )


def _check_lifetime(api: Api, step: str | int, seconds: int) -> None:
    """A notebook that watches tokens expire needs a server started with the
    same short lifetime: say so at once, not with a failed cell later."""
    import base64

    answer = api.post("/api/token/", json={"username": "user", "password": "pass"})
    start = f"ACCESS_TOKEN_SECONDS={seconds} make step-{int(step)} PORT=..."
    start += _room(api.base_url)
    if answer.status_code != 200:
        raise RuntimeError(
            f"BASE_URL={api.base_url} does not log in user / pass (HTTP"
            f" {answer.status_code}): is it step {int(step):02d}'s server? ({start})"
        )
    part = answer.json()["access"].split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    lives = claims["exp"] - claims["iat"]
    if not seconds - 1 <= lives <= seconds:
        raise RuntimeError(
            f"This notebook needs access tokens that live {seconds} s; the server"
            f" at {api.base_url} issues {lives} s ones. Start it with: {start}"
        )


def show_code(path: str, symbol: str | None = None) -> None:
    """Print code from the repository (a whole file, or one top-level name),
    read from the file itself, so a notebook never shows a stale copy."""
    from harness.docs import symbol_source

    file = ROOT / path
    print(f"# {path}" + (f", {symbol}" if symbol else ""))
    print(symbol_source(file, symbol) if symbol else file.read_text(), end="")


def show(response: requests.Response) -> None:
    """Print a response the way a learner should read it."""
    print(f"HTTP {response.status_code} {response.reason}")
    for name in INTERESTING_HEADERS:
        if name in response.headers:
            print(f"{name}: {response.headers[name]}")
    print()
    if "json" in response.headers.get("Content-Type", ""):
        print(json.dumps(response.json(), indent=2))
    elif "<title>" in response.text:  # an HTML page: its title says enough
        title = re.search(r"<title>(.*?)</title>", response.text, re.S)
        print(f"(an HTML page titled {' '.join(title.group(1).split())!r})")
    else:
        print(response.text[:500])


__all__ = ["Api", "connect", "connect_resource", "show", "show_code"]
