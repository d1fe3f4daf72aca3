"""Plain pytest, from the repository's root, against any project.

    pytest --step 4                         step 04's feature tests
    pytest --step final                     final/'s
    pytest --project=path/to/yours --step 4 your project, against step 04's
    pytest tests/repo                       the repository's own checks
    pytest tests/notebooks                  every notebook, top to bottom

simplejwt reads its settings once, at import, so a pytest process tests one
project: this plugin (loaded by pyproject.toml's addopts) points Django at
that project's own settings before pytest-django sets Django up, and tells
tests/features/ which features the registry gives it. `make test` runs one
such process per project; nothing else is needed, and nothing is read from
variables that only a runner would set.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.project import Project, ProjectError
from harness.registry import ROOT, Step, load
from harness.setup import BYTECODE

FEATURE_TESTS = ROOT / "tests" / "features"
HOW = (
    "tests/features/ need a project: pytest --step 4 (or --step final, or "
    "--project=DIR --step N for your own); pytest tests/repo and pytest "
    "tests/notebooks need none; make test runs everything"
)


@dataclass(frozen=True)
class Target:
    """What this pytest process tests: a project, judged by a step's features."""

    step: Step
    project: Project

    @property
    def features(self) -> frozenset[str]:
        return frozenset(self.step.features)


_target: Target | None = None


def target() -> Target:
    """The project under test (tests/features/ only run when there is one)."""
    if _target is None:
        raise pytest.UsageError(HOW)
    return _target


def pytest_addoption(parser):
    group = parser.getgroup("tutorial", "the tutorial's projects")
    group.addoption(
        "--step",
        help="test this step's project (4, 04, final) with its features",
    )
    group.addoption(
        "--project",
        help="test the project in this folder (with --step: whose features)",
    )
    group.addoption(
        "--database",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="postgres: every database on a throwaway PostgreSQL (step 15 on)",
    )


def _choose(step: str | None, project: str | None) -> Target | None:
    registry = load()
    if project is None and step is None:
        return None
    try:
        if project is None:
            chosen = registry.step(step)
            return Target(chosen, Project.at(chosen.path))
        folder = Project.at(project)
        chosen = registry.step(step) if step is not None else registry.at(folder.path)
    except (LookupError, ProjectError) as error:
        raise pytest.UsageError(str(error.args[0])) from None
    if chosen is None:
        raise pytest.UsageError(
            f"{project} is not one of the tutorial's projects: add --step N to "
            "say whose features it should have"
        )
    return Target(chosen, folder)


def _wants_feature_tests(paths: list[str]) -> bool:
    if not paths:
        return True  # testpaths is tests/features
    for path in paths:
        resolved = Path(path.split("::")[0]).resolve()
        if resolved == FEATURE_TESTS or FEATURE_TESTS in resolved.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args):
    """Runs before pytest-django reads DJANGO_SETTINGS_MODULE."""
    global _target
    # Bytecode goes to .cache/, this process's (what the variable would have
    # set at start-up) and its children's: a plain `pytest --step 7` would
    # otherwise leave __pycache__ folders in the step's.
    sys.pycache_prefix = BYTECODE["PYTHONPYCACHEPREFIX"]
    os.environ.update(BYTECODE)
    options = parser.parse_known_args(args)
    if options.help or options.version:
        return
    _target = _choose(options.step, options.project)
    if _target is None:
        if _wants_feature_tests(options.file_or_dir):
            raise pytest.UsageError(HOW)
        return
    # The project's settings, unchanged but for a fast password hasher and a
    # development environment (final/ runs production when nothing is set).
    os.environ.update(_target.project.env(hasher="fast", throttle="off", full=False))
    if options.database == "postgres":
        _start_postgres(early_config)


_no_postgres: str | None = None  # why the PostgreSQL lane is skipped here


def _start_postgres(config) -> None:
    """One throwaway PostgreSQL for this process: the tests' database
    (pytest-django makes test_tutorial on it) and one per real server
    (harness/server.py copies a migrated template)."""
    global _no_postgres
    from harness import postgres

    _no_postgres = postgres.missing()
    if _no_postgres:
        return
    server = postgres.Postgres().start()
    config.add_cleanup(server.stop)
    os.environ["TUTORIAL_POSTGRES"] = server.url("").rstrip("/")
    os.environ["TUTORIAL_DATABASE_URL"] = server.url("tutorial")


def pytest_collection_modifyitems(config, items):
    if _no_postgres:
        skip = pytest.mark.skip(reason=_no_postgres)
        for item in items:
            item.add_marker(skip)


def pytest_report_header(config):
    if _target is not None:
        project = _target.project
        return [
            f"project: {project.path}, its own settings ({project.settings_module},"
            f" through harness.settings: a throwaway database), judged by"
            f" {_target.step.label}'s features"
        ]
    return None
