# The tutorial's commands. Each one installs what it needs (a .venv with the
# pinned requirements) the first time, so any of them can be the first thing
# you type. Every target is a thin wrapper: `python3 -m harness ...` does the
# same without make (see README.md).

PYTHON ?= python3
HARNESS := $(PYTHON) -m harness
HOST ?= 127.0.0.1
PORT ?= 8000
SERVER ?= runserver

.DEFAULT_GOAL := help
.PHONY: help list final final-cluster test test-race test-final check notebooks lab docs bench bench-times setup clean distclean

help: ## this list
	@echo "JWT authentication in Django, step by step. Commands:"
	@echo
	@grep -E '^[a-z%-]+:.*## ' $(MAKEFILE_LIST) | \
	  sed -E 's/^([a-z%-]+):.*## (.*)/\1|\2/' | \
	  awk -F'|' '{ gsub("%", "N", $$1); printf "  make %-22s %s\n", $$1, $$2 }'
	@echo
	@echo "N is a step number (4 or 04). Steps:"
	@$(HARNESS) list

list: ## the steps, from steps.toml
	@$(HARNESS) list

step-%: ## run step N's server on 127.0.0.1:8000 (PORT=, HOST=; SERVER=gunicorn from 15)
	@$(HARNESS) serve $* --host $(HOST) --port $(PORT) --server $(SERVER)

final: ## run final/'s server, the finished project
	@$(HARNESS) serve final --host $(HOST) --port $(PORT) --server $(SERVER)

final-cluster: ## final/ scaled out: 2 gunicorn instances behind nginx (https), PostgreSQL, Redis
	@$(HARNESS) cluster

test: ## every test: each step, final/, notebooks, docs, lint (one summary line)
	@$(HARNESS) test

test-race: ## the race tests, 200 attempts each, against real servers (CI runs it)
	@$(HARNESS) test-race

test-step-%: ## step N's tests only, in a process of their own
	@$(HARNESS) test-step $*

test-final: ## final/'s tests only
	@$(HARNESS) test-step final

reset-%: ## start step N over: remove its database and generated keys
	@$(HARNESS) reset $*

diff-%: ## what changed from step N-1 to step N: the lesson
	@$(HARNESS) diff $*

check: ## your own project against step N's tests: make check STEP=N DIR=path
	@test -n "$(STEP)" -a -n "$(DIR)" || \
	  { echo "usage: make check STEP=4 DIR=path/to/your/project"; exit 2; }
	@$(HARNESS) check $(STEP) $(DIR)

notebook-%: ## run step N's notebook headless: its text, code and outputs (no JupyterLab)
	@$(HARNESS) notebook $*

notebooks: ## JupyterLab on notebooks/ (each starts its own step's server); PORT= its port
	@$(HARNESS) lab $(if $(LAB_PORT),--port $(LAB_PORT),$(if $(filter-out file,$(origin PORT)),--port $(PORT)))

lab: notebooks

docs: ## refresh TUTORIAL.md and README.md from the files and real runs (Chromium for the screenshot)
	@$(HARNESS) docs --write

bench: ## what each check costs (PostgreSQL); RECORD=1 keeps the numbers TUTORIAL.md quotes
	@$(HARNESS) bench costs $(if $(RECORD),--record)

bench-times: ## time setup, start-up to first answer, and the test run (slow)
	@$(HARNESS) bench times

setup: ## create .venv with everything (the other targets do it on demand)
	@$(HARNESS) setup lab

clean: ## remove step databases and caches (keeps .venv)
	find steps final -name db.sqlite3 -delete
	rm -rf .cache
	find . -path ./.venv -prune -o \( -name __pycache__ -o -name .pytest_cache \
	  -o -name .ruff_cache -o -name .ipynb_checkpoints \) -prune -exec rm -rf {} +

distclean: clean ## also remove .venv
	rm -rf .venv
