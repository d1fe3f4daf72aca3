"""`make notebooks`: JupyterLab on notebooks/, with .venv's Python as kernel."""

import os
import subprocess
import sys

from harness.registry import ROOT


def command(*extra: str) -> list[str]:
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--notebook-dir",
        str(ROOT / "notebooks"),
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")  # containers and workshop VMs often run as root
    return [*argv, *extra]


def main() -> int:
    print("Each notebook starts its own step's server; set BASE_URL to use yours.")
    return subprocess.call(command())
