"""`make check STEP=N DIR=path`: your own project, checked against step N's tests.

It runs the same tests as `make test` (tests/features/), for the features the
registry lists for step N, against the project in DIR, and reports them
feature by feature, in words: what works, what is missing, and a hint.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

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
# The answers the test's Django client got, last one last: what a test that
# stops on an error (a KeyError reading a body, say) was looking at.
_answers: list[str] = []


def _first_paragraph(doc: str) -> str:
    """A docstring's first paragraph, on one line (its first line may stop
    mid-sentence)."""
    return " ".join(doc.strip().split("\n\n")[0].split())


def pytest_collection_modifyitems(items):
    """Remember each test's feature and its docstring's first paragraph."""
    for item in items:
        marker = item.get_closest_marker("feature")
        doc = _first_paragraph(item.function.__doc__ or "")
        # A test that names several features proves each of them.
        item.user_properties.append(("features", list(marker.args) if marker else []))
        item.user_properties.append(("doc", doc))
        # as_user logs in the project's way: with a token once jwt-auth is in
        # the step's features (tests/features/conftest.py).
        item.user_properties.append(("logs_in", "as_user" in item.fixturenames))


def pytest_configure(config):
    """Record what every request of Django's test client answered."""
    from django.test.client import Client

    request = Client.request

    def recorded(self, **environ):
        response = request(self, **environ)
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO")
        _answers.append(f"{method} {path}: {response.status_code} {response.content!r}")
        return response

    Client.request = recorded


def pytest_runtest_setup(item):
    _answers.clear()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A test that stopped on an error, not on a failed check (assert):
    say which, and the last answer it had read."""
    report = yield
    error = call.excinfo
    if report.failed and error is not None and not error.errisinstance(AssertionError):
        report.user_properties.append(("stopped", error.exconly().splitlines()[0]))
        if _answers:
            report.user_properties.append(("last_answer", _answers[-1]))
    return report


def pytest_runtest_logreport(report):
    if report.when == "call" or report.failed:
        props = dict(report.user_properties)
        message = ""
        if report.failed and report.longrepr is not None:
            crash = getattr(report.longrepr, "reprcrash", None)
            message = crash.message if crash else str(report.longrepr)
        _results.append(
            {
                "features": props.get("features", []),
                "test": report.nodeid.split("::")[-1],
                "doc": props.get("doc", ""),
                "passed": report.passed,
                "logs_in": props.get("logs_in", False),
                "message": message,
                "stopped": props.get("stopped"),
                "last_answer": props.get("last_answer"),
            }
        )


def pytest_sessionfinish(session):
    path = os.environ.get(REPORT_ENV)
    if path:
        Path(path).write_text(json.dumps(_results))


# ----------------------------------------------------- the command


# assert_status()'s message (tests/features/support.py): "GET /x answered
# 404, expected 200: b'...the body...'".
ANSWERED = re.compile(
    r"(?s)^(?P<said>.*?answered \d+, expected [^:]*): (?P<body>b'.*'|b\".*\")$"
)
ANSWER = re.compile(
    r"(?s)^(?P<request>\S+ \S+): (?P<status>\d+) (?P<body>b'.*'|b\".*\")$"
)
ERROR_LINE = re.compile(r"^[A-Za-z_.]*(Error|Exception|Configured): ")
SHORT = 60  # a body this short is shown again; a longer one only once
TOKEN = re.compile(r"eyJ[\w-]{16}[\w.-]*")


def body_summary(raw: str) -> str:
    """A response body (the repr of its bytes) as a reader wants it: an HTML
    page by its title, JSON as text with its tokens cut short."""
    try:
        text = ast.literal_eval(raw).decode("utf-8", "replace")
    except (ValueError, SyntaxError, AttributeError):
        return raw
    title = re.search(r"(?is)<title>(.*?)</title>", text)
    if title:
        return f'an HTML page, "{" ".join(title.group(1).split())}"'
    text = TOKEN.sub(lambda m: m.group(0)[:20] + "…", text.strip())
    return text if len(text) <= 160 else text[:160] + "…"


def explain(result: dict, bodies: set[str]) -> str:
    """Why a test failed, in one line: the first line of its assertion's
    message (our tests write it for you), with the body it quotes
    summarised (body_summary(), and only once: `bodies` holds those already
    shown); or, for a test that stopped on an error before any check, that
    error and the last answer it had read."""
    message = result["message"].strip()
    lines = message.removeprefix("AssertionError: ").splitlines()
    first = lines[0] if lines else ""
    if first.startswith("Traceback (most recent call last)"):
        # A program's traceback: its error is its last "...Error: ..." line.
        errors = [line.strip() for line in lines if ERROR_LINE.match(line.strip())]
        first = errors[-1] if errors else first
    if result.get("stopped"):
        why = f"The test stopped on {result['stopped'].rstrip('.')}"
        last = ANSWER.match(result.get("last_answer") or "")
        if not last:
            return f"{why}, not on a failed check."
        body = body_summary(last.group("body"))
        status = last.group("status")
        return f"{why}, reading the answer to {last.group('request')}: {status} {body}"
    answered = ANSWERED.match(message) or ANSWERED.match(first)
    if not answered:
        return first.removeprefix("AssertionError: ")
    said = answered.group("said").removeprefix("AssertionError: ")
    body = body_summary(answered.group("body"))
    if body in bodies and len(body) > SHORT:
        return f"{said} (the same body as above)"
    hint = ""
    if " answered 404," in said and body not in bodies:
        hint = " (no such URL in your project's urls.py?)"
    bodies.add(body)
    return f"{said}: {body}{hint}"


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

    failures = {
        name: [r for r in results if name in r["features"] and not r["passed"]]
        for name in step.features
    }
    # tests/features/conftest.py's as_user logs in with a token whenever the
    # step has jwt-auth: while a project refuses its tokens, a feature whose
    # every failing test logs in that way is not judged yet.
    jwt_broken = bool(failures.get("jwt-auth"))
    blocked = [
        name
        for name, failed in failures.items()
        if jwt_broken and name != "jwt-auth" and failed
        if all(r["logs_in"] for r in failed)
    ]
    missing, shown, bodies = [], {}, set()
    for name in step.features:
        failed = failures[name]
        summary = registry.features[name].summary
        if name in blocked:
            print(f"  ? {name}: {summary}")
            tests = "failing test logs" if len(failed) == 1 else "failing tests log"
            print(
                f"      not judged yet: its {tests} in with a Bearer token"
                " first, which your project refuses (see jwt-auth)"
            )
            continue
        print(f"  {'✗' if failed else '✓'} {name}: {summary}")
        groups: dict[str, list[dict]] = {}
        for result in failed:  # a parametrized test fails once per case
            groups.setdefault(result["doc"] or result["test"], []).append(result)
        for doc, cases in groups.items():
            count = f"  ({len(cases)} cases)" if len(cases) > 1 else ""
            print(f"      ✗ {doc}{count}")
            why = explain(cases[0], bodies)
            if why and why in shown:
                print(f"        (the same answer as for: {shown[why]})")
            elif why:
                print(f"        {why}")
                shown[why] = doc
        if failed:
            missing.append(name)
    others = [name for name in missing if name != "jwt-auth"]
    if jwt_broken and (others or blocked):
        print(
            "\n  Fix jwt-auth first: until your project accepts Bearer tokens,"
            + (f" {', '.join(blocked)} cannot be judged" if blocked else "")
            + (" and" if blocked and others else "")
            + (f" {', '.join(others)} may fail for that reason alone" if others else "")
            + ". Check again after that."
        )
    have = len(step.features) - len(missing) - len(blocked)
    print(f"\n{have} of {len(step.features)} features of {step.label} work.")
    if blocked:
        print(f"Not judged until jwt-auth works: {', '.join(blocked)}.")
    if missing:
        print(f"Not yet: {', '.join(missing)}. Compare with {step.relpath}/")
        which = "final" if step.is_final else step.number
        print(f"(`make diff-{which}` shows what that step changed).")
        return 1
    print("Your project does everything this step teaches.")
    return 0
