# gongkai — the two Quick start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
PY      = $(VENV)/bin/python
PIP     = $(VENV)/bin/pip
STAMP   = $(VENV)/.installed

.PHONY: demo test install bench evaluate clean stop

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[embedded,test]'
	touch $(STAMP)

install: $(STAMP)

# Ingest the bundled corpus/ into the embedded store (no server to install) and summarise.
demo: $(STAMP)
	$(VENV)/bin/gongkai --data-dir .gongkai-demo ingest corpus/ --workers 2
	$(VENV)/bin/gongkai --data-dir .gongkai-demo reports

test: $(STAMP)
	$(VENV)/bin/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Every throughput figure in one run, as ratios to plain jieba.lcut measured in the same run
# (whole-process check, start-up, stages, then bench/bench_ingest.py with a small N).
bench: $(STAMP)
	$(PY) bench/bench.py $(BENCH_ARGS)

evaluate: $(STAMP)
	$(VENV)/bin/gongkai evaluate

stop:
	-$(VENV)/bin/gongkai --data-dir .gongkai-demo db stop

clean: stop
	rm -rf .gongkai-demo .gongkai
