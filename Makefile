# Two commands on a fresh machine: `make run` starts the whole service, `make test` installs what the
# tests need and runs them. Everything lives in .venv; nothing is installed globally but Debian packages.

PORT ?= 8000
VENV ?= .venv
PYTHON ?= python3
PIP = $(VENV)/bin/pip
PY = $(VENV)/bin/python

.PHONY: run test bench bench-queue eval-spam lint format system-test-deps clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	# torch is pinned to the CPU wheel; a looser pin would pull a GB-sized CUDA build.
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/moderation run --port $(PORT)

# The tests start their own PostgreSQL server and drive Chromium: Debian's packages, installed if missing.
system-test-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

test: $(VENV)/.installed-test system-test-deps
	$(PY) -m pytest -q

# The whole service against a naive one on this machine: prints figures, writes bench/results/.
# BENCH_ARGS="-n 1024 -c 16 --precision bf16" to change the run.
bench: $(VENV)/.installed-test
	$(PY) bench/run.py $(BENCH_ARGS)

# Spam detection on the labelled sets in ../shared/data: cold start, and after 500 moderator verdicts.
# Prints precision, recall, F1, ROC-AUC and scoring time; writes bench/results/spam.json.
eval-spam: $(VENV)/.installed-test
	$(PY) bench/eval_spam.py $(EVAL_ARGS)

# The review queue at 100,000 comments: page, count, filter and search times.
bench-queue: $(VENV)/.installed-test
	$(PY) bench/queue_speed.py

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check service workers tests bench
	$(VENV)/bin/ruff format --check service workers tests bench

format: $(VENV)/.installed-test
	$(VENV)/bin/ruff check --fix service workers tests bench
	$(VENV)/bin/ruff format service workers tests bench

clean:
	rm -rf $(VENV) .pytest_cache bench/results tests/artifacts
