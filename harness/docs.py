"""Keep TUTORIAL.md and README.md true: code from the files, output from runs.

A document marks generated regions with HTML comments (invisible on GitHub):

    <!-- include: steps/04-jwt-authentication/config/settings.py -->
    <!-- include: steps/04-jwt-authentication/config/settings.py REST_FRAMEWORK -->
    <!-- diff: steps/03-.../config/settings.py steps/04-.../config/settings.py -->
    <!-- run: 04 -->          (a ```console block: its "$ " commands are run for
                               real against step 04's server, outputs replaced;
                               both in a reader's clone, never in steps/)
    <!-- run: 15 throttled --> (the same, on a server of its own with the
                               throttles on, which the tests' servers turn off)
    <!-- chapter: 04 -->      (the chapter's heading and links, from steps.toml;
                               the first chapter of a Part opens the Part)
    <!-- steps-table -->      (every step, from steps.toml)
    <!-- parts -->            (the Parts of the course and their steps)
    <!-- contents -->         (TUTORIAL.md's sections, the Parts among them)
    <!-- chapter-times -->    (README.md: the instructors' time per chapter)
    <!-- screenshot: 12 -->   (step 12's page in Chromium: docs/images/, by --write)
    ...generated text...
    <!-- end -->

and, inside a line of prose, a number from a file or a run (harness/claims.py,
which also fails the check on a stated result that nothing backs):

    took <!-- value: bench.logins.login_argon2 -->167<!-- end --> ms

`python3 -m harness docs` fails when any region differs from what the files
and runs produce now; `python3 -m harness docs --write` refreshes them.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness import claims
from harness.diff import unified
from harness.project import Project
from harness.registry import ROOT, Registry, load
from harness.server import RESOURCE_SERVICE, ResourceServer, Server
from harness.setup import BYTECODE

# The documents the check keeps true: the tutorial, the READMEs (each step's
# too: a learner opens its folder and reads it first).
DOCUMENTS = (
    "TUTORIAL.md",
    "README.md",
    "final/README.md",
    *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("steps/*/README.md")),
)
REGION = re.compile(
    r"(?P<open><!-- (?P<kind>[\w-]+):?(?P<args>[^>]*?) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<close><!-- end -->)",
    re.DOTALL,
)
LANGUAGES = {
    ".py": "python",
    ".toml": "toml",
    ".txt": "text",
    ".html": "html",
    ".js": "javascript",
    ".css": "css",
    ".sh": "bash",
}
JWT = re.compile(r"eyJ[\w-]+\.[\w-]+\.[\w-]+")
COOKIE_DATE = re.compile(r"expires=\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT")
SHOWN_PORT = 8000
# A command names its server by $API (and step 14's second one by $RESOURCE),
# which the reader sets from `make step-N`'s banner and the replay sets to
# the servers it starts: never by a port, which may be another on the reader's
# machine. Output and prose may show one.
HARD_CODED_PORT = re.compile(r"\b(?:127\.0\.0\.1|localhost):800[01](?!\d)")
# A command longer than this can only be pasted, not typed: it becomes a
# function of tutorial.sh, or a script in the step's folder. A curl may be
# continued over several lines with backslashes instead.
LONGEST_COMMAND = 100
# Commands that may go on over several lines (a trailing backslash): a curl
# (perhaps piped into, or kept in a variable), or one whose environment
# variables come first.
CONTINUABLE = re.compile(r"([^|]*\| *)?(\w+=\$\()?curl |(\w+=\S+ )+\S")
# What every run: block's shell has sourced, as the reader's has.
TUTORIAL_SH = "tutorial.sh"
# The claims that change with every token: Unix times, random ids (a
# token's, a session's), a hash of the (salted) password hash.
TIME_CLAIM = re.compile(r'("(?:exp|iat|auth_time)": ?)\d{9,}')
RANDOM_CLAIM = re.compile(r'("(?:jti|sid|hash_password)": ?")[0-9a-fA-F-]{16,}(")')
TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")
# {"alg":"RS256","kid": in base64url: the same in every token of step 14 on.
KEY_ID_HEADER = "eyJhbGciOiJSUzI1NiIsImtpZCI6"
# A key's id and public number differ on every machine (each makes its key).
KEY_MEMBER = re.compile(r'("(?:kid|n)": ?")[\w-]+(")')


class DocError(Exception):
    pass


# ---------------------------------------------------------------- code regions


def _fence(text: str, language: str) -> str:
    return f"```{language}\n{text.rstrip(chr(10))}\n```\n"


def _source_path(relative: str) -> Path:
    path = ROOT / relative
    if not path.is_file():
        raise DocError(f"{relative} does not exist")
    return path


def symbol_source(path: Path, name: str) -> str:
    """A top-level def, class or assignment, with its decorators and the
    comment lines right above it."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    for node in ast.parse(text).body:
        names = []
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if name in names:
            first = min(
                [node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]
            )
            start = first - 1
            while start > 0 and lines[start - 1].lstrip().startswith("#"):
                start -= 1
            return "\n".join(lines[start : node.end_lineno]) + "\n"
    raise DocError(f"{path.relative_to(ROOT)} has no top-level {name!r}")


def shell_function_source(path: Path, name: str) -> str:
    """A shell function of tutorial.sh, `name() { ... }` (to the first line
    that is a lone `}`, or on one line), with the comment lines right above."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if line.startswith(f"{name}() {{"):
            start = number
            while start > 0 and lines[start - 1].startswith("#"):
                start -= 1
            end = number
            while not lines[end].rstrip().endswith("}"):
                end += 1
            return "\n".join(lines[start : end + 1]) + "\n"
    raise DocError(f"{path.relative_to(ROOT)} has no function {name!r}")


def include(args: list[str]) -> str:
    relative, *symbol = args
    path = _source_path(relative)
    language = LANGUAGES.get(path.suffix, "")
    if symbol:
        caption = f"[`{relative}`]({relative}), `{' '.join(symbol)}`:"
        source = shell_function_source if path.suffix == ".sh" else symbol_source
        # Two blank lines between Python's top-level definitions (PEP 8, and
        # what ruff's check of the document's code wants); one in shell.
        between = "\n" if path.suffix == ".sh" else "\n\n"
        code = between.join(source(path, name) for name in symbol)
    else:
        caption = f"[`{relative}`]({relative}):"
        code = path.read_text(encoding="utf-8")
    return f"{caption}\n\n{_fence(code, language)}"


def diff(args: list[str]) -> str:
    old, new = args
    text = unified(_source_path(old), _source_path(new), old, new)
    if not text:
        raise DocError(f"{old} and {new} do not differ")
    return f"{_fence(text, 'diff')}"


# ---------------------------------------------------------------- registry regions


def chapter(args: list[str], registry: Registry | None = None) -> str:
    """A chapter's heading and links; the first chapter of a Part opens it."""
    registry = registry or load()
    step = registry.step(args[0])
    n = step.number
    opens_part = registry.steps_of(step.part)[0] == step
    part = f"# {step.part.label}: {step.part.title}\n\n" if opens_part else ""
    wrong = (
        "\n> **Deliberately wrong.** This step ships a mistake on purpose; "
        "its tests prove the symptom. Do not copy it.\n"
        if step.wrong_way
        else ""
    )
    return (
        f"{part}## {n}. {step.heading}\n\n"
        f"Folder [`{step.relpath}/`]({step.relpath}/) · notebook "
        f"[`notebooks/{step.notebook.name}`](notebooks/{step.notebook.name}) · "
        f"run `make step-{n}` · lesson diff `make diff-{n}` · "
        f"tests `make test-step-{n}`\n{wrong}"
    )


def _span(steps) -> str:
    numbers = [f"{s.number:02d}" for s in steps]
    if len(numbers) == 1:
        return f"step {numbers[0]}"
    return f"steps {numbers[0]}-{numbers[-1]}"


def anchor(heading: str) -> str:
    """GitHub's link target for a heading: lower case, punctuation dropped,
    spaces made hyphens ("12. WRONG WAY: x" -> "12-wrong-way-x")."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def parts(args: list[str], registry: Registry | None = None) -> str:
    """The Parts of the course, with their steps (or "planned") and a link
    to each chapter: the table of contents."""
    registry = registry or load()
    lines = []
    for part in registry.parts:
        steps = registry.steps_of(part)
        where = _span(steps) if steps else "planned"
        lines.append(f"- **{part.label}: {part.title}**, {where}")
        for step in steps:
            title = f"{step.number}. {step.heading}"
            lines.append(f"  - [{title}](#{anchor(title)})")
    return "\n".join(lines) + "\n"


def contents(args: list[str], registry: Registry | None = None) -> str:
    """TUTORIAL.md's table of contents: its sections before the chapters,
    the Parts and their chapters (parts()), and its sections after them,
    each a link; read from the document's own `## ` headings."""
    text = FENCED.sub("", (ROOT / "TUTORIAL.md").read_text(encoding="utf-8"))
    headings = re.findall(r"(?m)^(#{1,2}) (.+?)\s*$", text)
    first = next(i for i, (level, _) in enumerate(headings) if level == "#" and i)
    last = max(i for i, (_, title) in enumerate(headings) if re.match(r"\d+\. ", title))

    def links(pairs):
        return "".join(
            f"- [{title}](#{anchor(title)})\n"
            for level, title in pairs
            if level == "##"
        )

    return (
        links(headings[1:first]) + parts(args, registry) + links(headings[last + 1 :])
    )


def steps_table(args: list[str], registry: Registry | None = None) -> str:
    registry = registry or load()
    rows = ["| part | step | folder | what it teaches | run |", "|---|---|---|---|---|"]
    shown = None
    for step in registry.steps:
        title = (
            f"**wrong way:** {step.heading.removeprefix('WRONG WAY: ')}"
            if step.wrong_way
            else step.title
        )
        part = step.part.numeral if step.part != shown else ""
        shown = step.part
        rows.append(
            f"| {part} | {step.number:02d} | [`{step.relpath}/`]({step.relpath}/) "
            f"| {title} | `{step.make}` |"
        )
    final = registry.final
    rows.append(
        f"| | | [`{final.relpath}/`]({final.relpath}/) | {final.title} "
        f"| `{final.make}` |"
    )
    planned = [p for p in registry.parts if not registry.steps_of(p)]
    for part in planned:
        rows.append(f"| {part.numeral} | | (planned) | {part.title} | |")
    return "\n".join(rows) + "\n"


# ---------------------------------------------------------------- console runs


def _commands(body: str) -> list[str]:
    """The "$ " commands of a console block (a trailing backslash continues)."""
    commands, current = [], None
    for line in body.splitlines():
        if current is not None:
            current += "\n" + line
        elif line.startswith("$ "):
            current = line[2:]
        else:
            continue
        if not current.endswith("\\"):
            commands.append(current)
            current = None
    if not commands:
        raise DocError("a run: region needs a ```console block with '$ ' commands")
    return commands


def _shorten(token: str) -> str:
    """A token's first 48 characters: all header, the same at every run. A
    header with a key id (step 14 on) holds this machine's key's thumbprint:
    then only what comes before it."""
    return token[: 28 if token.startswith(KEY_ID_HEADER) else 48] + "…"


def normalise(output: str, ports: int | dict[int, int]) -> str:
    """Make a real run's output stable: tokens, key ids, key numbers, the
    claims that change with every token, timestamps and cookie dates
    shortened, our ports shown as 8000 (and 8001: the second
    service's), and the Date and Server headers (which change every run)
    left out. `ports` is {shown: real}, or the one real port shown as 8000."""
    if isinstance(ports, int):
        ports = {SHOWN_PORT: ports}
    for shown, real in ports.items():
        output = re.sub(rf"127\.0\.0\.1:{real}(?!\d)", f"127.0.0.1:{shown}", output)
    output = JWT.sub(lambda m: _shorten(m.group(0)), output)
    output = KEY_MEMBER.sub(r"\1…\2", output)
    output = TIME_CLAIM.sub(r"\1…", output)
    output = RANDOM_CLAIM.sub(r"\1…\2", output)
    output = TIMESTAMP.sub("…", output)
    output = COOKIE_DATE.sub("expires=…", output)
    lines = [
        line
        for line in output.replace("\r\n", "\n").split("\n")
        if not line.startswith(("Date: ", "Server: "))
    ]
    return "\n".join(lines).strip("\n")


def _shell_env(servers: dict[str, str]) -> dict:
    """The shell a reader types into: API (and from step 14 RESOURCE) set to
    the servers' URLs, as the reader sets them from `make step-N`'s banner,
    and .venv's Python first on PATH: its `python3` is a Python 3.11+ like
    the reader's, and starts without the cost of a version manager's shim
    (pyenv's takes 0.1 s a call)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONDONTWRITEBYTECODE", "API", "RESOURCE")
    }
    path = [str(Path(sys.executable).parent), env.get("PATH", "")]
    return {**env, **BYTECODE, **servers, "PATH": os.pathsep.join(filter(None, path))}


def run_block(
    server: Server, body: str, resource: Server | None = None, cwd: Path = ROOT
) -> str:
    """Run a console block's commands, in `cwd` (a reader's clone: see
    readers_clone()), in a shell that has sourced tutorial.sh, against
    `server` ($API, shown as port 8000) and, from step 14, its resource
    service ($RESOURCE, shown as 8001). The block must end where it
    started, in the repository's folder."""
    ports = {SHOWN_PORT: server.port}
    servers = {"API": server.url}
    if resource is not None:
        ports[SHOWN_PORT + 1] = resource.port
        servers["RESOURCE"] = resource.url
    commands = _commands(body)
    script = ["set -e", f"source {TUTORIAL_SH} >/dev/null"]
    for i, command in enumerate(commands):
        if HARD_CODED_PORT.search(command):
            raise DocError(f"a command names a port, not $API or $RESOURCE: {command}")
        script.append(f"printf '\\n@@{i}@@\\n'")
        script.append(command)
    script.append("printf '\\n@@pwd@@\\n'; pwd")
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
        env=_shell_env(servers),
    )
    if done.returncode:
        raise DocError(f"a command failed:\n{done.stdout}\n{done.stderr}")
    stdout, _, where = done.stdout.rpartition("\n@@pwd@@\n")
    if Path(where.strip()).resolve() != Path(cwd).resolve():
        raise DocError(
            f"a block ends in {where.strip()}, not in the repository's folder: "
            f"end it with a `cd` back (it starts with {commands[0]!r})"
        )
    parts = re.split(r"\n@@\d+@@\n", "\n" + stdout)[1:]
    out = []
    for command, output in zip(commands, parts, strict=True):
        out.append(f"$ {command}")
        shown = normalise(output, ports)
        if shown:
            out.append(shown)
    return _fence("\n".join(out), "console")


CONSOLE = re.compile(r"^```console\n(.*?)^```", re.DOTALL | re.MULTILINE)


def _typed(block: str) -> list[list[str]]:
    """What a reader types in a console block: each command as its physical
    lines. The "$ " lines, each with the lines its trailing backslashes
    continue it on; in a block with no "$ " at all, every line."""
    lines = block.splitlines()
    if not any(line.startswith("$ ") for line in lines):
        return [[line] for line in lines if line.strip()]
    commands, current = [], None
    for line in lines:
        if current is not None:
            current.append(line)
        elif line.startswith("$ "):
            current = [line]
        else:
            continue
        if not line.endswith("\\"):
            commands.append(current)
            current = None
    return commands


def check_commands(text: str) -> None:
    """Every command of every console block, run: or not, can be typed on
    any port: it names no port of ours (a comment after it is prose and
    may), no line of it is longer than LONGEST_COMMAND, only a CONTINUABLE
    one is continued over lines, and the block ends in the folder it started in
    (the repository's, where the next block's commands run)."""
    for block in CONSOLE.findall(text):
        folders: list[str] = []
        before: list[str] = []
        for lines in _typed(block):
            command = "\n".join(lines).removeprefix("$ ")
            # A comment after a command is prose, and the line that sets
            # $API is where the port is said.
            said = re.sub(r"\s+#.*|^export (API|RESOURCE)=.*", "", command)
            if HARD_CODED_PORT.search(said):
                raise DocError(
                    f"a command names a port, not $API or $RESOURCE: {command}"
                )
            long = [line for line in lines if len(line) > LONGEST_COMMAND]
            continued = len(lines) > 1 and not CONTINUABLE.match(command)
            if long or continued:
                raise DocError(
                    f"a command too long to type (over {LONGEST_COMMAND} characters"
                    " a line, or continued and neither a curl nor env-prefixed):"
                    f" make it a function of {TUTORIAL_SH} or a script in its"
                    f" step:\n{command}"
                )
            for target in re.findall(r"(?:^|&&|;)\s*cd\s+([^\s;&]+)", command):
                if target == "-":  # back where the last cd came from
                    folders, before = before, folders
                    continue
                before = list(folders)
                if target.startswith(("/", "~")):  # out of the repository
                    folders = [target]
                    continue
                for part in target.split("/"):
                    if part == "..":
                        if not folders:
                            raise DocError(f"`{command}` leaves the repository")
                        folders.pop()
                    elif part not in ("", "."):
                        folders.append(part)
        if folders:
            raise DocError(
                f"a console block ends in {'/'.join(folders)}/, not where it "
                f"started: end it with a `cd` back\n{block}"
            )


# What a run: region may ask of its server, beside the step: the
# environment it then gets.
RUN_OPTIONS = {"throttled": {"TUTORIAL_THROTTLE": ""}}


@contextlib.contextmanager
def readers_clone():
    """A reader's fresh clone to replay the commands in: copies of steps/ and
    final/ without local state, the real .venv and notebooks/ beside them,
    and git ignoring what it ignores here. What the commands and servers
    write (.secrets.json, curl's cookie jar) stays there, and goes with it."""
    with tempfile.TemporaryDirectory(prefix="jwt-tutorial-docs-") as tmp:
        clone = Path(tmp)
        local = ("__pycache__", ".venv", "*.sqlite3", ".secrets.json")
        for name in ("steps", "final"):
            shutil.copytree(
                ROOT / name, clone / name, ignore=shutil.ignore_patterns(*local)
            )
        for name in (".venv", "notebooks"):
            (clone / name).symlink_to(ROOT / name)
        for name in (".gitignore", TUTORIAL_SH):
            shutil.copy(ROOT / name, clone)
        subprocess.run(["git", "init", "-q"], cwd=clone, check=True)
        yield clone


def _run_all(jobs: list[tuple[str, str]]) -> dict[int, str]:
    """Run every run: region, one fresh server per step (and options), in
    parallel, in a reader's clone (readers_clone())."""
    by_step: dict[str, list[int]] = {}
    for index, (args, _) in enumerate(jobs):
        by_step.setdefault(args, []).append(index)

    def one_step(args: str, clone: Path) -> dict[int, str]:
        step, *options = args.split()
        unknown = set(options) - set(RUN_OPTIONS)
        if unknown:
            raise DocError(f"run: {args}: unknown option(s) {sorted(unknown)}")
        env = {k: v for option in options for k, v in RUN_OPTIONS[option].items()}
        project = Project.at(clone / load().step(step).relpath)
        with contextlib.ExitStack() as stack:
            # keys=False: as the reader's `make step-N`, the step makes its
            # own keys into .secrets.json (chapter 7 looks at the file).
            server = stack.enter_context(Server(project, env, keys=False))
            resource = None
            if (project.path / RESOURCE_SERVICE).is_dir():
                resource = stack.enter_context(ResourceServer(project.path, server.url))
            return {
                i: run_block(server, jobs[i][1], resource, cwd=clone)
                for i in by_step[args]
            }

    results: dict[int, str] = {}
    with readers_clone() as clone, ThreadPoolExecutor(max_workers=2) as pool:
        for found in pool.map(one_step, by_step, [clone] * len(by_step)):
            results.update(found)
    return results


# ---------------------------------------------------------------- screenshots

IMAGES = "docs/images"


def page_outline(step) -> list[str]:
    """The ids of the page's elements, in order, from the step's template:
    the structure its screenshot shows."""
    from html.parser import HTMLParser

    ids: list[str] = []

    class Outline(HTMLParser):
        def handle_starttag(self, tag, attrs):
            ids.extend(value for name, value in attrs if name == "id" and value)

    template = step.path / "web" / "templates" / "web" / "page.html"
    Outline().feed(template.read_text(encoding="utf-8"))
    return ids


def screenshot(args: list[str], write: bool = False) -> str:
    """<!-- screenshot: 12 -->: a step's notes page, logged in, with two
    notes. `make docs` takes it in headless Chromium (docs/images/, committed)
    and records the page's outline beside it; the check fails when the
    template's outline has changed since, or the picture is missing."""
    step = load().step(args[0])
    image = f"{IMAGES}/{step.folder}.png"
    if write:
        _take_screenshot(step, ROOT / image)
    elif not (ROOT / image).exists():
        raise DocError(f"{image} is missing: `make docs` takes it")
    return (
        f"![{step.label}'s notes page, logged in as user]({image})\n"
        f"<!-- its elements: {' '.join(page_outline(step))} -->\n"
    )


def _take_screenshot(step, path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from harness.browser import add_note, launch, log_in
    from harness.server import Collector

    collector = None
    if (step.path / "collector.py").exists():
        collector = Collector(step.path)
    env = {"ANALYTICS_URL": collector.url} if collector else {}
    try:
        with Server(Project.at(step.path), env) as server, sync_playwright() as pw:
            browser, why = launch(pw)
            if browser is None:
                raise DocError(f"the screenshot of {step.label} needs Chromium: {why}")
            page = browser.new_page(viewport={"width": 640, "height": 480})
            log_in(page, server.url)
            add_note(page, "Groceries", "milk, eggs")
            add_note(page, "Ideas", "a tutorial that shows its work")
            path.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=path, full_page=True)
            browser.close()
    finally:
        if collector is not None:
            collector.stop()


# ---------------------------------------------------------------- error codes

# Where an error code is defined: `default_code = "..."`, `code="..."`, or
# a string given as an exception's last argument, its code
# (`AuthenticationFailed(message, "session_ended")`).
CODE_DEFINITIONS = (
    re.compile(r"""\b(?:default_)?code\s*=\s*["']([a-z][a-z_]+)["']"""),
    re.compile(
        r"""\w+(?:Failed|Error|Token|Denied|Exception)\("""
        r"""(?:[^()]|\([^()]*\))*?,\s*["']([a-z][a-z_]+)["']\s*,?\s*\)"""
    ),
)
# A "Going deeper" block: `<details><summary>Going deeper: ...</summary>` ...
# `</details>`. GitHub shows it folded; a newcomer may skip it.
DEEPER = re.compile(r"(?ms)^<details>.*?^</details>[ \t]*$")
# The words that say a code named in the prose is in no response shown.
NOT_SHOWN = "not shown"
# Paragraphs, list items and quotes: what a blank line or a new item starts.
PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*]|\d+\.) )")
CHAPTER_MARK = re.compile(r"(?m)^<!-- chapter: (\d+) -->$")
FENCED = re.compile(r"(?ms)^```.*?^```[ \t]*$")
RUN_BLOCK = re.compile(r"(?ms)^<!-- run: [^>]*-->\n(.*?)^<!-- end -->")


def error_codes() -> set[str]:
    """Every error code a response of ours can carry, read from where they
    are defined: DRF's and simplejwt's sources in .venv, and the steps' and
    final/'s own code (their tests excepted)."""
    import rest_framework
    import rest_framework_simplejwt

    paths = [
        Path(rest_framework.__file__).parent / "exceptions.py",
        *Path(rest_framework_simplejwt.__file__).parent.glob("*.py"),
        *ROOT.glob("steps/*/**/*.py"),
        *ROOT.glob("final/**/*.py"),
    ]
    codes: set[str] = set()
    for path in paths:
        if "tests" in path.relative_to(ROOT).parts if path.is_relative_to(ROOT) else ():
            continue
        text = path.read_text(encoding="utf-8")
        for pattern in CODE_DEFINITIONS:
            codes |= set(pattern.findall(text))
    return codes


def chapters(text: str) -> list[tuple[str, str]]:
    """(number, text) of each chapter: from its `<!-- chapter: NN -->` to the
    next one; the last one ends at the first `## ` heading after its own
    (the sections that follow the chapters)."""
    marks = list(CHAPTER_MARK.finditer(text))
    out = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        body = text[mark.start() : end]
        if i + 1 == len(marks):
            prose = FENCED.sub(lambda m: " " * len(m.group(0)), body)
            heading = re.search(r"(?m)^## ", prose)
            after = heading and re.search(r"(?m)^## ", prose[heading.end() :])
            if after:
                body = body[: heading.end() + after.start()]
        out.append((mark.group(1), body))
    return out


def unshown_error_codes(text: str, codes: set[str] | None = None) -> list[str]:
    """Every error code a chapter's prose names must be one the reader sees
    in that chapter: in the output of one of its replayed console blocks
    (`<!-- run: NN -->`) outside Going deeper blocks.

    The prose is the chapter's text outside code blocks and Going deeper
    blocks (`<details>`: there it may name any code). A code is named when
    it is an inline code span (`token_not_valid`) and one of error_codes().
    The rule for a code that the text names without showing it: the
    paragraph (or list item, or quote) that names it says "not shown", as in
    "`user_inactive` (not shown: the body has only `detail`)". Returns one
    line per code named and not shown."""
    codes = error_codes() if codes is None else codes
    problems = []
    for number, body in chapters(text):
        path = DEEPER.sub("", body)
        seen = "\n".join(
            line
            for block in RUN_BLOCK.findall(path)
            for line in block.splitlines()
            if not line.startswith("$ ")
        )
        prose = FENCED.sub("", path)
        prose = re.sub(r"(?s)<!--.*?-->", "", prose)
        for paragraph in PARAGRAPH.split(prose):
            if NOT_SHOWN in paragraph.lower():
                continue
            for code in re.findall(r"`([a-z][a-z_]+)`", paragraph):
                if code not in codes or re.search(rf"\b{code}\b", seen):
                    continue
                problems.append(
                    f"chapter {int(number)} names the error code `{code}`, which"
                    " none of its replayed outputs shows: show it in a response,"
                    " name it only in a Going deeper block, or say"
                    f' "{NOT_SHOWN}" in its paragraph'
                )
    return list(dict.fromkeys(problems))


# ---------------------------------------------------------------- the document


# The instructors' time budget (README.md): reading on the newcomer's path
# at this many words a minute, and this long to type a command and read its
# answer; a chapter's budget is the sum, rounded up to 5 minutes.
READING_SPEED = 200
MINUTES_A_COMMAND = 0.5


def chapter_times(args: list[str], registry: Registry | None = None) -> str:
    """`<!-- chapter-times -->`: each chapter's time, from TUTORIAL.md as it
    is: its words outside and inside Going deeper blocks, and the commands
    on its newcomer's path (its console blocks' "$ " lines)."""
    registry = registry or load()
    text = (ROOT / "TUTORIAL.md").read_text(encoding="utf-8")

    def minutes(words: int) -> str:
        half = math.ceil(words / READING_SPEED * 2) / 2
        return f"{half:g}" if half else ""

    rows = [
        "| chapter | reading, min | Going deeper, min | commands to type"
        " | budget, min |",
        "|---|---|---|---|---|",
    ]
    for number, body in chapters(text):
        step = registry.step(number)
        path = DEEPER.sub("", body)
        words, deeper = len(path.split()), len(body.split()) - len(path.split())
        commands = sum(len(_typed(block)) for block in CONSOLE.findall(path))
        budget = words / READING_SPEED + commands * MINUTES_A_COMMAND
        rows.append(
            f"| {step.number}. {step.heading} | {minutes(words)} | {minutes(deeper)}"
            f" | {commands} | {math.ceil(budget / 5) * 5} |"
        )
    return "\n".join(rows) + "\n"


GENERATORS = {
    "chapter-times": chapter_times,
    "include": include,
    "diff": diff,
    "chapter": chapter,
    "steps-table": steps_table,
    "parts": parts,
    "contents": contents,
}


def render(text: str, write: bool = False) -> str:
    """The document with every generated region made anew (with `write`,
    screenshots are taken anew too). Fails if a chapter names an error code
    that its fresh outputs do not show (unshown_error_codes())."""
    check_commands(text)
    regions = list(REGION.finditer(text))
    runs = [
        (" ".join(m.group("args").split()), m.group("body"))
        for m in regions
        if m.group("kind") == "run"
    ]
    outputs = _run_all(runs) if runs else {}
    out, last, run_index = [], 0, 0
    for m in regions:
        kind, args = m.group("kind"), m.group("args").split()
        if kind == "run":
            body = outputs[run_index]
            run_index += 1
        elif kind == "screenshot":
            body = screenshot(args, write)
        elif kind in GENERATORS:
            body = GENERATORS[kind](args)
        else:
            raise DocError(f"unknown region kind {kind!r}")
        out.append(text[last : m.start("body")])
        out.append(body)
        last = m.start("close")
    out.append(text[last:])
    fresh = "".join(out)
    try:
        fresh = claims.render_values(fresh)
    except claims.ClaimError as error:
        raise DocError(str(error)) from None
    unshown = (
        unshown_error_codes(fresh)
        + unbacked_claims(fresh)
        + claims.false_statements(fresh)
    )
    if unshown:
        raise DocError("\n".join(unshown))
    return fresh


def unbacked_claims(text: str) -> list[str]:
    """Every number the prose states as a result (harness/claims.py) is a
    value, or shown in the outputs replayed in its chapter; outside the
    chapters, a value."""
    problems, rest = [], text
    for number, body in chapters(text):
        shown = "\n".join(RUN_BLOCK.findall(body))
        problems += claims.unbacked(body, shown, f"chapter {int(number)}")
        rest = rest.replace(body, "")
    heading = re.search(r"(?m)^# .*", text)
    return problems + claims.unbacked(
        rest, "", heading.group(0) if heading else "the text"
    )


def main(write: bool = False, documents=DOCUMENTS) -> int:
    stale = 0
    for name in documents:
        path = ROOT / name
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        try:
            fresh = render(text, write)
        except DocError as error:
            print(f"{name}: {error}")
            return 1
        if fresh == text:
            print(f"{name}: up to date")
            continue
        if write:
            path.write_text(fresh, encoding="utf-8")
            print(f"{name}: refreshed")
            continue
        stale += 1
        print(f"{name} is out of date with the files (refresh: make docs):")
        sys.stdout.writelines(
            difflib.unified_diff(
                text.splitlines(keepends=True),
                fresh.splitlines(keepends=True),
                f"{name} (as written)",
                f"{name} (from the files)",
                n=1,
            )
        )
    return 1 if stale else 0


def sections(text: str) -> list[tuple[str, str]]:
    """(heading, text) of each `## ` section, the part before the first too."""
    pieces = re.split(r"(?m)^(?=## )", text)
    return [(p.splitlines()[0].lstrip("# ").strip(), p) for p in pieces if p.strip()]


def word_counts(text: str) -> list[tuple[str, int, int]]:
    """(heading, words, words outside Going deeper blocks) per section."""
    return [
        (heading, len(body.split()), len(DEEPER.sub("", body).split()))
        for heading, body in sections(text)
    ]


def words() -> int:
    """`python3 -m harness docs --words`: how long each section of TUTORIAL.md
    is, in all and on the newcomer's path (outside Going deeper blocks)."""
    rows = word_counts((ROOT / "TUTORIAL.md").read_text(encoding="utf-8"))
    print(f"{'all':>6} {'path':>6}  section of TUTORIAL.md")
    for heading, total, path in rows:
        print(f"{total:6d} {path:6d}  {heading}")
    print(f"{sum(r[1] for r in rows):6d} {sum(r[2] for r in rows):6d}  (total)")
    return 0
