# shipsync — `make help` lists the targets. Everything installs itself on first use.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
BIN := $(VENV)/bin
SAM := $(SAM_VENV)/bin/sam
STAGE ?= dev
FN ?= OrderConfirmedFunction
EVENT ?= events/order_confirmed/webhook_json.json
PYTEST_ARGS ?=
ARGS ?=
STACK ?=
QUEUE ?=
ORDER ?=

.PHONY: help venv sam-venv run serve pickups margin status reconcile report doctor dlq replay test unit lint fmt build deploy invoke bench fuzz chaos clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

venv: $(VENV)/.installed ## Create .venv with the pinned dev requirements

$(VENV)/.installed: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

sam-venv: $(SAM_VENV)/.installed ## Create .venv-sam with aws-sam-cli (kept apart from the dev venv)

$(SAM_VENV)/.installed: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

run: venv ## Run a sample day through the local stack (no accounts, no Docker); writes reports/run.json
	$(BIN)/python -m local.sample_day --report reports/run.json

serve: venv ## Keep the local stack up (API on 127.0.0.1:3000); writes .local-stack.json; Ctrl-C stops it
	$(BIN)/python -m local.stack

pickups: venv ## Check Zoho locations against Shiprocket pickup locations (the `make serve` stack, or STACK=NAME); ARGS=--register adds the missing
	$(BIN)/python -m shipsync_cli $(if $(STACK),--stack $(STACK),--local-stack .local-stack.json) pickups $(ARGS)

margin: venv ## What each order earned less its freight, from the wallet statement (the `make serve` stack, or STACK=NAME); ARGS="--days 30 --csv FILE"
	$(BIN)/python -m shipsync_cli $(if $(STACK),--stack $(STACK),--local-stack .local-stack.json) margin $(ARGS)

status: venv ## An order's story from the ledger: ORDER=SO-00231 (or an AWB); the `make serve` stack, or STACK=NAME; ARGS=--json
	@test -n "$(ORDER)" || { echo 'make status ORDER=SO-00231 (a sales order number, its Zoho id or an AWB)'; exit 2; }
	$(BIN)/python -m shipsync_cli $(if $(STACK),--stack $(STACK),--local-stack .local-stack.json) status $(ORDER) $(ARGS)

reconcile: venv ## The ledger, Shiprocket and Zoho compared for recent shipments; ARGS="--since 2d --fix --yes" repairs the safe kinds
	$(BIN)/python -m shipsync_cli $(if $(STACK),--stack $(STACK),--local-stack .local-stack.json) reconcile $(ARGS)

report: venv ## The period's operations, read-only (the `make serve` stack, or STACK=NAME); ARGS="--since 7d --html reports/ops.html"
	$(BIN)/python -m shipsync_cli $(if $(STACK),--stack $(STACK),--local-stack .local-stack.json) report $(ARGS)

doctor: venv ## The deployment's setup checked end to end, read-only (the `make serve` stack, or STACK=NAME); ARGS=--json
	$(BIN)/python -m shipsync_cli $(if $(STACK),--stack $(STACK),--local-stack .local-stack.json) doctor $(ARGS)

dlq: venv ## Every DLQ with its depth and what each message concerns (the `make serve` stack, or STACK=NAME); ARGS=--json
	$(BIN)/python -m shipsync_cli $(if $(STACK),--stack $(STACK),--local-stack .local-stack.json) dlq $(ARGS)

replay: venv ## Send a DLQ's messages back to their queue: QUEUE=OrderDLQ ARGS="--all --yes" (or --id ID; without --yes, a dry run)
	@test -n "$(QUEUE)" || { echo 'make replay QUEUE=OrderDLQ ARGS="--all --yes" (QUEUE: a DLQ from `make dlq`)'; exit 2; }
	$(BIN)/python -m shipsync_cli $(if $(STACK),--stack $(STACK),--local-stack .local-stack.json) replay $(QUEUE) $(ARGS)

test: venv lint ## Lint, then the whole test suite (unit, contract, policy, end-to-end)
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

unit: venv ## Only the fast tests (no local stack)
	$(BIN)/pytest -n 2 tests/unit tests/contract tests/policy $(PYTEST_ARGS)

lint: venv sam-venv ## ruff, mypy (layer, functions, local) and sam validate --lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy layers/shared/shipsync local shipsync_cli
	for fn in functions/*/; do $(BIN)/mypy "$$fn" || exit 1; done
	$(SAM) validate --lint --template-file template.yaml --region ap-south-1

fmt: venv ## Format and auto-fix with ruff
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

build: sam-venv ## sam build, layer and functions with compiled bytecode (needs python3.12: found via pyenv when the default python is another version)
	@PY312=$$(python3.12 -c 'import sys; assert sys.version_info[:2] == (3, 12); print(sys.executable)' 2>/dev/null || true); \
	if [ -z "$$PY312" ] && command -v pyenv >/dev/null; then \
	  V=$$(pyenv versions --bare | grep -E '^3\.12' | tail -1); \
	  [ -n "$$V" ] && PY312="$$(pyenv root)/versions/$$V/bin/python3.12"; \
	fi; \
	if [ -z "$$PY312" ]; then echo "sam build needs python3.12 (it compiles the runtime's bytecode): install it, e.g. pyenv install 3.12"; exit 1; fi; \
	STAMP=.aws-sam/lambda_build.sha256; SUM=$$(sha256sum local/lambda_build.py | cut -d' ' -f1); \
	if [ "$$(cat $$STAMP 2>/dev/null)" != "$$SUM" ]; then rm -rf .aws-sam/cache; fi; \
	echo "sam build with $$PY312"; \
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL LAMBDA_PYTHON="$$PY312" PATH="$$(dirname $$PY312):$$PATH" \
	  $(SAM) build --template-file template.yaml && echo "$$SUM" > $$STAMP

deploy: build ## sam deploy (guided on first use); STAGE=dev|prod picks the samconfig environment
	@if grep -q "^\[$(STAGE).deploy" samconfig.toml; then $(SAM) deploy --config-env $(STAGE); \
	else $(SAM) deploy --guided --config-env $(STAGE); fi

invoke: venv ## Invoke FN with EVENT: sam local invoke where a container runtime runs, else in-process
	@if docker info >/dev/null 2>&1; then $(MAKE) build && $(SAM) local invoke $(FN) -e $(EVENT); \
	else $(BIN)/python -m local.invoke $(FN) $(EVENT); fi

bench: venv ## Benchmarks: webhook ack vs bare SQS send, handler import time, the built artifact's cold import (bytecode or not) and sizes, calls per order, HTTP fuzz, chaos day
	$(BIN)/python -m local.bench

chaos: venv ## A chaos day: 160 orders, ~10 % transient faults, tokens expired twice; exit 0 only with 0 lost, 0 duplicates, 0 DLQ
	$(BIN)/python -m local.sample_day --port 0 --chaos 0.1 --orders 160 --report reports/chaos.json

fuzz: venv ## 6,000 hostile requests over the six body-taking routes of a local stack: 0 x 5xx, no provider write, a valid order still ships
	$(BIN)/python -m local.fuzz --report reports/fuzz.json

clean: ## Remove virtualenvs, build output and reports
	rm -rf $(VENV) $(SAM_VENV) .aws-sam reports .local-stack.json .pytest_cache .mypy_cache .ruff_cache
