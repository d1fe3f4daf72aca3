"""A Django project on disk (a step, final/, or a learner's own copy).

The harness never imports a project's modules by name: it reads manage.py to
learn the settings module, so the same tooling works on any project layout.
"""

from __future__ import annotations

import functools
import os
import re
import secrets
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.registry import ROOT
from harness.setup import BYTECODE

# The demo accounts every step's server has. "user"/"pass" are the guide's;
# "alice" exists so a learner can see that one user cannot read another's
# notes, and she is staff: she can log in to /admin/ and open /api/staff/.
DEMO_USERS = (("user", "pass"), ("alice", "wonderland"))
STAFF = {"alice"}

# The keys a project's settings read from step 07 on (step 14 on signs with
# JWT_PRIVATE_KEY instead of JWT_SIGNING_KEY). Without them, development
# settings make their own and keep them in .secrets.json in the project's
# folder: the lesson of `make step-N`, and no business of a test.
KEY_NAMES = ("DJANGO_SECRET_KEY", "JWT_SIGNING_KEY", "JWT_PRIVATE_KEY")


def new_private_key() -> str:
    """A new 2048-bit RSA private key, as PEM text (what JWT_PRIVATE_KEY holds)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def clean_environ() -> dict:
    """os.environ without what would change a project's settings behind our
    back: for a project run on settings of our choosing (the cluster, the
    bench), as a fresh shell would have it."""
    prefixes = ("TUTORIAL_", "DJANGO_", "JWT_", "THROTTLE_", "DATABASE_URL", "REDIS_")
    return {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}


@functools.cache
def development_keys() -> dict:
    """Keys for the projects the harness runs, the same for every project and
    server this process starts (a token a test signs in-process is good at
    its servers, and the other way round): this process's own where it has
    them (a parent harness process's), else made here, once."""

    def made(name: str) -> str:
        if name == "JWT_PRIVATE_KEY":
            return new_private_key()
        return secrets.token_urlsafe(48)

    return {name: os.environ.get(name) or made(name) for name in KEY_NAMES}


_SETTINGS_RE = re.compile(r"""DJANGO_SETTINGS_MODULE["']\s*,\s*["']([\w.]+)["']""")


class ProjectError(Exception):
    """Something about a project's folder that a learner can fix."""


@dataclass(frozen=True)
class Project:
    path: Path

    @classmethod
    def at(cls, path: str | os.PathLike) -> Project:
        folder = Path(path).expanduser().resolve()
        if not folder.is_dir():
            raise ProjectError(f"{folder} is not a folder")
        if not (folder / "manage.py").is_file():
            raise ProjectError(
                f"{folder} has no manage.py: point at the folder that holds "
                "your project's manage.py"
            )
        return cls(folder)

    @property
    def settings_module(self) -> str:
        """The settings module manage.py names, e.g. "config.settings"."""
        match = _SETTINGS_RE.search((self.path / "manage.py").read_text())
        if not match:
            raise ProjectError(
                f"{self.path / 'manage.py'} does not set DJANGO_SETTINGS_MODULE"
            )
        return match.group(1)

    def env(
        self,
        *,
        database: Path | None = None,
        hasher="",
        hosts="",
        throttle="",
        keys=True,
        full=True,
    ) -> dict:
        """Environment that runs this project under harness.settings.

        harness.settings imports the project's own settings unchanged, then
        points the database at `database` (a throwaway file) and may swap the
        password hasher: "fast" (tests) or "quick" (throwaway servers), and
        turn the throttles off (throttle="off": tests log in hundreds of
        times from one address; the throttling tests turn them back on).
        DJANGO_ENV is "development": final/ runs production when nothing is
        set (steps ignore it unless it says "production"). With keys=True,
        development_keys(), so the project never writes .secrets.json into
        its folder; keys=False leaves that to it (`make step-N`: a learner's
        run). With full=False, only the variables this sets, not a copy of
        os.environ.
        """
        ours = {
            "PYTHONPATH": os.pathsep.join(
                [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
            "DJANGO_SETTINGS_MODULE": "harness.settings",
            "DJANGO_ENV": "development",
            "TUTORIAL_PROJECT": str(self.path),
            "TUTORIAL_PROJECT_SETTINGS": self.settings_module,
            "TUTORIAL_DB": str(database) if database is not None else "",
            "TUTORIAL_HASHER": hasher,
            "TUTORIAL_ALLOWED_HOSTS": hosts,
            "TUTORIAL_THROTTLE": throttle,
            **BYTECODE,
            **(development_keys() if keys else {}),
        }
        if full:
            environ = {**os.environ, **ours}
            environ.pop("PYTHONDONTWRITEBYTECODE", None)
            return environ
        return ours


def prepare_database(verbose: bool = False, demo_users: bool = True) -> None:
    """Migrate the current Django database and make sure the demo users exist
    (unless demo_users is False: production mode gets none).

    Call it in a process whose Django settings are already chosen.
    """
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=1 if verbose else 0, interactive=False)
    from django.contrib.auth import get_user_model

    User = get_user_model()
    if not demo_users:
        # Production mode on a database that development seeded would still
        # let user/pass log in: refuse it rather than pretend it has none.
        seeded = [
            name
            for name, password in DEMO_USERS
            if (found := User.objects.filter(username=name).first())
            and found.check_password(password)
        ]
        if seeded:
            raise ProjectError(
                f"this database has the demo users of development ({', '.join(seeded)},"
                " with their demo passwords): production mode refuses it. Remove "
                "the step's db.sqlite3 (`make reset-N` for step N) or point it at"
                " another database."
            )
        return
    users = [User.objects.get_or_create(username=name)[0] for name, _ in DEMO_USERS]
    # Hashing a password is made slow on purpose (half a second each, with
    # Django's PBKDF2), and hashlib and argon2 let other threads run while they
    # hash: both demo users at once, on two cores, start a step sooner.
    with ThreadPoolExecutor() as pool:
        hashes = list(pool.map(_demo_hash, users, [p for _, p in DEMO_USERS]))
    for user, new_hash in zip(users, hashes, strict=True):
        if new_hash or not user.is_active:
            user.password = new_hash or user.password
            user.is_active = True
        user.is_staff = user.username in STAFF
        user.save()


def _demo_hash(user, password: str) -> str | None:
    """None if `user` has `password`, hashed the project's preferred way; if
    not (a new user, a password changed, an older hasher), a new hash."""
    from django.contrib.auth.hashers import check_password, make_password

    outdated = []  # check_password calls this when the hasher has changed
    if check_password(password, user.password, setter=outdated.append):
        if not outdated:
            return None
    return make_password(password)


def run_prepare(project: Project, env: dict) -> subprocess.CompletedProcess:
    """`python -m harness prepare DIR` in a process of its own, with `env`
    choosing the settings and database: migrate, then add the demo users."""
    return subprocess.run(
        [sys.executable, "-m", "harness", "prepare", str(project.path)],
        env=env,
        capture_output=True,
        text=True,
    )
