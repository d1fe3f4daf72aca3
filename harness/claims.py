"""Numbers the prose states as results: each one from a run, or from a file.

A sentence such as "found after 18 of 24 guesses", "a login took 167 ms"
or "the 6th try is refused" states what something computed: a count, a
position, a time, a size, a ratio. Written by hand, it goes stale the day
the code or the machine changes (notebook 06 once said "the very first
guess" under a cell that printed "18 of 24"). So every such number must
be one of:

- **shown**: the same number appears in what the reader sees run beside
  it: the outputs of the chapter's replayed console blocks (TUTORIAL.md),
  or of the notebook's cells (notebooks/). A size may be shown in bytes:
  "7.2 MB" is backed by an output of 7200274;
- **a value**: `<!-- value: NAME -->7.2 MB<!-- end -->` on one line, which
  `make docs` fills in from VALUES below, and the docs check fails when
  the text differs. A value reads its number from where it is defined (a
  test's constant, a setting, Django's defaults) or measured (the bench's
  record, docs/measured/bench.json, kept by `make bench RECORD=1`).

What counts as a stated result is CLAIM: deliberately narrow, so that
what it flags is worth a look. A number that configures (a lifetime of
"5 minutes", a rate of "5 logins a minute") is not a result, and is not
flagged unless it comes in a form results take (a decimal time, a size,
milliseconds, a percentage, "N of M", an ordinal).
"""

from __future__ import annotations

import ast
import json
import operator
import re
from collections.abc import Callable
from functools import cache

from harness.registry import ROOT

NUMBER = r"\d[\d,]*(?:\.\d+)?"
UNITS = {"KB": 1e3, "MB": 1e6, "GB": 1e9, "KiB": 2**10, "MiB": 2**20, "GiB": 2**30}
SIZE_UNIT = "|".join(UNITS)
# "Step 09 failed" and "section 8 tries it" name a step and a section.
NOT_A_COUNT = "(?<![Ss]tep )(?<![Nn]otebook )(?<![Cc]hapter )(?<![Ss]ection )"
# A stated result: a count (18 of 24, 40 passed), a position (the 31st, the
# first guess), a measured time (122 ms, 1.4 seconds, 74 s), a ratio (2.48
# times, 12 %), a size (7.2 MB, 64 KB).
CLAIM = re.compile(
    rf"\b{NUMBER} of {NUMBER}\b"
    rf"|{NOT_A_COUNT}\b{NUMBER} (?:passed|failed|skipped"
    r"|survivors?|attempts|guesses|tries)\b"
    r"|\b\d+(?:st|nd|rd|th)\b"
    r"|\b(?:first|second|third|last) (?:guess|try|attempt|candidate)\b"
    rf"|\b{NUMBER} ?(?:ms|µs)\b|\b{NUMBER} s\b"
    r"|\b\d[\d,]*\.\d+ (?:seconds?|minutes?|hours?)\b"
    r"|\b\d[\d,]*\.\d+ ?(?:times|x)\b"
    rf"|\b{NUMBER} ?%"
    rf"|\b{NUMBER} ?(?:{SIZE_UNIT})\b"
)
VALUE = re.compile(r"<!-- value: (?P<name>[\w.-]+) -->(?P<body>[^<\n]*)<!-- end -->")
FENCED = re.compile(r"(?ms)^```.*?^```[ \t]*$")
COMMENT = re.compile(r"(?s)<!--.*?-->")
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK_TARGET = re.compile(r"\]\([^)]*\)")
DIGITS = re.compile(r"\d[\d,]*(?:\.\d+)?")


class ClaimError(Exception):
    pass


# ---------------------------------------------------------------- the values


def constant(path: str, name: str):
    """A module-level constant of a file of this repository, as written
    there (ast.literal_eval of its assignment: nothing is imported)."""
    tree = ast.parse((ROOT / path).read_text(encoding="utf-8"))
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return _arithmetic(node.value)
    raise ClaimError(f"{path} has no constant {name}")


def _arithmetic(node):
    """A literal, or arithmetic on literals (64 * 1024)."""
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        return OPERATORS[type(node.op)](_arithmetic(node.left), _arithmetic(node.right))
    return ast.literal_eval(node)


OPERATORS = {ast.Mult: operator.mul, ast.Add: operator.add, ast.Pow: operator.pow}


def size(n: float, unit: str, places: int = 1) -> str:
    """2400000 bytes as "2.4 MB", 65536 as "64 KiB"... as a person says it:
    no ".0"."""
    text = f"{n / UNITS[unit]:.{places}f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"


BENCH = ROOT / "docs" / "measured" / "bench.json"


@cache
def bench() -> dict:
    """The numbers of the run `make bench RECORD=1` kept."""
    if not BENCH.exists():
        raise ClaimError(f"{BENCH.relative_to(ROOT)} is missing: make bench RECORD=1")
    return json.loads(BENCH.read_text(encoding="utf-8"))


def _ms(value: float) -> str:
    return (
        f"{value:.2f}"
        if value < 10
        else f"{value:.1f}"
        if value < 100
        else f"{value:.0f}"
    )


def _median(*keys: str) -> float:
    value = bench()
    for key in keys:
        value = value[key]
    return value["median"]


def _http(row: str) -> str:
    return _ms(_median("http", row))


def _inprocess(row: str) -> str:
    return _ms(_median("inprocess", row))


def _ratio(row: str) -> str:
    return f"{_median('http', row) / _median('http', 'open'):.2f}"


def _queries(row: str) -> str:
    return str(bench()["inprocess"][row]["queries"])


def _django_upload_limit() -> str:
    from django.conf import global_settings

    return size(global_settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "MiB")


def _nginx_body_limit() -> str:
    conf = (ROOT / "final/deploy/nginx.conf").read_text(encoding="utf-8")
    number, unit = re.search(r"client_max_body_size (\d+)([km]);", conf).groups()
    return size(
        int(number) * 1024 ** (2 if unit == "m" else 1), "MiB" if unit == "m" else "KiB"
    )


def _argon2_memory() -> str:
    from django.contrib.auth.hashers import Argon2PasswordHasher

    return size(Argon2PasswordHasher.memory_cost * 1024, "MiB")


def _bench_machine() -> str:
    b = bench()
    db = b["inprocess"]["database"]["version"]
    cpu = re.search(r"cores \((.*)\), Python", b["machine"]).group(1)
    python = b["machine"].rsplit("Python ", 1)[1]
    cores = b["machine"].split()[0]
    return (
        f"{cores} cores ({cpu}), Python {python},"
        f" PostgreSQL {db // 10000}.{db % 10000}, on {b['date']}"
    )


def _flush(field: str) -> str:
    flush = bench()["flush"]["large"]
    if field == "seconds":
        return f"{flush['seconds']:.0f} s"
    return size(flush["peak_mib"] * 2**20, "GiB")


def _expired() -> str:
    return f"{bench()['rows_before_flush']['large']['expired']:,}"


def _store(key: str) -> str:
    return _ms(bench()["store"][key]["median"])


def _parts(key: str) -> str:
    return f"{bench()['inprocess']['parts'][key]['median']:.2f}"


def _login(kind: str) -> str:
    return _ms(bench()["logins"][kind]["median"])


def _login_ratio() -> str:
    logins = bench()["logins"]
    return f"{logins['login_argon2']['median'] / logins['login_pbkdf2']['median']:.2f}"


def _bench_minutes() -> str:
    return f"{bench()['seconds'] / 60:.1f} minutes"


VALUES: dict[str, Callable[[], str]] = {
    # How often the race tests try each interleaving: make test-race, and
    # the cluster's replay race.
    "race-attempts": lambda: str(constant("harness/runner.py", "RACE_ATTEMPTS")),
    "cluster-race-attempts": lambda: str(
        constant("tests/cluster/test_cluster.py", "ATTEMPTS")
    ),
    "cluster-unshared-tries": lambda: str(
        constant("tests/cluster/test_cluster.py", "UNSHARED_TRIES")
    ),
    # The key-set fetch that trickles, one byte at a time.
    "trickle-seconds": lambda: str(
        constant("tests/features/test_key_set.py", "TRICKLE_SECONDS")
    ),
    "key-set-padding": lambda: size(
        constant("tests/features/test_key_set.py", "PADDING_BYTES"), "KB"
    ),
    "hostile-token-padding": lambda: size(
        constant("tests/features/test_hostile_tokens.py", "EXTRA_SIGNATURE"), "KB"
    ),
    "deep-json-size": lambda: size(
        len(constant("tests/features/test_hostile_bodies.py", "DEEP")), "KB"
    ),
    # Request bodies: Django's default limit, step 15's (and final/'s), nginx's.
    "body-limit": lambda: size(
        constant(
            "steps/15-production-hardening/config/settings.py",
            "DATA_UPLOAD_MAX_MEMORY_SIZE",
        ),
        "KiB",
    ),
    "final-body-limit": lambda: size(
        constant("final/config/settings.py", "DATA_UPLOAD_MAX_MEMORY_SIZE"), "KiB"
    ),
    "nginx-body-limit": _nginx_body_limit,
    "argon2-memory": _argon2_memory,
    "django-upload-limit": _django_upload_limit,
    # What `make bench RECORD=1` measured (harness/costs.py).
    "bench.machine": _bench_machine,
    "bench.minutes": _bench_minutes,
    **{
        f"bench.{where}.{row}": (lambda f=f, row=row: f(row))
        for where, f in (("http", _http), ("inprocess", _inprocess))
        for row in ("open", "plain_jwt", "final", "resource")
    },
    **{
        f"bench.ratio.{row}": (lambda row=row: _ratio(row))
        for row in ("open", "plain_jwt", "final", "resource")
    },
    **{
        f"bench.queries.{row}": (lambda row=row: _queries(row))
        for row in ("open", "plain_jwt", "final", "resource")
    },
    **{
        f"bench.parts.{key}": (lambda key=key: _parts(key))
        for key in ("token_check", "user_query", "round_trip")
    },
    **{
        f"bench.logins.{kind}": (lambda kind=kind: _login(kind))
        for kind in ("check_pbkdf2", "check_argon2", "login_pbkdf2", "login_argon2")
    },
    "bench.logins.ratio": _login_ratio,
    "bench.logins.rounds": lambda: str(bench()["sizes"]["logins"]),
    "bench.requests.rounds": lambda: f"{bench()['sizes']['requests']:,}",
    **{
        f"bench.store.{key}": (lambda key=key: _store(key))
        for key in ("refresh_small", "refresh_large", "request_small", "request_large")
    },
    "bench.flush.seconds": lambda: _flush("seconds"),
    "bench.flush.memory": lambda: _flush("memory"),
    "bench.flush.expired": _expired,
}


# What the prose says of the record in words, not numbers: each phrase, if
# the text has it, with the test the numbers must pass for it to be true.
STATEMENTS: dict[str, Callable[[], bool]] = {
    "It is not slower for the user.": lambda: (
        _median("logins", "check_argon2") <= _median("logins", "check_pbkdf2")
    ),
    "A user waits less for the check, not more.": lambda: (
        _median("logins", "check_argon2") <= _median("logins", "check_pbkdf2")
    ),
    "A growing store costs nothing per request.": lambda: all(
        bench()["store"][f"{key}_large"]["median"]
        <= 1.2 * bench()["store"][f"{key}_small"]["median"]
        for key in ("refresh", "request")
    ),
    "Only the stateless service gets near the open view": lambda: (
        float(_ratio("resource"))
        < min(float(_ratio("plain_jwt")), float(_ratio("final")))
    ),
}


def false_statements(text: str) -> list[str]:
    flat = " ".join(text.split())
    return [
        f"the text says {phrase!r}, which the bench's record does not bear out"
        " (harness/claims.py STATEMENTS): say what the numbers say"
        for phrase, holds in STATEMENTS.items()
        if phrase in flat and not holds()
    ]


def render_values(text: str) -> str:
    """The text with every `<!-- value: NAME -->` made anew from VALUES."""

    def fresh(m: re.Match) -> str:
        name = m.group("name")
        if name not in VALUES:
            raise ClaimError(f"no value is called {name!r} (harness/claims.py VALUES)")
        return m.group(0).replace(
            f"-->{m.group('body')}<!--", f"-->{VALUES[name]()}<!--", 1
        )

    return VALUE.sub(fresh, text)


# ---------------------------------------------------------------- the check


def prose(text: str) -> str:
    """What a reader reads as sentences: no code blocks, inline code, link
    targets, comments, or values (which are checked by being made anew)."""
    text = FENCED.sub("", text)
    text = VALUE.sub(" ", text)
    text = COMMENT.sub("", text)
    text = INLINE_CODE.sub("``", text)
    return " ".join(LINK_TARGET.sub("]", text).split())


def _plain(number: str) -> str:
    return number.replace(",", "")


def backed(claim: str, shown: str) -> bool:
    """A size is backed by itself in `shown` ("7.2 MB") or by a number of
    bytes there that rounds to it (7200274); "N of M" by itself; any
    other claim by its numbers, each somewhere in `shown` (commas aside).
    The last is a weak test for a small number: a "2" is shown often."""
    flat = " ".join(shown.replace(",", "").split())
    said = " ".join(claim.replace(",", "").split())
    unit = re.search(rf"(?:{SIZE_UNIT})\b", claim)
    if unit or re.search(r"\d of \d", said):
        if re.search(rf"(?<![\d.]){re.escape(said)}(?![\d.])", flat):
            return True
        if not unit:
            return False
        number = _plain(DIGITS.search(claim).group(0))
        places = len(number.partition(".")[2])
        scale = UNITS[unit.group(0)]
        return any(
            round(int(n) / scale, places) == float(number)
            for n in re.findall(r"(?<![\d.])\d+(?![\d.])", flat)
            if int(n) >= scale
        )
    said_numbers = list(map(_plain, DIGITS.findall(claim)))
    if not said_numbers:  # "the first guess": say which, as a number
        return False
    numbers = set(re.findall(r"\d+(?:\.\d+)?", flat))
    return all(n in numbers for n in said_numbers)


def unbacked(text: str, shown: str, where: str) -> list[str]:
    """One line per stated result of `text` (CLAIM, in its prose) that
    `shown` does not back."""
    problems = []
    text = prose(text)
    for m in CLAIM.finditer(text):
        if not backed(m.group(0), shown):
            around = " ".join(text[max(0, m.start() - 30) : m.end() + 15].split())
            problems.append(
                f"{where} states {m.group(0)!r} (…{around}…), which nothing it"
                " shows backs: show it in an output, or take it from a file or"
                " a run with <!-- value: NAME --> (harness/claims.py)"
            )
    return problems


def notebook_claims(notebook, where: str) -> list[str]:
    """An executed notebook's text cells against its own outputs."""
    shown = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            shown.append(output.get("text", ""))
            shown.extend(str(v) for v in output.get("data", {}).values())
    shown_text = "\n".join(shown)
    problems = []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            problems += unbacked(cell.source, shown_text, where)
    return problems
