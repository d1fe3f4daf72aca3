"""A helper process spoken to in lines, over its standard input and output:
one request line in, one answer line out (harness/forkserver.py,
harness/costs.py). It ends when its standard input does."""

from __future__ import annotations

import subprocess
from pathlib import Path


class LineProcess:
    def __init__(self, argv: list[str], cwd: Path, env: dict):
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def ask(self, line: str) -> str:
        """Send one line; its answer ("" if the process has ended)."""
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline()

    def close(self, timeout: float = 10) -> None:
        """End its input, and wait for it to end (stopped by its id if it
        has not after `timeout`), so that its CPU time counts as ours."""
        try:
            self.process.stdin.close()
        except OSError:
            pass
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process.stdout.close()
