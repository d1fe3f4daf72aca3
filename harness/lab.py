"""`make notebooks`: JupyterLab on notebooks/, with .venv's Python as kernel."""

import subprocess
import sys

from harness.registry import ROOT


def main() -> int:
    print("Each notebook starts its own step's server; set BASE_URL to use yours.")
    return subprocess.call(
        [sys.executable, "-m", "jupyterlab", "--notebook-dir", str(ROOT / "notebooks")]
    )
