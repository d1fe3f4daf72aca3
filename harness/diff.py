"""`make diff-N`: what changed from step N-1 to step N. That diff is the lesson."""

from __future__ import annotations

import difflib
import sys
from pathlib import Path

from harness.registry import Step, load

# Not part of a lesson: databases, caches, local secrets, and the README
# (the README explains the change; it is not the change).
IGNORED_NAMES = {"__pycache__", ".pytest_cache", ".ruff_cache", "README.md"}
IGNORED_SUFFIXES = {".pyc", ".sqlite3", ".log"}


def files(folder: Path) -> set[str]:
    found = set()
    for path in folder.rglob("*"):
        parts = path.relative_to(folder).parts
        if any(part in IGNORED_NAMES or part.startswith(".") for part in parts):
            continue
        if path.is_file() and path.suffix not in IGNORED_SUFFIXES:
            found.add(path.relative_to(folder).as_posix())
    return found


def _lines(path: Path) -> list[str]:
    if not path.exists():
        return []
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def unified(old: Path, new: Path, old_label: str, new_label: str) -> str:
    """A unified diff of two text files (either may be missing)."""
    old_label = old_label if old.exists() else "/dev/null"
    new_label = new_label if new.exists() else "/dev/null"
    text = "".join(
        difflib.unified_diff(_lines(old), _lines(new), old_label, new_label, n=3)
    )
    return text if text.endswith("\n") or not text else text + "\n"


def between(old: Step, new: Step) -> str:
    """The whole diff from one project to another, file by file."""
    out = []
    for name in sorted(files(old.path) | files(new.path)):
        before, after = old.path / name, new.path / name
        if not before.exists() and after.stat().st_size == 0:
            out.append(f"new empty file {new.relpath}/{name}\n")
            continue
        if not after.exists() and before.stat().st_size == 0:
            out.append(f"deleted empty file {old.relpath}/{name}\n")
            continue
        out.append(
            unified(
                old.path / name,
                new.path / name,
                f"{old.relpath}/{name}",
                f"{new.relpath}/{name}",
            )
        )
    return "".join(out)


def _colour(text: str) -> str:
    colours = {"+": "\033[32m", "-": "\033[31m", "@": "\033[36m"}
    out = []
    for line in text.splitlines(keepends=True):
        code = "\033[1m" if line.startswith(("+++", "---")) else colours.get(line[:1])
        out.append(f"{code}{line.rstrip(chr(10))}\033[0m\n" if code else line)
    return "".join(out)


def main(number: str) -> int:
    registry = load()
    new = registry.step(number)
    old = registry.previous(new)
    if old is None:
        print(f"{new.label} is the first step: every file in {new.relpath}/ is new.")
        for name in sorted(files(new.path)):
            print(f"  {new.relpath}/{name}")
        return 0
    text = between(old, new)
    print(f"What changed from {old.relpath}/ to {new.relpath}/")
    why = "steps.toml's [final.changes] and " if new.is_final else ""
    print(f"(the why is in {why}{new.relpath}/README.md)\n")
    sys.stdout.write(_colour(text) if sys.stdout.isatty() else text)
    if not text:
        print("(no differences)")
    return 0
