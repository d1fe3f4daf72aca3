"""Which step `make step-N` is serving on which port, for the notebooks.

A notebook pointed at a running server (BASE_URL) must be sure it is its
own step's, started with the settings it needs: otherwise its cells fail
later with an error that explains nothing. `make step-N` writes a note
here, .cache/serving/PORT.json, naming the step, its process and any
lifetimes it was started with; it becomes the server (exec), so the note
is true for as long as that process lives.
"""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

from harness.registry import ROOT

NOTES = ROOT / ".cache" / "serving"  # ignored by git
SETTINGS = ("ACCESS_TOKEN_SECONDS", "REFRESH_TOKEN_SECONDS")


def record(port: int | str, folder: str) -> None:
    """Called by `make step-N` just before it becomes the server."""
    NOTES.mkdir(parents=True, exist_ok=True)
    env = {name: os.environ[name] for name in SETTINGS if name in os.environ}
    note = {"pid": os.getpid(), "folder": folder, "env": env}
    (NOTES / f"{port}.json").write_text(json.dumps(note))


def who_serves(base_url: str) -> dict | None:
    """What `make step-N` on this machine serves at base_url, if it is one:
    {"folder": ..., "env": {...}}; None when we cannot know."""
    address = urlsplit(base_url)
    if address.hostname not in ("127.0.0.1", "localhost", "::1"):
        return None  # someone else's machine: an instructor's, say
    path = NOTES / f"{address.port or 80}.json"
    try:
        note = json.loads(path.read_text())
        os.kill(note["pid"], 0)  # still running? (signal 0 only checks)
    except (OSError, ValueError, KeyError):
        return None
    return note
