"""`make step-N`: a step's own database, the demo users, and its dev server.

Unlike the tests, this runs the step exactly as a learner would: its own
settings, its own db.sqlite3 (ignored by git), `python manage.py runserver`.
"""

from __future__ import annotations

import os
import subprocess
import sys

from harness import serving
from harness.net import LOOPBACK, address_of, port_is_free
from harness.project import (
    DEMO_USERS,
    STAFF,
    Project,
    ProjectError,
    prepare_database,
    run_prepare,
)
from harness.registry import ROOT, Step, load
from harness.server import RESOURCE_SERVICE, Collector, die_with_parent

COLLECTOR = "collector.py"  # steps 12 and 13: the attacker's server


def prepare(project_dir: str) -> int:
    """Migrate the database the current settings name; add the demo users."""
    project = Project.at(project_dir)
    sys.path.insert(0, str(project.path))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", project.settings_module)
    try:
        prepare_database(demo_users=not production_mode())
    except ProjectError as error:
        sys.exit(f"ProjectError: {error}")  # one line: what `make step-N` shows
    return 0


def production_mode() -> bool:
    """DJANGO_ENV=production (steps 07 on): no demo users with weak passwords."""
    return os.environ.get("DJANGO_ENV") == "production"


def tips(step: Step, base: str) -> list[str]:
    """What to try first, chosen from the step's features: commands for a
    shell that has set API and sourced tutorial.sh (`export_line`)."""
    pages = ["/api/hello/"] + (["/api/notes/"] if "open-notes" in step.features else [])
    if "browser-page" in step.features:
        pages = ["/  (the notes page)"]
    account = []
    if "token-obtain" in step.features and production_mode():
        python = os.path.relpath(ROOT / ".venv" / "bin" / "python", step.path)
        settings = ", ".join(
            name
            for name in sorted(os.environ)
            if name.startswith(("DJANGO_", "JWT_")) or name == "DATABASE_URL"
        )
        account.append(
            f"no demo users: make an account first, in {step.relpath}/ and with"
            f" {settings} set as here: {python} manage.py createsuperuser"
        )
    if production_mode() and "production-settings" in step.features:
        # Plain http is redirected to https (SECURE_SSL_REDIRECT), which a
        # proxy ends in a real deployment: here curl says what it would.
        return [
            "plain http gets a 301 to https here; say what a proxy would:",
            "curl -s -H 'X-Forwarded-Proto: https' $API/api/hello/",
            "(no notes page, and tutorial.sh's helpers send plain http:"
            " use development mode for those)",
            *account,
        ]
    lines = ["in a browser: " + "  ".join(f"{base}{page}" for page in pages)]
    lines.append("curl -s $API/api/hello/")
    if account:
        lines += account
        lines.append(
            "login NAME PASSWORD    (that account; keeps the tokens in $ACCESS)"
        )
    elif "token-obtain" in step.features:
        lines.append("login user pass    (keeps the tokens in $ACCESS and $REFRESH)")
    if "jwt-auth" in step.features:
        lines.append("api GET $API/api/protected/    (sends $ACCESS)")
    elif "session-auth-only" in step.features:  # `api` comes in chapter 4
        lines.append('curl -s $API/api/protected/ -H "Authorization: Bearer $ACCESS"')
    if "asymmetric-keys" in step.features:
        lines.append("curl -s $API/.well-known/jwks.json")
    return lines


def room_hosts(step: Step) -> str:
    """The hosts a step served to a room (HOST=0.0.0.0) accepts beyond its
    own ALLOWED_HOSTS: every one ("*"), except in production mode (steps 07
    on), where the step's own setting, DJANGO_ALLOWED_HOSTS, decides ("")."""
    if production_mode() and "secrets-from-env" in step.features:
        return ""
    return "*"


def export_line(base: str, resource: str | None = None) -> str:
    """The line a reader copies into the terminal they type in: where the
    servers are, for the tutorial's commands ($API, $RESOURCE)."""
    return f"export API={base}" + (f" RESOURCE={resource}" if resource else "")


def start_resource_service(project: Project, host: str, port: int) -> str:
    """Step 14 on: the resource service, on the first free port after the
    auth service's, as a child that dies with us; its URL. It starts while
    the auth service does: _ANNOUNCE says when both answer."""
    folder = project.path / RESOURCE_SERVICE
    resource_port = next(
        p for p in range(port + 1, port + 100) if port_is_free(host, p)
    )
    auth = "127.0.0.1" if host in LOOPBACK else address_of(host)
    env = dict(
        os.environ,
        DJANGO_SETTINGS_MODULE=Project.at(folder).settings_module,
        AUTH_SERVICE_URL=f"http://{auth}:{port}",
        DJANGO_ENV=os.environ.get("DJANGO_ENV", "development"),
    )
    if host not in LOOPBACK and not production_mode():
        env["DJANGO_ALLOWED_HOSTS"] = "*"  # serving a room, as the auth service
    command = [sys.executable, "manage.py", "runserver", f"{host}:{resource_port}"]
    subprocess.Popen(
        # No autoreload: its reloader's child would outlive us (edited its
        # code? Ctrl-C, and start again), and no start-up chatter: only its
        # request log (stderr) comes to this terminal.
        [*command, "--noreload", "--skip-checks"],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        preexec_fn=die_with_parent if os.name == "posix" else None,
    )
    return f"http://{address_of(host)}:{resource_port}"


# `make step-N`'s readiness check: "Serving" comes before runserver has its
# port (this process becomes the server), so a child waits until the server
# answers (both services, from step 14 on), says so, and ends.
_ANNOUNCE = """
import sys
from harness.net import wait_for_http
from harness.server import die_with_parent
die_with_parent()
try:
    wait_for_http(sys.argv[1] + "/api/hello/", 60)
    if len(sys.argv) > 2:
        wait_for_http(sys.argv[2] + "/api/whoami/", 60)
except TimeoutError as error:
    sys.exit(f"Not ready: {error}")
if len(sys.argv) > 2:
    print(f"Both services answer: {sys.argv[1]} and {sys.argv[2]}")
    print(f"  export API={sys.argv[1]} RESOURCE={sys.argv[2]}", flush=True)
else:
    print(f"Ready: {sys.argv[1]} answers.", flush=True)
"""


def reset(number: str) -> int:
    """`make reset-N`: step N as new. Its db.sqlite3 goes (the next
    `make step-N` makes it again, with the demo users), and so do the keys
    generated into .secrets.json (new ones next time: tokens issued before
    stop working)."""
    step = load().step(number)
    gone = []
    for name in ("db.sqlite3", ".secrets.json"):
        path = step.path / name
        if path.exists():
            path.unlink()
            gone.append(f"{step.relpath}/{name}")
    print(f"Removed {', '.join(gone)}." if gone else f"{step.relpath} is already new.")
    return 0


GUNICORN_CONFIG = "gunicorn.conf.py"  # step 15 on


def main(number: str, host: str, port: str, server: str = "runserver") -> int:
    step = load().step(number)
    project = Project.at(step.path)
    if server == "gunicorn" and not (project.path / GUNICORN_CONFIG).exists():
        print(f"{step.relpath} has no {GUNICORN_CONFIG}: gunicorn comes in step 15.")
        return 1
    # Listening on every interface, for a room: name the address the room's
    # machines connect to, in the banner, the export line and the page's links.
    base = f"http://{address_of(host)}:{port}"
    make = "make final" if step.is_final else f"make step-{step.number}"
    if not port_is_free(host, int(port)):
        print(
            f"Port {port} on {host} is already in use (another step still "
            f"running?). Stop it with Ctrl-C, or pick another port: "
            f"{make} PORT=8001 (without make: --port 8001)"
        )
        return 1

    if host in LOOPBACK:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE=project.settings_module)
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT), env.get("PYTHONPATH")])
        )
    else:
        # Serving a room: the steps accept only localhost (ALLOWED_HOSTS), so
        # run them through harness.settings with every host allowed, for this
        # run only, on the step's own database and keys. A dev server: trusted
        # networks. In production mode, the step's own ALLOWED_HOSTS holds.
        hosts = room_hosts(step)
        env = project.env(database=project.path / "db.sqlite3", hosts=hosts, keys=False)
        if hosts:
            print(f"Serving {host} to the room: ALLOWED_HOSTS is opened for this run.")
        else:
            allowed = os.environ.get("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
            print(
                f"Serving {host} to the room in production mode: ALLOWED_HOSTS is"
                f" {allowed} (DJANGO_ALLOWED_HOSTS): add the address the room uses."
            )
    # As manage.py does: development unless the reader chose otherwise (final/
    # runs production when nothing is set; the steps ignore anything else).
    env["DJANGO_ENV"] = os.environ.get("DJANGO_ENV", "development")
    prepared = run_prepare(project, env)
    if prepared.returncode:
        # The project refused to start (a missing key, say): its own message
        # is the last line; the traceback above it helps nobody here.
        last = prepared.stderr.strip().splitlines()[-1:] or ["(no message)"]
        print(f"{step.relpath} did not start:\n  {last[0]}")
        return 1

    warning = "   <- a deliberate WRONG WAY: read its README" if step.wrong_way else ""
    users = "    ".join(
        f"{u} / {p}" + (" (staff)" if u in STAFF else "") for u, p in DEMO_USERS
    )
    print(f"\n{step.label}: {step.heading}{warning}")
    print(f"  folder:     {step.relpath}/  (read its README.md)")
    if step.notebook is not None:
        print(f"  notebook:   notebooks/{step.notebook.name}")
    if production_mode():
        users = "none (production mode)"
    print(f"  demo users: {users}")
    lifetimes = [
        f"{kind} {os.environ[name]} s ({name})"
        for kind, name in (
            ("access", "ACCESS_TOKEN_SECONDS"),
            ("refresh", "REFRESH_TOKEN_SECONDS"),
        )
        if name in os.environ
    ]
    if lifetimes:  # a demonstration's short lifetimes, said out loud
        print(f"  lifetimes:  {', '.join(lifetimes)}")
    if (project.path / "db.sqlite3").exists():
        reset = f"make reset-{'final' if step.is_final else step.number}"
        print(f"  database:   {step.relpath}/db.sqlite3 (kept; `{reset}` starts over)")
    resource = None
    if (project.path / RESOURCE_SERVICE / "manage.py").exists():
        resource = start_resource_service(project, host, int(port))
        print(f"  resource:   {resource}/api/whoami/  (the second service: it checks")
        print(f"              tokens with the keys at {base}/.well-known/jwks.json)")
    if (project.path / COLLECTOR).exists():
        # The attacker's server, beside ours: it prints to this terminal.
        env["ANALYTICS_URL"] = Collector(project.path, terminal=True, host=host).url
        print(f"  collector:  {env['ANALYTICS_URL']}  (the attacker's: what it")
        print("              receives is printed below, with what to type next)")
    print("  in a second terminal, in the repository's folder:")
    print(f"    {export_line(base, resource)}")
    print("    source tutorial.sh")
    print("  then try:")
    for line in tips(step, base):
        print(f"    {line}")
    if (
        resource is not None
        and production_mode()
        and "production-settings" in step.features
    ):
        # Its fetch of the key set is plain http too: the 301, no keys.
        print("    (the resource service reads the key set over plain http, gets")
        print("    the 301 too and refuses every token: use development mode)")
    elif resource is not None:
        print('    curl -s $RESOURCE/api/whoami/ -H "Authorization: Bearer $ACCESS"')
    subprocess.Popen(
        [sys.executable, "-c", _ANNOUNCE, base, *([resource] if resource else [])],
        cwd=ROOT,  # where `harness` is
        env=env,
    )
    how = f" with gunicorn ({GUNICORN_CONFIG})" if server == "gunicorn" else ""
    print(f"\nServing {base}{how}  (Ctrl-C to stop)\n", flush=True)

    command = [sys.executable, "manage.py", "runserver", f"{host}:{port}"]
    if server == "gunicorn":
        # Its config file says how many workers, the timeouts and the log.
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        config = ["-c", GUNICORN_CONFIG, "--bind", bind, "config.wsgi"]
        command = [sys.executable, "-m", "gunicorn", *config]
    os.chdir(project.path)
    serving.record(port, step.folder)  # for notebooks given BASE_URL
    if os.name == "posix":
        os.execve(command[0], command, env)
    return subprocess.call(command, env=env)
