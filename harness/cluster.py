"""final/ scaled out, on this machine: `make final-cluster` and the cluster tests.

    PostgreSQL   one database, every instance's
    Redis        one cache, every instance's (the throttles' counts)
    gunicorn     final/, twice: instance A and instance B (migrations run
                 once, before either starts)
    nginx        https in front of both, round robin (final/deploy/nginx.conf)

Everything listens on 127.0.0.1 and a free port, keeps its files in a
temporary directory, and is stopped by the process id this code started.
The instances run in production mode, with keys made for this run only and a
TLS certificate made for this run only (`certificate` is the file a client
trusts). Debian's packages: postgresql, redis-server, nginx.

    with Cluster() as cluster:
        cluster.url                 # https://127.0.0.1:PORT (nginx)
        cluster.instances[0].url    # http://127.0.0.1:PORT (instance A itself)
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import postgres
from harness.net import free_port, wait_for_http
from harness.project import Project, clean_environ, new_private_key
from harness.registry import ROOT
from harness.setup import BYTECODE

FINAL = ROOT / "final"
INSTALL = "sudo apt-get install postgresql redis-server nginx"
NGINX_USER = "www-data"  # Debian's: nginx's worker runs as it when we are root


def missing() -> str | None:
    """Why there can be no cluster here, or None."""
    absent = [name for name in ("redis-server", "nginx") if not _which(name)]
    if postgres.missing():
        absent.insert(0, "postgresql")
    if absent:
        return f"no {', '.join(absent)} for the cluster: install with {INSTALL}"
    return None


# Each program can be named by a variable (the test of the skip names one
# that does not exist); else it is found on the PATH, or in /usr/sbin, which
# a non-root PATH often lacks (nginx is there).
PROGRAMS = {"redis-server": "REDIS_SERVER", "nginx": "NGINX"}


def _which(name: str) -> str | None:
    chosen = os.environ.get(PROGRAMS[name])
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")


def _stop(process: subprocess.Popen | None, sig=signal.SIGTERM, group=False) -> None:
    """Stop a process this module started (and, with group=True, every
    process of its group: gunicorn's workers), by its id."""
    if process is None or process.poll() is not None:
        return
    if group:
        os.killpg(process.pid, sig)
    else:
        process.send_signal(sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL) if group else process.kill()
        process.wait()


class Redis:
    """redis-server, in memory only (no file is written), on a free port, with
    a password made for this run. It must have one: Django's Redis cache
    stores Python pickles, so whoever can write to this Redis can make the
    instances run code of their choosing, and 127.0.0.1 is open to every
    user of this machine."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = free_port()
        self.password = secrets.token_urlsafe(16)
        self.url = f"redis://:{self.password}@127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> Redis:
        self.process = subprocess.Popen(
            [
                _which("redis-server"),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",  # no snapshots
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--logfile",
                str(self.folder / "redis.log"),
                "--requirepass",
                self.password,
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start:\n{self.log()}")
            time.sleep(0.05)
        return self

    def answers(self) -> bool:
        """Does it answer PING? (Redis's readiness check.)"""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                s.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
                answer = b""
                while answer.count(b"\r\n") < 2 and (chunk := s.recv(64)):
                    answer += chunk
                return answer == b"+OK\r\n+PONG\r\n"
        except OSError:
            return False

    def log(self) -> str:
        path = self.folder / "redis.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        process, self.process = self.process, None
        _stop(process)

    def restart(self) -> Redis:
        """Stop it and start it again on the same port, empty (it keeps
        nothing on disk): what the instances see when Redis is replaced."""
        self.stop()
        return self.start()


class Instance:
    """One gunicorn of final/, with its config file (final/gunicorn.conf.py)."""

    def __init__(self, name: str, env: dict, folder: Path):
        self.name = name
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = folder / f"instance-{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Instance:
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}"}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-c",
                    "gunicorn.conf.py",
                    "config.wsgi",
                ],
                cwd=FINAL,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a group of its own: master and workers
            )
        # /api/hello/ answers a redirect to https here (production, and no
        # proxy in between): an answer all the same.
        wait_for_http(f"{self.url}/api/hello/", 30, alive=self.alive)
        return self

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, master and workers at once: the machine it ran on died."""
        process, self.process = self.process, None
        _stop(process, signal.SIGKILL, group=True)

    def stop(self) -> None:
        process, self.process = self.process, None
        _stop(process, group=True)

    def log(self) -> str:
        return (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed TLS certificate for 127.0.0.1 and localhost, valid for a
    day, made for this run: (certificate, key) files. A client trusts the
    certificate file itself (requests: verify=certificate)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "final-cluster")])
    now = datetime.datetime.now(datetime.UTC)
    names = [
        x509.DNSName("localhost"),
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
    ]
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cluster.crt", folder / "cluster.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


class Nginx:
    """nginx with final/deploy/nginx.conf, filled in for this run."""

    def __init__(self, folder: Path, upstreams: list[Instance], certificate, key):
        self.folder = folder / "nginx"
        self.folder.mkdir()
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        servers = "\n        ".join(
            f"server 127.0.0.1:{i.port} max_fails=1 fail_timeout=5s;" for i in upstreams
        )
        template = string.Template((FINAL / "deploy" / "nginx.conf").read_text())
        self.config = self.folder / "nginx.conf"
        self.config.write_text(
            template.safe_substitute(  # safe: nginx's own $variables stay
                RUN_DIR=self.folder,
                UPSTREAM_SERVERS=servers,
                LISTEN=f"127.0.0.1:{self.port}",
                CERTIFICATE=certificate,
                CERTIFICATE_KEY=key,
            )
        )
        if os.geteuid() == 0:
            # Started as root, nginx runs its worker as NGINX_USER, which
            # must reach this folder (to buffer large bodies): the run's
            # folder may be passed through, not listed, by others.
            user = pwd.getpwnam(NGINX_USER)
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self.folder.parent.chmod(0o711)
        self.process: subprocess.Popen | None = None

    def start(self) -> Nginx:
        self.process = subprocess.Popen(
            [
                _which("nginx"),
                "-c",
                str(self.config),
                "-p",
                str(self.folder),
                "-e",
                str(self.folder / "error.log"),
                "-g",
                "daemon off;" + (f" user {NGINX_USER};" if os.geteuid() == 0 else ""),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx did not start:\n{self.log()}") from None
                time.sleep(0.05)

    def log(self) -> str:
        path = self.folder / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        process, self.process = self.process, None
        _stop(process, signal.SIGQUIT)  # nginx's graceful stop


_ADD_USERS = """
import json, os
from django.contrib.auth import get_user_model
for name, password in json.loads(os.environ["CLUSTER_USERS"]).items():
    user, _ = get_user_model().objects.get_or_create(username=name)
    user.set_password(password)
    user.save()
"""


class Cluster:
    """PostgreSQL, Redis, two instances of final/ and nginx, started in that
    order (migrations once, before the instances), stopped in reverse.

    users: {username: password}, created before the instances start.
    env: more settings for every instance (THROTTLE_LOGIN="3/minute", say).
    quick_hasher: hash passwords with the harness's quicker PBKDF2 (tests
    log in hundreds of times); otherwise final/'s own Argon2id.
    shared_cache: False gives each process its own local-memory cache
    instead of Redis: the mistake the cluster tests show.
    """

    def __init__(
        self,
        users: dict[str, str] | None = None,
        env: dict | None = None,
        instances: int = 2,
        workers: int = 2,
        quick_hasher: bool = False,
        shared_cache: bool = True,
    ):
        self.users = users or {}
        self.extra_env = env or {}
        self.count, self.workers = instances, workers
        self.quick_hasher, self.shared_cache = quick_hasher, shared_cache
        self._tmp = tempfile.TemporaryDirectory(prefix="jwt-cluster-")
        self.folder = Path(self._tmp.name)
        self.postgres: postgres.Postgres | None = None
        self.redis: Redis | None = None
        self.instances: list[Instance] = []
        self.nginx: Nginx | None = None

    def environment(self) -> dict:
        """What every instance (and `manage.py`) runs with: production."""
        env = clean_environ()
        env.update(
            DJANGO_ENV="production",
            DJANGO_SETTINGS_MODULE="config.settings",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
            JWT_PRIVATE_KEY=new_private_key(),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=self.postgres.url("notes"),
            NUM_PROXIES="1",  # nginx, in front
            WEB_CONCURRENCY=str(self.workers),
        )
        env.update(BYTECODE)  # compiled files in .cache/, not in final/
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        if self.shared_cache:
            env["REDIS_URL"] = self.redis.url
        if self.quick_hasher:
            # harness.settings: final/'s settings, with the quicker hasher.
            # The production keys above stay: keys=False.
            env.update(Project.at(FINAL).env(hasher="quick", keys=False, full=False))
            env["DJANGO_ENV"] = "production"  # env() chose development
            env["TUTORIAL_DATABASE_URL"] = env["DATABASE_URL"]
        env.update(self.extra_env)
        return env

    def manage(self, *command: str, **env: str) -> subprocess.CompletedProcess:
        """`manage.py` on the cluster's database, with its settings."""
        return subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=FINAL,
            env={**self.env, **env},
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self) -> Cluster:
        try:
            # Each object is kept before it starts, so that stop() below
            # stops it even if it fails (or Ctrl-C comes) half-way.
            self.postgres = postgres.Postgres()
            self.postgres.start()
            self.postgres.create("notes")
            self.redis = Redis(self.folder)
            self.redis.start()
            self.env = self.environment()
            done = self.manage("migrate", "--noinput")  # once, before both
            if done.returncode:
                raise RuntimeError(f"migrate failed:\n{done.stderr}")
            if self.users:
                users = json.dumps(self.users)
                done = self.manage("shell", "-c", _ADD_USERS, CLUSTER_USERS=users)
                if done.returncode:
                    raise RuntimeError(f"adding the users failed:\n{done.stderr}")
            self.instances = [
                Instance(name, self.env, self.folder)
                for name in "ABCDEFGH"[: self.count]
            ]
            for instance in self.instances:
                instance.start()
            self.certificate, key = make_certificate(self.folder)
            self.nginx = Nginx(self.folder, self.instances, self.certificate, key)
            self.nginx.start()
            self.url = self.nginx.url
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.nginx:
            self.nginx.stop()
        for instance in self.instances:
            instance.stop()
        if self.redis:
            self.redis.stop()
        if self.postgres:
            self.postgres.stop()
        self._tmp.cleanup()

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main() -> int:
    """`make final-cluster`: start it all, print the URL, wait for Ctrl-C."""
    why = missing()
    if why:
        print(why)
        return 1
    password = secrets.token_urlsafe(12)
    print("Starting PostgreSQL, Redis, two gunicorn instances of final/ and nginx ...")
    started = time.monotonic()
    cluster = Cluster(users={"alice": password})
    # Ctrl-C, even where the shell started us with SIGINT ignored; and a
    # plain `kill`: either way, everything below is stopped.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        cluster.start()
        a, b = cluster.instances
        pg, redis = cluster.postgres.url("notes"), cluster.redis.url
        print(
            f"\nReady in {time.monotonic() - started:.1f} s: {cluster.url}/ "
            "(nginx, in front of instances A and B). To copy:\n\n"
            f"  export API={cluster.url}\n"
            f"  export CA={cluster.certificate}\n\n"
            f"Log in as alice, password {password} (made for this run).\n"
            "The certificate is made for this run too: curl --cacert $CA ... "
            "(a browser warns: accept it).\n"
            f"Instance A: {a.url}  B: {b.url}  (the X-Served-By header says "
            "which one answered)\n"
            f"PostgreSQL: {pg}  Redis: {redis}\n"
            "Ctrl-C stops everything it started.",
            flush=True,
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        print("\nStopping everything it started ...", flush=True)
        cluster.stop()
    return 0
