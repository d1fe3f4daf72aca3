"""`make test`: every check the repository has, summed up in one line.

simplejwt reads many settings once, at import time, so each project's tests
run in a pytest process of their own, with that project's own settings.
Jobs:
  - one per project (each step, then final/): tests/features/, filtered to
    the features the registry lists for it;
  - one per notebook: executed top to bottom against its own server;
  - one per file of tests/repo/: registry, docs in sync, lint, harness.
They run side by side (as many as there are CPU cores), and the last line
is "Total: N passed, N failed" (", N skipped" when there are any).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from harness.project import Project
from harness.registry import ROOT, Step, load

PYTEST = [sys.executable, "-m", "pytest", "-q", "--no-header"]


@dataclass
class Job:
    name: str
    args: list[str]
    env: dict = field(default_factory=lambda: dict(os.environ))
    weight: int = 1  # rough cost, so the slow jobs start first


@dataclass
class Result:
    job: Job
    returncode: int
    output: str
    seconds: float
    passed: int = 0
    failed: int = 0
    skipped: int = 0


def project_env(step: Step, project_path: Path | None = None) -> dict:
    """The environment for tests/features/ against one project."""
    project = Project.at(project_path or step.path)
    env = project.env(hasher="fast")
    env["TUTORIAL_FEATURES"] = ",".join(step.features)
    env["TUTORIAL_LABEL"] = step.label
    return env


def jobs(selected: list[str] | None = None) -> list[Job]:
    registry = load()
    out = []
    for step in registry.projects:
        out.append(Job(step.relpath, ["tests/features"], project_env(step), weight=3))
    # The notebooks share two processes (every other notebook in each): each
    # notebook still gets its own kernel and server, but Python, pytest and
    # nbclient start twice, not once per notebook.
    notebooks = [s for s in registry.steps if s.notebook is not None]
    for half in (notebooks[0::2], notebooks[1::2]):
        nodes = [
            f"tests/notebooks/test_notebooks.py::test_notebook[{s.folder}]"
            for s in half
        ]
        name = f"notebooks {', '.join(f'{s.number:02d}' for s in half)}"
        out.append(Job(name, nodes, weight=9))
    for path in sorted((ROOT / "tests" / "repo").glob("test_*.py")):
        name = path.relative_to(ROOT).as_posix()
        out.append(Job(name, [name], weight=5 if "docs" in name else 2))
    if selected:
        out = [j for j in out if any(s in j.name for s in selected)]
    return sorted(out, key=lambda j: -j.weight)


def run_job(job: Job, workdir: Path) -> Result:
    report = workdir / (job.name.replace("/", "_").replace(" ", "_") + ".xml")
    started = time.monotonic()
    process = subprocess.run(
        [*PYTEST, f"--junitxml={report}", *job.args],
        cwd=ROOT,
        env=job.env,
        capture_output=True,
        text=True,
    )
    result = Result(
        job,
        process.returncode,
        process.stdout + process.stderr,
        time.monotonic() - started,
    )
    _count(result, report)
    return result


def _count(result: Result, report: Path) -> None:
    """Read pytest's JUnit report; a job that left none counts as one failure."""
    try:
        root = ET.parse(report).getroot()
    except (FileNotFoundError, ET.ParseError):
        result.failed = 1
        return
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    total = 0
    for suite in suites:
        tests = int(suite.get("tests", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        total += tests
        result.failed += failed
        result.skipped += skipped
        result.passed += tests - failed - skipped
    # Exit 5 means pytest collected nothing, and any exit but 0 or 1 means it
    # broke before the end: both count as a failure, never as a quiet pass.
    if result.returncode not in (0, 1) or total == 0:
        result.failed = max(result.failed, 1)


def main(selected: list[str] | None = None, workers: int | None = None) -> int:
    todo = jobs(selected)
    if not todo:
        print(f"No test job matches {selected}.")
        return 2
    # One more job than cores: notebook and server jobs spend much of their
    # time waiting (kernels, servers), and a third job fills those gaps.
    workers = workers or (os.cpu_count() or 2) + 1
    print(f"Running {len(todo)} test jobs, {workers} at a time ...", flush=True)
    started = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="jwt-tutorial-tests-") as tmp:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_job, job, Path(tmp)) for job in todo]
            for future in as_completed(futures):
                result = future.result()
                results.append(result)
                ok = result.failed == 0
                print(
                    f"  {'ok  ' if ok else 'FAIL'}  {result.job.name:<45}"
                    f" {result.passed:>3} passed"
                    + (f", {result.failed} failed" if result.failed else "")
                    + (f", {result.skipped} skipped" if result.skipped else "")
                    + f"  ({result.seconds:.1f}s)",
                    flush=True,
                )
    failures = [r for r in results if r.failed]
    for result in failures:
        print(f"\n===== {result.job.name}: output =====\n{result.output}")
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    print(f"\nWall time: {time.monotonic() - started:.1f}s")
    line = f"Total: {passed} passed, {failed} failed"
    print(line + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


def one_step(number: str, pytest_args: list[str]) -> int:
    """`make test-step-N`: one project's tests, in the foreground."""
    step = load().step(number)
    print(f"{step.label} ({step.relpath}): features {', '.join(step.features)}")
    print("(tests of features this step does not have are listed as deselected)")
    return subprocess.call(
        [*PYTEST, "-v", "tests/features", *pytest_args],
        cwd=ROOT,
        env=project_env(step),
    )
