"""The tutorial's command line: what every Makefile target calls.

    python3 -m harness list                 the steps
    python3 -m harness serve 4 [--port P]   run step 04's server (make step-4)
    python3 -m harness test [NAME ...]      every test (make test)
    python3 -m harness test-step 4          one step's tests (make test-step-4)
    python3 -m harness test-race            the race tests, harder (make test-race)
    python3 -m harness check 4 DIR          your project against step 04's tests
    python3 -m harness diff 4               what changed from step 03 to 04
    python3 -m harness docs [--write]       check (or refresh) TUTORIAL.md
    python3 -m harness lab                  JupyterLab on the notebooks
    python3 -m harness notebook 4           notebook 04 headless: text, code, outputs
    python3 -m harness bench [costs]        what each check costs (make bench)
    python3 -m harness bench times          time setup, start-up and tests
    python3 -m harness cluster              final/ scaled out (make final-cluster)

Any Python 3.11+ can start it: it creates .venv and installs what the command
needs on first use, then runs itself again inside .venv.
"""

import sys

if sys.version_info < (3, 11):  # noqa: UP036 (older Pythons must get this message)
    sys.exit("This tutorial needs Python 3.11 or newer: `python3 --version`.")

import argparse  # noqa: E402

from harness import setup  # noqa: E402


def _list(args) -> int:
    from harness.registry import load

    projects = load().projects
    width = max(len(step.relpath) for step in projects)  # the longest, aligned
    for step in projects:
        print(f"  {step.label:<8} {step.relpath:<{width}} {step.heading}")
    return 0


def _call(module: str, function: str, *names: str):
    """A command that imports its module only when it runs (a command of the
    "base" level must not import what only "dev" installs)."""

    def run(args) -> int:
        from importlib import import_module

        target = getattr(import_module(f"harness.{module}"), function)
        return target(*(getattr(args, name) for name in names))

    return run


BENCH_PARTS = ("costs", "times", "all")

# The one table of commands: name, requirements level it needs (None: the
# standard library), help, its arguments, and what runs it.
COMMANDS = {
    "list": (None, "list the steps", [], _list),
    "setup": (
        None,
        "create .venv and install a level",
        [("level", {"nargs": "?", "default": "dev", "choices": setup.LEVELS})],
        lambda args: setup.ensure(args.level) or 0,
    ),
    "serve": (
        "base",
        "run a step's dev server",
        [
            ("step", {}),
            ("--host", {"default": "127.0.0.1"}),
            ("--port", {"default": "8000"}),
            (
                "--server",
                {"default": "runserver", "choices": ("runserver", "gunicorn")},
            ),
        ],
        _call("serve", "main", "step", "host", "port", "server"),
    ),
    "prepare": (
        "base",
        "(internal) migrate and add demo users",
        [("project", {})],
        _call("serve", "prepare", "project"),
    ),
    "test": (
        "dev",
        "run every test",
        [
            ("only", {"nargs": "*", "help": "run only the jobs whose name has this"}),
            ("--workers", {"type": int}),
        ],
        _call("runner", "main", "only", "workers"),
    ),
    "test-race": (
        "dev",
        "run the race tests, 200 attempts each",
        [],
        _call("runner", "race"),
    ),
    "test-step": (
        "dev",
        "run one step's tests",
        [("step", {}), ("pytest_args", {"nargs": argparse.REMAINDER})],
        _call("runner", "one_step", "step", "pytest_args"),
    ),
    "check": (
        "dev",
        "check your project against a step's tests",
        [("step", {}), ("dir", {})],
        _call("check", "main", "step", "dir"),
    ),
    "reset": (
        None,
        "start a step over: remove its database and local keys",
        [("step", {})],
        _call("serve", "reset", "step"),
    ),
    "diff": (
        None,
        "what changed from the previous step",
        [("step", {})],
        _call("diff", "main", "step"),
    ),
    "docs": (
        "dev",
        "check TUTORIAL.md against the files",
        [
            ("--write", {"action": "store_true", "help": "refresh it instead"}),
            (
                "--words",
                {"action": "store_true", "help": "only count its words, per chapter"},
            ),
        ],
        lambda args: (
            _call("docs", "words")(args)
            if args.words
            else _call("docs", "main", "write")(args)
        ),
    ),
    "lab": (
        "lab",
        "JupyterLab on the notebooks",
        [("--port", {"type": int, "help": "JupyterLab's port (default 8888)"})],
        _call("lab", "main", "port"),
    ),
    "notebook": (
        "dev",
        "run one step's notebook headless: print its text, code and outputs",
        [("step", {})],
        _call("lab", "headless", "step"),
    ),
    "bench": (
        "dev",
        "what each check costs; `times`: setup, start-up and test times",
        [
            ("part", {"nargs": "?", "default": "costs", "choices": BENCH_PARTS}),
            (
                "--tiny",
                {"action": "store_true", "help": "a few iterations, small tables"},
            ),
            (
                "--record",
                {
                    "action": "store_true",
                    "help": "keep the numbers in docs/measured/bench.json (make docs"
                    " then takes TUTORIAL.md's from there)",
                },
            ),
        ],
        _call("bench", "main", "part", "tiny", "record"),
    ),
    "cluster": (
        "base",
        "final/ as two instances behind nginx, on PostgreSQL and Redis",
        [],
        _call("cluster", "main"),
    ),
}


def parse(argv):
    parser = argparse.ArgumentParser(prog="python3 -m harness")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text, arguments, _) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text)
        for flag, options in arguments:
            command.add_argument(flag, **options)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    level, _, _, run = COMMANDS[args.command]
    if level and not (setup.in_venv() and setup.is_ready(level)):
        setup.reexec_in_venv(level, argv)
    return run(args)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except LookupError as error:  # e.g. a step that does not exist yet
        sys.exit(f"error: {error.args[0]}")
