# gongkai — the two Quick start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(VENV)/bin/pip
STAMP   = $(VENV)/.installed
# `make test` leaves the headless-browser tests to `make test-browser` and the slow fault
# tests to `make test-faults` (.ci/run runs all three).
PYTEST_ARGS ?= -m "not browser and not faults"

.PHONY: demo test test-browser test-faults install bench evaluate clean stop

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[embedded,test]'
	touch $(STAMP)

install: $(STAMP)

# Ingest the bundled corpus/ into the embedded store (no server to install) and summarise.
# Then serve the review app over it with a demo auditor account (created or reset
# idempotently); the last lines printed are the URL to open and the account.
DEMO_PORT ?= 8080
DEMO_PASSWORD ?= gongkai-demo
demo: $(STAMP)
	-$(VENV)/bin/gongkai --data-dir .gongkai-demo ingest corpus/ --workers 2
	$(VENV)/bin/gongkai --data-dir .gongkai-demo reports
	@printf '%s\n' '$(DEMO_PASSWORD)' | $(VENV)/bin/gongkai --data-dir .gongkai-demo users add demo --role auditor --password-stdin
	@echo
	@echo "Review the findings: open http://127.0.0.1:$(DEMO_PORT)/ and log in as demo / $(DEMO_PASSWORD)"
	@echo "(Ctrl-C stops the server; make stop stops the embedded store)"
	$(VENV)/bin/gongkai --data-dir .gongkai-demo serve --port $(DEMO_PORT)

test: $(STAMP)
	$(VENV)/bin/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# End-to-end tests of the review app in headless Chromium (Debian's chromium package);
# screenshots go to tmp/artifacts/.
test-browser: $(STAMP)
	$(VENV)/bin/pytest -q -p no:cacheprovider -m browser tests/

# Fault tests: real workers, Redis and the embedded store killed and restarted, longer fuzzing.
test-faults: $(STAMP)
	$(VENV)/bin/pytest -q -p no:cacheprovider -m faults tests/ || [ $$? -eq 5 ]  # 5: none collected yet

# Every throughput figure in one run, as ratios to plain jieba.lcut measured in the same run
# (whole-process check, start-up, stages, then bench/bench_ingest.py: ingest, store operations
# per report, RSS, the embedded server's own rates, time per report as the store grows; then
# bench/bench_research.py over 3,000 reports: BENCH_ARGS="--research-n 50000" for the full size).
bench: $(STAMP)
	$(PY) bench/bench.py $(BENCH_ARGS)

evaluate: $(STAMP)
	$(VENV)/bin/gongkai evaluate

stop:
	-$(VENV)/bin/gongkai --data-dir .gongkai-demo db stop

clean: stop
	rm -rf .gongkai-demo .gongkai
