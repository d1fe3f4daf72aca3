"""`make test`: every check the repository has, summed up in one line.

simplejwt reads many settings once, at import time, so each project's tests
run in a pytest process of their own (`pytest --step N`: see
harness/pytest_plugin.py). Jobs:
  - one per project (each step, then final/): tests/features/, filtered to
    the features the registry gives it; and step 15's again on PostgreSQL.
    A project with the browser page gets two: its heavy files, the rest;
  - the notebooks, in two processes (each notebook still gets its own
    kernel and server);
  - one per file of tests/repo/: registry, docs in sync, lint, harness.
They run side by side (one more than there are CPU cores). Every test has a
timeout (pytest-timeout, pyproject.toml) and so does every job: a job that
hangs is stopped, reported by name as a failure with the output it had.
A run that leaves a file in steps/ or final/, or takes one away, fails and
names it: the tests start fresh, and a learner's folders stay as they were.
The last line is "Total: N passed, N failed" (", N skipped" when any).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from harness.registry import ROOT, Step, load
from harness.setup import BYTECODE

PYTEST = [sys.executable, "-m", "pytest", "--no-header"]
# Seconds. The slowest jobs (step 15, final/) take about 130 on this 2-core
# machine with nothing else running, 175 when it is busy: room enough
# that a slow machine passes, and a hung job still ends.
JOB_TIMEOUT = 300
# The repository's slow test files, so they start early (the others: 2).
WEIGHTS = {"test_harness": 10, "test_docs": 5}


@dataclass
class Job:
    name: str
    args: list[str]
    weight: int = 1  # rough cost, so the slow jobs start first


@dataclass
class Result:
    job: Job
    returncode: int
    output: str
    seconds: float
    cpu: float = 0.0
    passed: int = 0
    failed: int = 0
    skipped: int = 0
    timed_out: bool = False
    skip_reasons: tuple[str, ...] = ()
    # (seconds, test id) of every test the job ran, from its JUnit report.
    durations: tuple[tuple[float, str], ...] = ()


def project_args(step: Step, folder: Path | None = None) -> list[str]:
    """pytest's arguments for tests/features/ against one project."""
    where = [f"--project={folder}"] if folder else []
    return [*where, "--step", "final" if step.is_final else str(step.number)]


# The feature tests that drive Chromium or start more servers than one: in
# the projects that have the page (step 12 on), they take most of the time.
HEAVY = (
    "test_browser_page",
    "test_cookie_flow",
    "test_planted_script",
    "test_resource_service",
    "test_key_set",
    "test_asymmetric_keys",
    "test_openapi",
)


def project_jobs(step: Step, name: str, args: list[str]) -> list[Job]:
    """A project's feature tests: one job, or two for a project with the
    browser page (its heavy files, then the rest), so that no job takes
    much more than a minute and a half, and two cores share the long ones."""
    if "browser-page" not in step.features:
        return [Job(name, [*args, "tests/features"], weight=3)]
    files = sorted((ROOT / "tests" / "features").glob("test_*.py"))
    heavy = [f.relative_to(ROOT).as_posix() for f in files if f.stem in HEAVY]
    rest = [f.relative_to(ROOT).as_posix() for f in files if f.stem not in HEAVY]
    return [
        Job(f"{name} (browser, services)", [*args, *heavy], weight=8),
        Job(name, [*args, *rest], weight=5),
    ]


def jobs(selected: list[str] | None = None) -> list[Job]:
    registry = load()
    out = []
    for step in registry.projects:
        out.extend(project_jobs(step, step.relpath, project_args(step)))
    # The PostgreSQL lane: step 15's tests again, every database on a
    # throwaway PostgreSQL (skipped, and counted so, where there is none).
    for step in registry.steps:
        if "production-settings" in step.features:
            args = [*project_args(step), "--database", "postgres"]
            out.extend(project_jobs(step, f"{step.relpath} on PostgreSQL", args))
    # The cluster lane: final/ as two gunicorn instances behind nginx, on
    # PostgreSQL and Redis (tests/cluster/; skipped, and counted so, where
    # they are not installed).
    out.append(Job("final/ as a cluster", ["tests/cluster"], weight=6))
    # Two processes share the notebooks (every other one in each): each
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
        out.append(Job(name, [name], weight=WEIGHTS.get(path.stem, 2)))
    if selected:
        out = [j for j in out if any(s in j.name for s in selected)]
    return sorted(out, key=lambda j: -j.weight)


def clean_env() -> dict:
    """The caller's environment without anything that picks a project (each
    job says what it tests with its own arguments), and with bytecode kept
    in .cache/pycache, so that no job compiles what another already did."""
    unwanted = ("DJANGO_SETTINGS_MODULE", "PYTHONDONTWRITEBYTECODE")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TUTORIAL_") and k not in unwanted
    }
    return {**env, **BYTECODE}


def run_job(job: Job, workdir: Path, timeout: float = JOB_TIMEOUT) -> Result:
    report = workdir / (job.name.replace("/", "_").replace(" ", "_") + ".xml")
    log = workdir / (report.stem + ".log")
    started = time.monotonic()
    with open(log, "w+b") as out:
        process = subprocess.Popen(
            # -v names each test as it starts: if a job hangs, its output
            # ends with the test it was running.
            [*PYTEST, "-v", f"--junitxml={report}", *job.args],
            cwd=ROOT,
            env=clean_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: a timeout stops it all
        )
        fired = threading.Event()
        timer = threading.Timer(timeout, _stop_group, [process.pid, fired])
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)  # and its CPU time
        timer.cancel()
        timed_out = fired.is_set()
        out.seek(0)
        output = out.read().decode(errors="replace")
    process.returncode = os.waitstatus_to_exitcode(status)
    result = Result(
        job,
        process.returncode,
        output,
        time.monotonic() - started,
        cpu=usage.ru_utime + usage.ru_stime,
        timed_out=timed_out,
    )
    _count(result, report)
    if timed_out:
        result.failed = max(result.failed, 1)
        result.output = (
            f"{job.name} did not finish in {timeout:.0f} s and was stopped. "
            f"Its output until then (it was running the last test named):\n{output}"
        )
    return result


def _stop_group(pid: int, fired: threading.Event) -> None:
    fired.set()
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _count(result: Result, report: Path) -> None:
    """Read pytest's JUnit report; a job that left none counts as one failure."""
    try:
        root = ET.parse(report).getroot()
    except (FileNotFoundError, ET.ParseError):
        result.failed = 1
        return
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    reasons = {s.get("message", "") for s in root.iter("skipped")}
    result.skip_reasons = tuple(sorted(r for r in reasons if r))
    result.durations = tuple(
        (float(case.get("time", 0)), f"{case.get('classname')}::{case.get('name')}")
        for case in root.iter("testcase")
    )
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


def run_all(todo: list[Job], workers: int, report=print) -> list[Result]:
    results = []
    with tempfile.TemporaryDirectory(prefix="jwt-tutorial-tests-") as tmp:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_job, job, Path(tmp)) for job in todo]
            for future in as_completed(futures):
                result = future.result()
                results.append(result)
                report(_line(result))
    return results


def _line(result: Result) -> str:
    ok = result.failed == 0
    state = "TIME" if result.timed_out else ("ok  " if ok else "FAIL")
    return (
        f"  {state}  {result.job.name:<40} {result.passed:>4} passed"
        + (f", {result.failed} failed" if result.failed else "")
        + (f", {result.skipped} skipped" if result.skipped else "")
        + f"  ({result.seconds:4.1f}s wall, {result.cpu:4.1f}s cpu)"
    )


def main(selected: list[str] | None = None, workers: int | None = None) -> int:
    todo = jobs(selected)
    if not todo:
        print(f"No test job matches {selected}.")
        return 2
    # One more job than cores: notebook and server jobs spend much of their
    # time waiting (kernels, servers), and a third job fills those gaps.
    return _run(todo, workers or (os.cpu_count() or 2) + 1)


RACE_ATTEMPTS = 200


def race() -> int:
    """`make test-race`: the race tests (tests marked `race`), trying each
    interleaving RACE_ATTEMPTS times, against every project that has them.
    `make test` leaves them out: they take about 40 s per project."""
    todo = [
        # 200 attempts of a race take longer than the usual minute a test
        # may take (steps 14 on sign with RSA, every job runs at once).
        Job(
            f"{step.relpath} (races)",
            [*project_args(step), "-m", "race", "--timeout", "300"],
        )
        for step in load().projects
        if "logout" in step.features
    ]
    os.environ["RACE_ATTEMPTS"] = str(RACE_ATTEMPTS)  # clean_env() passes it on
    return _run(todo, workers=len(todo))


# The learner's folders. Tests start fresh: they never leave a file there
# (.secrets.json, a database, bytecode) nor take one away.
LEARNER_FOLDERS = ("steps", "final")


def untracked_files() -> set[str] | None:
    """What git does not track in the learner's folders, ignored files too
    (a new folder is one line); None outside a git checkout: not checked."""
    done = subprocess.run(
        ["git", "status", "--porcelain", "--ignored", "--", *LEARNER_FOLDERS],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        return None
    return {line[3:] for line in done.stdout.splitlines() if line[:2] in ("??", "!!")}


def changed_files(before: set[str] | None) -> list[str]:
    """How the learner's folders differ from `before`, one line per file or
    folder that appeared or went, said on the terminal; empty if they do not."""
    after = untracked_files()
    if before is None or after is None:
        return []
    changed = [f"appeared: {name}" for name in sorted(after - before)] + [
        f"went: {name}" for name in sorted(before - after)
    ]
    if changed:
        print(
            "\nFAIL: the tests changed the learner's folders (or something ran"
            " there meanwhile: a make step-N, say):\n  " + "\n  ".join(changed)
        )
    return changed


SLOWEST = 10
# Every test's time, one line each (seconds, job, test), slowest first: the
# summary shows the top; this file holds the rest, for `sort` and `awk`.
DURATIONS = ROOT / ".cache" / "test-durations.tsv"


def slowest(results: list[Result], count: int = SLOWEST) -> str:
    """The slowest tests of the run (wall seconds, as pytest timed them, set-up
    included), with their job: where to look first when the run gets slow.
    Every test's time goes to DURATIONS."""
    cases = sorted(
        ((seconds, r.job.name, test) for r in results for seconds, test in r.durations),
        reverse=True,
    )
    DURATIONS.parent.mkdir(exist_ok=True)
    DURATIONS.write_text("".join(f"{s:.2f}\t{job}\t{test}\n" for s, job, test in cases))
    lines = [f"  {s:5.1f}s  {job}: {test}" for s, job, test in cases[:count]]
    if not lines:
        return ""
    where = DURATIONS.relative_to(ROOT)
    return f"\nSlowest {len(lines)} tests (all of them: {where}):\n" + "\n".join(lines)


def _run(todo: list[Job], workers: int) -> int:
    print(f"Running {len(todo)} test jobs, {workers} at a time ...", flush=True)
    started = time.monotonic()
    before = untracked_files()
    results = run_all(todo, workers, lambda line: print(line, flush=True))
    for result in (r for r in results if r.failed):
        print(f"\n===== {result.job.name}: output =====\n{result.output}")
    passed = sum(r.passed for r in results)
    failed = sum(r.failed for r in results)
    skipped = sum(r.skipped for r in results)
    cpu = sum(r.cpu for r in results)
    # A skip is never a quiet pass: say, once, why tests did not run.
    reasons = sorted({reason for r in results for reason in r.skip_reasons})
    for reason in reasons:
        print(f"\nSKIPPED: {reason}")
    print(slowest(results))
    print(f"\nWall time: {time.monotonic() - started:.1f}s, CPU time: {cpu:.1f}s")
    if changed_files(before):
        failed += 1  # a failure of the run, not of one test
    line = f"Total: {passed} passed, {failed} failed"
    print(line + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


def one_step(number: str, pytest_args: list[str]) -> int:
    """`make test-step-N`: one project's tests, in the foreground."""
    step = load().step(number)
    print(f"{step.label} ({step.relpath}): features {', '.join(step.features)}")
    print("(tests of features this step does not have are listed as deselected)")
    before = untracked_files()
    status = subprocess.call(
        [*PYTEST, "-v", *project_args(step), "tests/features", *pytest_args],
        cwd=ROOT,
        env=clean_env(),
    )
    return status or (1 if changed_files(before) else 0)
