"""The code a learner reads is formatted and linted (ruff, pyproject.toml)."""

import subprocess
import sys

from harness.registry import ROOT

RUFF = [sys.executable, "-m", "ruff"]


def test_ruff_check():
    done = subprocess.run(
        [*RUFF, "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format():
    done = subprocess.run(
        [*RUFF, "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
