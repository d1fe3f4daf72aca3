"""The tutorial's command line: what every Makefile target calls.

    python3 -m harness list                 the steps
    python3 -m harness serve 4 [--port P]   run step 04's server (make step-4)
    python3 -m harness test [NAME ...]      every test (make test)
    python3 -m harness test-step 4          one step's tests (make test-step-4)
    python3 -m harness check 4 DIR          your project against step 04's tests
    python3 -m harness diff 4               what changed from step 03 to 04
    python3 -m harness docs [--write]       check (or refresh) TUTORIAL.md
    python3 -m harness lab                  JupyterLab on the notebooks
    python3 -m harness bench                time setup-free start-up and tests

Any Python 3.11+ can start it: it creates .venv and installs what the command
needs on first use, then runs itself again inside .venv.
"""

import sys

if sys.version_info < (3, 11):  # noqa: UP036 (older Pythons must get this message)
    sys.exit("This tutorial needs Python 3.11 or newer: `python3 --version`.")

import argparse  # noqa: E402

from harness import setup  # noqa: E402

# Which requirements level each command needs (None: the standard library).
NEEDS = {
    "list": None,
    "setup": None,
    "diff": None,
    "serve": "base",
    "prepare": "base",
    "test": "dev",
    "test-step": "dev",
    "check": "dev",
    "docs": "dev",
    "bench": "dev",
    "lab": "lab",
}


def parse(argv):
    parser = argparse.ArgumentParser(prog="python3 -m harness")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the steps")
    p = sub.add_parser("setup", help="create .venv and install a level")
    p.add_argument("level", nargs="?", default="dev", choices=setup.LEVELS)
    p = sub.add_parser("serve", help="run a step's dev server")
    p.add_argument("step")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", default="8000")
    p = sub.add_parser("prepare", help="(internal) migrate and add demo users")
    p.add_argument("project")
    p = sub.add_parser("test", help="run every test")
    p.add_argument("only", nargs="*", help="run only the jobs whose name has this")
    p.add_argument("--workers", type=int)
    p = sub.add_parser("test-step", help="run one step's tests")
    p.add_argument("step")
    p.add_argument("pytest_args", nargs=argparse.REMAINDER)
    p = sub.add_parser("check", help="check your project against a step's tests")
    p.add_argument("step")
    p.add_argument("dir")
    p = sub.add_parser("diff", help="what changed from the previous step")
    p.add_argument("step")
    p = sub.add_parser("docs", help="check TUTORIAL.md against the files")
    p.add_argument("--write", action="store_true", help="refresh it instead")
    sub.add_parser("lab", help="JupyterLab on the notebooks")
    sub.add_parser("bench", help="measure start-up and test times")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    args = parse(argv)
    level = NEEDS[args.command]
    if level and not (setup.in_venv() and setup.is_ready(level)):
        setup.reexec_in_venv(level, argv)

    if args.command == "list":
        from harness.registry import load

        for step in load().projects:
            print(f"  {step.label:<8} {step.relpath:<30} {step.heading}")
        return 0
    if args.command == "setup":
        setup.ensure(args.level)
        return 0
    if args.command == "diff":
        from harness import diff

        return diff.main(args.step)
    if args.command == "serve":
        from harness import serve

        return serve.main(args.step, args.host, args.port)
    if args.command == "prepare":
        from harness import serve

        return serve.prepare(args.project)
    if args.command == "test":
        from harness import runner

        return runner.main(args.only, args.workers)
    if args.command == "test-step":
        from harness import runner

        return runner.one_step(args.step, args.pytest_args)
    if args.command == "check":
        from harness import check

        return check.main(args.step, args.dir)
    if args.command == "docs":
        from harness import docs

        return docs.main(write=args.write)
    if args.command == "lab":
        from harness import lab

        return lab.main()
    if args.command == "bench":
        from harness import bench

        return bench.main()
    return 2


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except LookupError as error:  # e.g. a step that does not exist yet
        sys.exit(f"error: {error.args[0]}")
