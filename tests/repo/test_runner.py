"""The runner's summary of where the time went (harness/runner.py)."""

import pytest

from harness import runner


@pytest.fixture(autouse=True)
def durations_file(monkeypatch):
    """The tests' own file, so that they never overwrite the last run's."""
    path = runner.ROOT / ".cache" / "test-durations-of-test_runner.tsv"
    monkeypatch.setattr(runner, "DURATIONS", path)
    yield path
    path.unlink(missing_ok=True)


def result(name, *durations):
    return runner.Result(runner.Job(name, []), 0, "", 1.0, durations=durations)


def test_the_slowest_tests_are_listed_slowest_first_and_all_are_kept(durations_file):
    results = [
        result("steps/04", (0.5, "a::quick"), (9.0, "a::slow")),
        result("final", (3.0, "b::middle")),
    ]
    summary = runner.slowest(results, count=2)
    kept = durations_file.read_text().splitlines()
    lines = summary.strip().splitlines()
    assert lines[0].startswith("Slowest 2 tests")
    assert lines[1].split() == ["9.0s", "steps/04:", "a::slow"]
    assert lines[2].split() == ["3.0s", "final:", "b::middle"]
    assert len(lines) == 3  # only the top two
    assert [line.split("\t")[2] for line in kept] == [
        "a::slow",
        "b::middle",
        "a::quick",
    ]


def test_a_run_without_reports_prints_no_list():
    assert runner.slowest([result("empty")]) == ""


def test_every_feature_test_file_runs_once_per_project():
    """A project split into two jobs still runs each of tests/features/'s
    files exactly once, with its own --step."""
    features = sorted(
        f.relative_to(runner.ROOT).as_posix()
        for f in (runner.ROOT / "tests" / "features").glob("test_*.py")
    )
    for step in runner.load().projects:
        jobs = runner.project_jobs(step, step.relpath, runner.project_args(step))
        files = []
        for job in jobs:
            assert job.args[: len(runner.project_args(step))] == runner.project_args(
                step
            )
            files += [a for a in job.args if a.startswith("tests/features")]
        if files == ["tests/features"]:
            continue  # one job, the whole folder
        assert sorted(files) == features, step.relpath
        assert len(jobs) == 2, step.relpath
