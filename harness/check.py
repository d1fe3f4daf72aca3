"""`make check STEP=N DIR=path`: your own project, checked against step N's tests.

It runs the same tests as `make test` (tests/features/), for the features the
registry lists for step N, against the project in DIR, and reports them
feature by feature, in words: what works, what is missing, and a hint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.project import Project, ProjectError
from harness.registry import ROOT, load
from harness.runner import PYTEST, clean_env, project_args

REPORT_ENV = "TUTORIAL_CHECK_REPORT"
_STARTS_AND_IS_MIGRATED = """
import sys, traceback
import django
try:
    django.setup()
except Exception:
    traceback.print_exc()
    sys.exit(3)
from django.core.management import call_command
call_command("makemigrations", check=True, dry_run=True, verbosity=0)
"""


# ------------------------------------- pytest plugin (loaded with -p harness.check)

_results: list[dict] = []


def pytest_collection_modifyitems(items):
    """Remember each test's feature and the first line of its docstring."""
    for item in items:
        marker = item.get_closest_marker("feature")
        doc = (item.function.__doc__ or "").strip().splitlines()
        item.user_properties.append(("feature", marker.args[0] if marker else "?"))
        item.user_properties.append(("doc", doc[0] if doc else ""))
        # as_user logs in the project's way: with a token once jwt-auth is in
        # the step's features (tests/features/conftest.py).
        item.user_properties.append(("logs_in", "as_user" in item.fixturenames))


def pytest_runtest_logreport(report):
    if report.when == "call" or report.failed:
        props = dict(report.user_properties)
        message = ""
        if report.failed and report.longrepr is not None:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = crash.message if crash else str(report.longrepr)
        _results.append(
            {
                "feature": props.get("feature", "?"),
                "test": report.nodeid.split("::")[-1],
                "doc": props.get("doc", ""),
                "passed": report.passed,
                "logs_in": props.get("logs_in", False),
                "message": message,
            }
        )


def pytest_sessionfinish(session):
    path = os.environ.get(REPORT_ENV)
    if path:
        Path(path).write_text(json.dumps(_results))


# ----------------------------------------------------- the command


def _explain(message: str) -> str:
    """The first line of an assertion's message: our tests write it for you."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    return first.removeprefix("AssertionError: ")


def main(number: str, directory: str) -> int:
    registry = load()
    step = registry.step(number)
    try:
        project = Project.at(directory)
        settings_module = project.settings_module
    except ProjectError as error:
        print(f"Cannot check that folder: {error}")
        return 2

    print(f"Checking {project.path}")
    print(f"against {step.label}: {step.heading}  (settings: {settings_module})\n")
    # One process answers two questions: does the project start at all, and
    # do its models match its migrations (else the tests' tables are missing)?
    # makemigrations opens the database: a throwaway one, not the project's.
    with tempfile.TemporaryDirectory() as tmp:
        ours = project.env(database=Path(tmp) / "db.sqlite3", full=False)
        starts = subprocess.run(
            [sys.executable, "-c", _STARTS_AND_IS_MIGRATED],
            env={**clean_env(), **ours},
            timeout=120,
            capture_output=True,
            text=True,
        )
    if starts.returncode == 3:
        last = starts.stderr.strip().splitlines()[-1:] or ["(no message)"]
        print(f"Your project does not start: {last[0]}")
        print("Run `python manage.py check` in it to see the whole error.")
        return 1
    if starts.returncode:
        print(
            "Your models have changes that no migration describes, so the tests'"
            " database would lack tables.\nRun `python manage.py makemigrations`"
            " in your project, then check again."
        )
        return 1

    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        done = subprocess.run(
            [
                *PYTEST,
                *("-q", "-p", "harness.check", "--tb=short", "tests/features"),
                *project_args(step, project.path),
            ],
            cwd=ROOT,
            env={**clean_env(), REPORT_ENV: str(report)},
            timeout=300,
            capture_output=True,
            text=True,
        )
        if not report.exists() or done.returncode not in (0, 1):
            # 0: all passed, 1: some failed. Anything else (a test module
            # that cannot be collected, say) means not every test ran, and
            # a feature with no results must never pass for one that works.
            print(done.stdout + done.stderr)
            print(f"The tests could not all run (pytest exit {done.returncode}).")
            return 1
        results = json.loads(report.read_text())

    missing, logged_in, shown = [], set(), {}
    for name in step.features:
        mine = [r for r in results if r["feature"] == name]
        failed = [r for r in mine if not r["passed"]]
        summary = registry.features[name].summary
        print(f"  {'✗' if failed else '✓'} {name}: {summary}")
        groups: dict[str, list[dict]] = {}
        for result in failed:  # a parametrized test fails once per case
            groups.setdefault(result["doc"] or result["test"], []).append(result)
        for doc, cases in groups.items():
            count = f"  ({len(cases)} cases)" if len(cases) > 1 else ""
            print(f"      ✗ {doc}{count}")
            why = _explain(cases[0]["message"])
            if why and why in shown:
                print(f"        (the same answer as for: {shown[why]})")
            elif why:
                print(f"        {why}")
                shown[why] = doc
            if any(case["logs_in"] for case in cases):
                logged_in.add(name)
        if failed:
            missing.append(name)
    others = [name for name in missing if name != "jwt-auth"]
    if "jwt-auth" in missing and others:
        # tests/features/conftest.py's as_user logs in with a token whenever
        # the step has jwt-auth, so one broken setting fails many features.
        logging_in = [name for name in others if name in logged_in]
        why = (
            f" (the tests of {', '.join(logging_in)} log in with a Bearer token)"
            if logging_in
            else ""
        )
        print(
            f"\n  Fix jwt-auth first: until your project accepts Bearer tokens,"
            f" {', '.join(others)} may fail for that reason alone{why}."
            " Check again after that."
        )
    have = len(step.features) - len(missing)
    print(f"\n{have} of {len(step.features)} features of {step.label} work.")
    if missing:
        print(f"Not yet: {', '.join(missing)}. Compare with {step.relpath}/")
        which = "final" if step.is_final else step.number
        print(f"(`make diff-{which}` shows what that step changed).")
        return 1
    print("Your project does everything this step teaches.")
    return 0
