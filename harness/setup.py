"""Create and fill .venv, only as far as a command needs, only when needed.

Three levels, each a pinned requirements file: "base" runs the steps,
"dev" adds tests and notebook execution, "lab" adds JupyterLab. A stamp file
records what was installed, so a second run costs a hash, not an install.
This module uses the standard library only: it runs before anything is
installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from harness.registry import ROOT

VENV = ROOT / ".venv"
LEVELS = ("base", "dev", "lab")
# Compiled bytecode of every process the harness starts goes to .cache/pycache
# (ignored by git), never into the steps' folders, and is reused from there:
# a test run starts some eighty Python processes, and each would otherwise
# compile the same modules again (PYTHONDONTWRITEBYTECODE is unset for them).
BYTECODE = {"PYTHONPYCACHEPREFIX": str(ROOT / ".cache" / "pycache")}


def venv_python() -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def in_venv() -> bool:
    return Path(sys.prefix).resolve() == VENV.resolve()


def _requirements(level: str) -> Path:
    return ROOT / "requirements" / f"{level}.txt"


def _digest(level: str) -> str:
    """A hash of this level's requirements and of every level below it."""
    h = hashlib.sha256()
    for name in LEVELS[: LEVELS.index(level) + 1]:
        h.update(_requirements(name).read_bytes())
    return h.hexdigest()


def _stamp(level: str) -> Path:
    return VENV / f".installed-{level}"


def is_ready(level: str) -> bool:
    stamp = _stamp(level)
    return stamp.exists() and stamp.read_text() == _digest(level)


def ensure(level: str) -> None:
    """Make .venv hold everything `level` needs (a no-op when it already does)."""
    if is_ready(level):
        return
    if not venv_python().exists():
        print("Creating .venv (first run only) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    print(f"Installing requirements/{level}.txt into .venv ...", flush=True)
    subprocess.run(
        [
            str(venv_python()),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
            str(_requirements(level)),
        ],
        check=True,
    )
    _link_repository()
    _compile()
    # Each file includes the one below it (-r): installing a level installs
    # the levels below too, so a later command of a lower level installs
    # nothing again.
    for done in LEVELS[: LEVELS.index(level) + 1]:
        _stamp(done).write_text(_digest(done))


def _compile() -> None:
    """Compile what was installed into .cache/pycache, once, on every core."""
    subprocess.run(
        [str(venv_python()), "-m", "compileall", "-q", "-j0", _purelib()],
        env={**os.environ, **BYTECODE},
        stdout=subprocess.DEVNULL,
        check=False,  # an uncompilable file only costs speed
    )


def _link_repository() -> None:
    """Put the repository on .venv's path, so notebooks can `import harness`."""
    (Path(_purelib()) / "jwt-tutorial.pth").write_text(str(ROOT) + "\n")


def _purelib() -> str:
    return subprocess.run(
        [
            str(venv_python()),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def reexec_in_venv(level: str, argv: list[str]) -> None:
    """Ensure `level`, then run this same command again with .venv's Python."""
    ensure(level)
    command = [str(venv_python()), "-m", "harness", *argv]
    if os.name == "posix":
        os.execv(command[0], command)
    sys.exit(subprocess.call(command))
