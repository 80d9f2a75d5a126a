# One command to set up and run the demo, one to set up and run the tests.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
NEO4J_LIB_STAMP := neo4j/lib/.fetched
HOST ?= 127.0.0.1
PORT ?= 5000
DEMO_DIR ?= var/demo-data
DEMO_PERSONS ?= 3000
DEMO_TRANSFERS ?= 100000

.PHONY: setup system-packages demo test neo4j-start neo4j-stop clean

setup: system-packages $(VENV)/.installed $(NEO4J_LIB_STAMP)

# Java, Maven, Chromium, poppler and CJK fonts: installed when root and missing,
# otherwise named with the exact command to run.
system-packages:
	@bash scripts/system-packages.sh

$(VENV)/.installed: requirements.txt
	@test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements.txt
	@touch $@

$(NEO4J_LIB_STAMP): neo4j/pom.xml
	mvn -q -B -f neo4j/pom.xml package
	@touch $@

neo4j-start: setup
	$(VPY) -m graph start

neo4j-stop:
	-$(VPY) -m graph stop

demo: setup
	@bash scripts/demo.sh

test: setup
	$(VPY) -m pytest -q

clean:
	rm -rf $(VENV) neo4j/lib var

# Loader against LOAD CSV side by side on one throw-away server, plus --bulk-import (issue 11).
bench-ingest:
	$(VPY) bench/bench_ingest.py --persons 20000 --transfers 1000000 --bulk-import

# Load, scan and page costs at 100k, 1M and 5M transfers (issue 11 "Growth"); resumes from
# var/bench-growth/growth.jsonl, prints the Markdown tables (GROWTH_ARGS="--sizes 100k,1M", "--fresh", ...).
bench-growth:
	$(VPY) bench/bench_growth.py $(GROWTH_ARGS)
