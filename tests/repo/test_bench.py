"""`make bench`'s cost table (harness/costs.py) prints every row."""

import subprocess
import sys

import pytest

from harness import costs, postgres
from harness.registry import ROOT


# Starting PostgreSQL, migrating final/ on it and starting three gunicorns
# take most of it: about 20 s here, more on a busy machine.
@pytest.mark.timeout(150)
def test_the_cost_bench_prints_every_row():
    """The cost bench, tiny (a few rounds; stores of 10 and 100 tokens):
    every row is printed. Nothing here judges a time."""
    if postgres.missing():
        pytest.skip(postgres.missing())
    done = subprocess.run(
        [sys.executable, "-m", "harness", "bench", "costs", "--tiny"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=140,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = done.stdout
    words = " ".join(table.split())  # the rows' columns, one space apart
    for _, label, path in costs.REQUEST_ROWS:
        assert " ".join(f"{label} {path}".split()) in words, label
    for row in (
        "PBKDF2-SHA256, Django's default",
        "Argon2id, final/'s settings",
        "POST /api/token/refresh/",
        "GET /api/protected/ (final/'s full path)",
        "10^1 tokens",
        "10^2 tokens",
        "outstanding tokens (simplejwt), after filling",
        "blacklisted tokens (simplejwt), after filling",
        "login sessions (final/'s LoginSession), after filling",
        "flushexpiredtokens (call_command: no start-up)",
    ):
        assert row in table, row
    for target in costs.TARGETS.values():
        line = next(line for line in table.splitlines() if target in line)
        assert " met " in line or "MISSED by" in line, line


def test_without_postgresql_the_cost_bench_says_so(monkeypatch, capsys):
    monkeypatch.setenv("POSTGRES_BIN", "/no-such-postgresql")
    assert costs.main(tiny=True) == 1
    assert "apt-get install postgresql" in capsys.readouterr().out
