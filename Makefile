# Deep Learning for Signal Processing: build, test and grade.
# Every target creates the virtual environment (.venv) when it is missing and reuses it.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
# nbgrader calls `alembic` by name: the venv's bin must be on PATH.
export PATH := $(abspath $(VENV))/bin:$(PATH)
export MPLBACKEND := Agg
STAMP := $(VENV)/.installed
VENDOR := _static/vendor/.installed
RUN ?= runs/mnist-demo

.PHONY: help venv demo book test lint format bench release collect autograde feedback grades clean corpus sweeps browser-deps

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "Python 3.11 or newer is needed as python3 (found $$(python3 --version 2>&1)): install it or put it first on the PATH" >&2; exit 1; }
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.14.1 torchvision==0.29.1
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	touch $@

venv: $(STAMP)  ## create or update the virtual environment

$(VENDOR): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	rm -rf _static/vendor
	mkdir -p _static/vendor/html-manager _static/vendor/mathjax
	cp node_modules/requirejs/require.js _static/vendor/require.js
	cp -r node_modules/@jupyter-widgets/html-manager/dist/. _static/vendor/html-manager/
	# MathJax 3 (TeX to HTML) and the components and fonts it loads on demand, served by the site itself
	cp node_modules/mathjax/es5/tex-chtml.js _static/vendor/mathjax/
	cp -r node_modules/mathjax/es5/{a11y,adaptors,input,output,sre,ui} _static/vendor/mathjax/
	touch $@

demo: $(STAMP)  ## Chapter 1 on the embedded digits: train, evaluate, figures, metrics into $(RUN)
	$(PY) -m course_lib mnist train --out $(RUN)

book: $(STAMP) $(VENDOR)  ## build the website into _build/html (fails on any warning or cell error)
	rm -rf _build
	$(VENV)/bin/jupyter-book build --all -W -n --keep-going .
	@echo "website: $(abspath _build/html/index.html)"

browser-deps:  ## Debian's Chromium for the headless-browser tests
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

lint: $(STAMP)  ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)  ## apply ruff's formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: $(STAMP) browser-deps lint book  ## lint, build the book, run every test (unit, browser, nbgrader)
	$(PY) -m pytest

bench: $(STAMP)  ## benchmarks; results go to bench/RESULTS.md by hand, with the command
	$(PY) bench/bench_mnist.py
	$(PY) bench/bench_mnist_ceiling.py
	$(PY) bench/bench_denoise.py
	$(PY) bench/bench_autograde.py

sweeps: $(STAMP)  ## recompute the committed widget sweeps (book/data/*.json)
	$(PY) -m course_lib mnist sweep --out book/data/mnist_sweep.json
	$(PY) -m course_lib denoise sweep --out book/data/denoise_sweep.json

corpus:  ## maintainers only: re-synthesize the embedded speech corpus (needs espeak-ng)
	$(PY) scripts/make_speech_corpus.py

# ---- instructor workflow (nbgrader); see solutions/README.md and the book's instructors page ----
release: $(STAMP)  ## generate the student versions in exercises/ from solutions/
	$(PY) -m course_lib.grading release

collect: $(STAMP)  ## import LMS downloads: make collect ASSIGNMENT=ch1-mnist DOWNLOADS=path/to/zips
	$(PY) -m course_lib.grading collect $(ASSIGNMENT) $(DOWNLOADS)

autograde: $(STAMP)  ## autograde every submission: make autograde ASSIGNMENT=ch1-mnist
	$(PY) -m course_lib.grading autograde $(ASSIGNMENT)

feedback: $(STAMP)  ## HTML feedback for every graded submission: make feedback ASSIGNMENT=ch1-mnist
	$(PY) -m course_lib.grading feedback $(ASSIGNMENT)

grades: $(STAMP)  ## export grades.csv
	$(PY) -m course_lib.grading grades

clean:  ## remove build output (keeps the virtual environment)
	rm -rf _build runs .pytest_cache test-artifacts
