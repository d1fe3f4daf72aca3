"""Step 12, WRONG WAY: the page keeps its tokens in localStorage.

The symptom, in real headless Chromium: the planted third-party script reads
localStorage and sends both tokens to the attacker's collector; the stolen
refresh token, used from outside the browser (plain HTTP, no cookies, no
page), makes new tokens and reads the user's notes.
"""

import re

from chromium import JWT_PATTERN, add_note, log_in, snapshot
from harness.net import Client
from support import claims, feature

pytestmark = feature("tokens-in-localstorage")


def test_the_planted_script_sends_the_tokens_to_the_collector(page, site):
    """After a login, the planted script has sent both tokens from localStorage to the
    attacker's collector.
    """
    before = len(site.collector.reports())
    log_in(page, site.url)
    report = site.collector.wait_for(lambda r: stolen_from(r) == "user", before)
    stolen = report["localStorage"]
    assert re.fullmatch(JWT_PATTERN, stolen["refresh"])
    assert re.fullmatch(JWT_PATTERN, stolen["access"])
    assert report["page"] == site.url
    # What the collector prints for the attacker to type next.
    assert "/api/token/refresh/ -H 'Content-Type: application/json' -d " in (
        site.collector.output()
    )


def test_the_stolen_refresh_token_reads_the_notes_from_outside(page, site):
    """The stolen refresh token, sent from outside the browser, buys an access token
    that reads the victim's notes.
    """
    before = len(site.collector.reports())
    log_in(page, site.url, "alice", "wonderland")
    add_note(page, "Diary", "private")
    stolen = site.collector.wait_for(lambda r: stolen_from(r) == "alice", before)
    stolen = stolen["localStorage"]["refresh"]
    attacker = Client(site.url)  # another machine: no browser, no cookies
    answer = attacker.post("/api/token/refresh/", json={"refresh": stolen})
    assert answer.status_code == 200, answer.text
    access = answer.json()["access"]
    notes = attacker.get("/api/notes/", headers={"Authorization": f"Bearer {access}"})
    assert notes.status_code == 200
    assert "Diary" in [n["title"] for n in notes.json()]
    snapshot(page, "after-the-theft")  # the page shows nothing of it


def stolen_from(report) -> str | None:
    """Whose tokens a report holds: the stolen access token's username claim."""
    access = report["localStorage"].get("access")
    return claims(access)["username"] if access else None
