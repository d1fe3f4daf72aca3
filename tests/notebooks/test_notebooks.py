"""Every notebook runs top to bottom, its cells assert what they show, and
its text states no result that its outputs do not show (harness/claims.py).

Each notebook starts its own step's server on a free port (unless BASE_URL
is set: here it is removed, so the notebook is tested on its own).
"""

import nbformat
import pytest

from harness import claims, lab
from harness.registry import load


@pytest.mark.parametrize("step", load().steps, ids=lambda s: s.folder)
def test_notebook(step, monkeypatch):
    monkeypatch.delenv("BASE_URL", raising=False)
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    notebook = nbformat.read(step.notebook, as_version=4)
    lab.execute(notebook)
    unbacked = claims.notebook_claims(notebook, step.notebook.name)
    assert not unbacked, "\n".join(unbacked)
