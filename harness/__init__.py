"""The tutorial's tooling, out of the learner's way. Where things are:

__main__   the command line behind every Makefile target (one table)
registry   steps.toml as objects: steps, Parts, features (computed)
setup      .venv, one requirements level at a time; bytecode cache
project    a project on disk: its settings, its environment, demo users
settings   a project's own settings, pointed at a throwaway database
net        free ports, waiting for HTTP, the HTTP client (with timeouts)
server     a project's runserver on a free port, stopped by its pid
serve      `make step-N`: a step exactly as a learner runs it
runner     `make test`: one pytest process per project, in parallel
pytest_plugin  `pytest --step N` / `--project=DIR` from the root
check      `make check`: your project against a step's tests, in words
diff       `make diff-N`: the lesson
docs       TUTORIAL.md and README.md from the files and real runs
claims     numbers the prose states: shown, or from a file or a run
mermaid    TUTORIAL.md's diagrams rendered: JupyterLab's mermaid, Chromium
notebook   what the notebooks import: connect(), show(), show_code()
lab, bench, hashers   JupyterLab; timings; a quick hasher for tests
costs      `make bench`: what each check costs (RECORD=1 keeps it)
"""
