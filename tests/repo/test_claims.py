"""A number the prose states as a result is shown, or taken from a file or a
run (harness/claims.py); each case here is one the check must catch."""

import nbformat
import pytest

from harness import claims, docs


@pytest.mark.parametrize(
    ("text", "shown", "ok"),
    [
        # Notebook 06's mistake: a position the output contradicts.
        ("found on the very first guess", "found after 18 of 24 guesses", False),
        ("found after 18 of 24 guesses", "found after 18 of 24 guesses", True),
        ("found after 17 of 24 guesses", "found after 18 of 24 guesses", False),
        # A size is backed by a number of bytes that rounds to it.
        ("here 7.2 MB", "7200274", True),
        ("here 7.3 MB", "7200274", False),
        ("here 7.2 MB", "7.2", False),
        # A time, a ratio, a percentage, an ordinal, a count.
        ("a login took 167 ms", "login 167 ms", True),
        ("a login took 167 ms", "login 168 ms", False),
        ("2.48 times the open view", "", False),
        ("12 % of them", "", False),
        ("the 31st try gets 429", "", False),
        ("40 passed", "40 passed, 1 skipped", True),
        # Not results: a step's number, a lifetime, a rate.
        ("Step 09 failed silently", "", True),
        ("lives 5 minutes, 5 logins a minute", "", True),
    ],
)
def test_a_stated_result_must_be_shown(text, shown, ok):
    assert (claims.unbacked(text, shown, "here") == []) is ok


def test_code_and_comments_are_not_prose():
    text = "```console\n$ echo 12 ms\n```\n`took 12 ms` <!-- 12 ms -->\n"
    assert claims.unbacked(text, "", "here") == []


def test_a_value_is_made_anew_from_its_source(monkeypatch):
    monkeypatch.setitem(claims.VALUES, "answer", lambda: "42 ms")
    stale = "it took <!-- value: answer -->41 ms<!-- end --> here"
    fresh = claims.render_values(stale)
    assert fresh == "it took <!-- value: answer -->42 ms<!-- end --> here"
    assert claims.unbacked(fresh, "", "here") == []  # a value backs itself
    with pytest.raises(claims.ClaimError, match="no value is called"):
        claims.render_values("<!-- value: nonsense -->1<!-- end -->")


def test_values_read_their_files():
    # 64 * 1024 in step 15's settings: arithmetic on literals is read.
    assert claims.VALUES["body-limit"]() == "64 KiB"
    assert claims.constant("harness/runner.py", "RACE_ATTEMPTS") == 200
    with pytest.raises(claims.ClaimError, match="no constant"):
        claims.constant("harness/runner.py", "NO_SUCH_NAME")
    assert claims.size(7_200_274, "MB") == "7.2 MB"
    assert claims.size(2_000, "KB") == "2 KB"


def test_every_value_has_what_it_needs():
    """Every value of VALUES can be made: the files and constants it reads
    exist, and the bench's record has every number it asks for."""
    for name, value in claims.VALUES.items():
        assert value(), name


def test_a_statement_the_record_contradicts_fails(monkeypatch):
    record = dict(claims.bench())
    logins = dict(record["logins"])
    logins["check_argon2"] = {**logins["check_argon2"], "median": 10_000.0}
    record["logins"] = logins
    monkeypatch.setattr(claims, "bench", lambda: record)
    text = "Argon2id. It is not slower for the user. More."
    assert claims.false_statements(text)
    assert not claims.false_statements("Nothing said about it.")


def test_the_docs_check_fails_on_an_unbacked_result():
    text = "<!-- chapter: 01 -->\n<!-- end -->\n\nIt took 12 ms.\n"
    text = text.replace("<!-- end -->", docs.chapter(["01"]) + "<!-- end -->")
    with pytest.raises(docs.DocError, match="'12 ms'"):
        docs.render(text)


def test_a_notebook_is_checked_against_its_outputs():
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("The key is found after 18 of 24 guesses."),
        nbformat.v4.new_code_cell("print(...)"),
    ]
    notebook.cells[1].outputs = [
        nbformat.v4.new_output("stream", text="Found the key after 18 of 24 guesses.")
    ]
    assert claims.notebook_claims(notebook, "nb") == []
    notebook.cells[0].source = "The key is the list's very first guess."
    assert claims.notebook_claims(notebook, "nb")


def test_the_chapter_times_follow_the_text():
    table = docs.chapter_times([])
    rows = [line for line in table.splitlines() if line.startswith("| 1. ")]
    assert len(rows) == 1
    # chapter 1: its reading minutes, blank Going deeper, its commands.
    reading, deeper, commands, budget = (c.strip() for c in rows[0].split("|")[2:6])
    assert float(reading) > 0 and deeper == "" and int(commands) > 0
    spent = float(reading) + int(commands) * docs.MINUTES_A_COMMAND
    assert int(budget) % 5 == 0 and spent <= int(budget) < spent + 5.5
