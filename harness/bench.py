"""`make bench`: the numbers a room full of people waits for.

1. setup: a fresh clone's `python3 -m harness setup dev` (venv + installs);
2. start-up: `make step-4` until its first answered HTTP request;
3. tests: `make test` once setup is done.
A benchmark, not a test: it measures and prints, it asserts nothing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.net import free_port, wait_for_http
from harness.registry import ROOT


def _timed(command: list[str], cwd: Path) -> tuple[float, int]:
    started = time.monotonic()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    return time.monotonic() - started, done.returncode


def fresh_setup() -> float:
    with tempfile.TemporaryDirectory(prefix="jwt-bench-") as tmp:
        clone = Path(tmp) / "clone"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        python = shutil.which("python3") or sys.executable
        seconds, code = _timed([python, "-m", "harness", "setup", "dev"], clone)
        if code:
            raise RuntimeError("setup failed in a fresh clone")
        return seconds


def first_answer(step: str = "4") -> float:
    port = free_port()
    started = time.monotonic()
    process = subprocess.Popen(
        ["make", f"step-{step}", f"PORT={port}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_http(
            f"http://127.0.0.1:{port}/api/hello/", alive=lambda: process.poll() is None
        )
        return time.monotonic() - started
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait()


def main() -> int:
    print(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    setup = fresh_setup()
    print(f"  fresh setup (venv + dev requirements)   {setup:6.1f} s   target < 60")
    answers = sorted(first_answer() for _ in range(3))
    print(f"  make step-4 to first answer (median/3)  {answers[1]:6.1f} s   target < 3")
    seconds, code = _timed(["make", "test"], ROOT)
    state = "passed" if code == 0 else "FAILED"
    print(f"  make test after setup ({state})         {seconds:6.1f} s   target < 30")
    return 0
