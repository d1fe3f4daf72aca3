"""A throwaway PostgreSQL server, for the tests' PostgreSQL lane (step 15 on).

It lives in a temporary directory, listens on 127.0.0.1 and a free port,
asks for a password made for this run (other users of this machine can
reach 127.0.0.1 too), and is stopped by the process id it started.
PostgreSQL refuses to run as root: as root (as CI runs), the server runs as
Debian's `postgres` user.

    with Postgres() as pg:
        url = pg.create("notes")   # postgres://postgres:PASSWORD@127.0.0.1:PORT/notes
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from harness.net import free_port

INSTALL = "sudo apt-get install postgresql"
USER = "postgres"  # the database's own superuser, and Debian's system user


def binaries() -> Path | None:
    """The folder of initdb and postgres: $POSTGRES_BIN, or Debian's (newest
    first), or the PATH's."""
    if "POSTGRES_BIN" in os.environ:
        chosen = Path(os.environ["POSTGRES_BIN"])
        return chosen if (chosen / "postgres").exists() else None
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), reverse=True)
    if found:
        return Path(found[0]).parent
    on_path = shutil.which("postgres")
    return Path(on_path).parent if on_path else None


def missing() -> str | None:
    """Why there is no PostgreSQL lane here, or None if there can be one."""
    if binaries() is None:
        return (
            "no PostgreSQL for the PostgreSQL lane: install it with "
            f"{INSTALL} (or set POSTGRES_BIN to its bin folder)"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(USER)
        except KeyError:
            return f"running as root and no {USER!r} user to run PostgreSQL as"
    return None


def _as_owner():
    """Run the child as `postgres` when we are root (PostgreSQL insists)."""
    if os.geteuid() == 0:
        user = pwd.getpwnam(USER)
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)


class Postgres:
    def __init__(self):
        self.bin = binaries()
        self.port = free_port()
        self._tmp = tempfile.TemporaryDirectory(prefix="jwt-tutorial-pg-")
        self.data = Path(self._tmp.name) / "data"
        self.process: subprocess.Popen | None = None
        self.password = secrets.token_urlsafe(16)

    def _run(self, *command: str) -> None:
        subprocess.run(
            command,
            check=True,
            capture_output=True,
            preexec_fn=_as_owner,
            timeout=60,
        )

    def start(self) -> Postgres:
        if os.geteuid() == 0:
            shutil.chown(self._tmp.name, USER)
        password_file = Path(self._tmp.name) / "password"
        password_file.write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(password_file, USER)
        self._run(
            str(self.bin / "initdb"),
            "-D", str(self.data),
            "-U", USER,
            f"--pwfile={password_file}",
            "--auth-host=scram-sha-256",  # over TCP: the password
            "--auth-local=trust",  # its socket: in our folder, ours only
            "--no-sync",  # a throwaway cluster: no waiting for the disk
            "-E", "UTF8",
        )  # fmt: skip
        self._log = open(Path(self._tmp.name) / "server.log", "wb")
        return self._launch()

    def _launch(self) -> Postgres:
        self.process = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-k",
                self._tmp.name,  # its socket here, not in /var/run
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=self._log,
            preexec_fn=_as_owner,
        )
        self._wait_until_ready()
        return self

    def restart(self) -> Postgres:
        """Stop the server (fast shutdown: every connection is cut) and start
        it again on the same port and data, as a database upgrade would."""
        self._shut_down(self.process)
        return self._launch()

    def _wait_until_ready(self, timeout: float = 30) -> None:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited:\n{self.log()}")
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"PostgreSQL did not answer in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        path = Path(self._tmp.name) / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def url(self, database: str) -> str:
        return f"postgres://{USER}:{self.password}@127.0.0.1:{self.port}/{database}"

    def create(self, database: str) -> str:
        """Create an empty database; its URL."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as db:
            db.execute(f'CREATE DATABASE "{database}"')
        return self.url(database)

    def stop(self) -> None:
        """Stop the server this object started, by its process id (SIGINT:
        PostgreSQL's fast shutdown), then remove its files."""
        process, self.process = self.process, None
        self._shut_down(process)
        if getattr(self, "_log", None) is not None:
            self._log.close()
        self._tmp.cleanup()

    @staticmethod
    def _shut_down(process: subprocess.Popen | None) -> None:
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> Postgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
