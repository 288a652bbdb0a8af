# socflow — every target installs what it needs; a second run reuses caches.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export ONNXRUNTIME_NODE_INSTALL := skip
NODE_STAMP := node_modules/.socflow-installed
BUILD_STAMP := dist/.socflow-built
SOCFLOW := node bin/socflow.js
TS_SOURCES := $(shell find lib cli demo infra processors connectors models api exercises bench -name '*.ts' -not -name '*.test.ts' 2>/dev/null)

.PHONY: help install build stack-up stack-down stack-status topics demo test test-compat test-faults bench train exercise clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(NODE_STAMP): package.json package-lock.json $(wildcard patches/*.patch)
	@echo "==> npm ci (dependencies pinned in package-lock.json)"
	npm ci --no-audit --no-fund
	@touch $@

install: $(NODE_STAMP) ## Install Node dependencies

$(BUILD_STAMP): $(NODE_STAMP) $(TS_SOURCES) tsconfig.json tsconfig.build.json
	@echo "==> tsc"
	npx tsc -p tsconfig.build.json
	@touch $@

build: $(BUILD_STAMP) ## Compile TypeScript to dist/

stack-up: build ## Start the local stack (Kafka, schema registry, PostgreSQL, ClickHouse) and write .stack/stack.env
	$(SOCFLOW) stack up

stack-down: build ## Stop everything stack-up started
	$(SOCFLOW) stack down

stack-status: build ## Show the local stack's parts
	$(SOCFLOW) stack status

topics: stack-up ## Apply the topic catalog and register schemas
	$(SOCFLOW) topics apply

demo: build ## The main job: stack, topics, every stage, replay sample telemetry, summary (last line JSON)
	$(SOCFLOW) demo

test: build ## All tests against real Kafka, registry, PostgreSQL and ClickHouse (started if needed)
	npx tsc -p tsconfig.json --noEmit
	npx vitest run

test-compat: build ## Kafka integration tests against Apache Kafka 4.1.1
	SOCFLOW_KAFKA_VERSION=4.1.1 SOCFLOW_STACK_DIR=$(CURDIR)/.stack-compat SOCFLOW_KAFKA_PORT=29092 SOCFLOW_KAFKA_CONTROLLER_PORT=29093 \
	SOCFLOW_REGISTRY_PORT=28081 SOCFLOW_POSTGRES_PORT=25432 SOCFLOW_CLICKHOUSE_PORT=28123 \
	npx vitest run test/integration processors

test-faults: build ## Fault-injection suite (kills, broker restart, PostgreSQL outage, garbage input)
	npx vitest run --config vitest.faults.config.ts

bench: build ## Benchmarks (never part of make test); last line JSON
	$(SOCFLOW) bench

train: ## Model factory: train on NSL-KDD, export ONNX, write the manifest
	models/factory/train.sh

exercise: build ## Run the purple-team scenario library end to end; last line JSON
	$(SOCFLOW) exercise run exercises --report

clean: ## Remove build output (keeps caches and stack data)
	rm -rf dist
