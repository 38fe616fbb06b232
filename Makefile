# Two commands first: `make run` serves the demo division; `make test` runs every tier.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
SPEED  ?= 1
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint bench samconfig install system-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

# A clearly-demo password for the demo staff's console users (local twin only).
DEMO_PASSWORD := Demo-Console-2026

run: install
	$(PY) -m localtwin --port $(PORT) --speed $(SPEED) \
	  --after "$(VENV)/bin/haochaping registry load infra/registry/demo-640100/registry.yaml --stack {stack}" \
	  --after "$(VENV)/bin/haochaping staff users --stack {stack} --password $(DEMO_PASSWORD) --examples 3" \
	  --after 'echo "staff console {url}/console: sign in as above with the demo password $(DEMO_PASSWORD)"' \
	  --after 'echo "rating form, window YC01-A001: $$($(VENV)/bin/haochaping qr url YC01-A001 --stack {stack})"'

test: install system-deps
	$(PY) -m pytest

# The browser tier needs Debian's chromium; install it where we can, never skip silently.
system-deps:
	@bash infra/system-deps.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml

bench: install
	$(PY) -m bench.run

samconfig: install
	$(PY) -c "from localtwin.divisions import samconfig_text; open('samconfig.toml', 'w', encoding='utf-8').write(samconfig_text())"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
