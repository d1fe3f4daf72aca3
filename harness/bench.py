"""`make bench`: what each check costs (harness/costs.py), and, with
`python -m harness bench times` (`make bench-times`), the numbers a room
full of people waits for:

1. setup: a fresh clone's `python3 -m harness setup dev` (venv + installs);
2. start-up: `make step-4` until its first answered HTTP request;
3. `make test-step-N` for every project, and the slowest;
4. tests: `make test`'s jobs once setup is done, each with its wall and CPU
   time, sorted by CPU: where the time goes.
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
from harness.registry import ROOT, load


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


def test_jobs() -> tuple[float, list]:
    """`make test`'s jobs, as `make test` runs them, with each one's cost."""
    from harness import runner

    todo = runner.jobs()
    started = time.monotonic()
    results = runner.run_all(todo, (os.cpu_count() or 2) + 1, report=lambda _: None)
    return time.monotonic() - started, results


def main(part: str = "costs", tiny: bool = False, record: bool = False) -> int:
    """`bench costs` (the default), `bench times`, or `bench all`: both.
    With `record`, the costs are kept for TUTORIAL.md (costs.record())."""
    if part in ("times", "all"):
        times()
    if part in ("costs", "all"):
        from harness import costs

        return costs.main(tiny, record)
    return 0


def times() -> int:
    """Setup, start-up and the test run: slow (it runs every test)."""
    print(f"Machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    setup = fresh_setup()
    print(f"  fresh setup (venv + dev requirements)   {setup:6.1f} s   target < 60")
    answers = sorted(first_answer() for _ in range(3))
    print(f"  make step-4 to first answer (median/3)  {answers[1]:6.1f} s   target < 3")
    steps = []
    for step in load().projects:
        name = "final" if step.is_final else str(step.number)
        seconds, _ = _timed(
            ["make", f"test-{'final' if step.is_final else 'step-' + name}"], ROOT
        )
        steps.append((seconds, step.label))
    worst = max(steps)
    print(
        f"  make test-step-N, slowest ({worst[1]})      {worst[0]:6.1f} s   target < 5"
    )
    wall, results = test_jobs()
    failed = sum(r.failed for r in results)
    state = "passed" if not failed else f"{failed} FAILED"
    cpu = sum(r.cpu for r in results)
    print(f"  make test after setup ({state})  {wall:6.1f} s wall   target < 30")
    print(f"  ...its CPU time, all jobs              {cpu:6.1f} s")
    print("\nWhere the time goes (each job alone is shown by `make test` too):")
    for result in sorted(results, key=lambda r: -r.cpu):
        name, wall, cpu = result.job.name, result.seconds, result.cpu
        print(f"  {name:<42} {wall:5.1f} s wall {cpu:5.1f} s CPU")
    return 0
