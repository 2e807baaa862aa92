# Every target installs what it needs first, so each works on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NPM_STAMP := node_modules/.package-lock.json

.PHONY: help install test test-unit test-real typecheck build_service run bench clean

help: ## List the targets
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(NPM_STAMP) ## Install the pinned npm packages (npm ci)

typecheck: $(NPM_STAMP) ## Type-check everything with tsc
	npm run typecheck

test: $(NPM_STAMP) ## Type-check, then every test: unit, e2e and real components
	npm test

test-unit: $(NPM_STAMP) ## The fast loop: unit and e2e tests only
	npm run test:unit

test-real: $(NPM_STAMP) ## Tests against real components only
	npm run test:real

build_service: $(NPM_STAMP) ## Build the service release into dist/release
	npm run build:service

run: build_service ## Build the release and serve it on http://127.0.0.1:3000 (Ctrl-C stops it)
	IMDS_ENABLED=false node dist/release/server.mjs

bench: $(NPM_STAMP) ## Run the benchmarks; tables land in bench/results/
	npm run bench:cold-start

clean: ## Remove build output
	rm -rf dist cdktf.out
