# CaptPathfinder developer commands (GNU make). `make` alone lists them.
# Every target works on a machine with nothing running: scripts/db.sh reuses the PostgreSQL server named by
# DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) or starts a private cluster under .data/.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Extra arguments for cargo nextest in `make test`, e.g. make test ARGS="-E 'test(dedupe)'".
ARGS ?=

.PHONY: help db db-stop test run bench eval lint fuzz supply-chain report-screenshot clean-data deploy-check container-check docs-check chaos

help: ## List the targets
	@echo "CaptPathfinder: make <target>"
	@awk 'BEGIN { FS = ":.*## " } /^[a-z][a-z-]*:.*## / { printf "  %-11s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

db: ## Start or reuse PostgreSQL (private cluster in .data/ if DATABASE_URL reaches no server); writes .data/env
	@scripts/db.sh

db-stop: ## Stop the private PostgreSQL cluster started by `make db`
	@scripts/db.sh stop

test: ## Run every test (cargo nextest on the workspace, against PostgreSQL), then check docker-compose.yml
	@scripts/test.sh $(ARGS)

run: ## Build and run the whole stack locally (migrate, then every service); Ctrl-C stops it
	@scripts/run.sh

bench: ## Webhook ingest benchmark (wrk vs pgbench); results in bench-results/
	@scripts/bench.sh

eval: ## Classifier precision/recall on both labelled files in ../shared/data (raw, reviewed, per language); gates >= 0.97/0.95
	cargo build --release -q -p pathfinder-classify --example eval
	target/release/examples/eval --labels ../shared/data/job-titles-labelled.csv \
		--corrections tests/classification/reviewed-corrections.csv \
		--by-language --min-precision 0.97 --min-recall 0.95
	@echo
	target/release/examples/eval --labels ../shared/data/titles-multilingual-levels.csv \
		--corrections tests/classification/reviewed-corrections-multilingual.csv \
		--by-language --min-precision 0.97 --min-recall 0.95 --gate-languages de,en

report-screenshot: ## Render a demo month-end report and screenshot it with headless Chromium into docs/
	@scripts/report-screenshot.sh

chaos: ## Chaos suite (~5 min): kill -9 workers, stop PostgreSQL, fail the AA/Teams fakes under load; nothing lost
	@scripts/chaos.sh

docs-check: ## Run every ```sh block of README.md and docs/ as written, against a fresh stack started by make run
	@scripts/docs-check.sh

deploy-check: ## Validate docker-compose.yml, the Dockerfile, Kubernetes manifests (strict schemas) and systemd units
	@scripts/deploy-check.sh

container-check: ## Build every Dockerfile image with podman (local Debian base images) and run the compose stack: webhook -> digest
	@scripts/container-check.sh

lint: ## cargo clippy (warnings are errors) and cargo fmt --check, for the workspace and the fuzz targets
	cargo clippy --workspace --all-targets -- -D warnings
	cargo fmt --all --check
	cp Cargo.lock fuzz/Cargo.lock
	cargo clippy --manifest-path fuzz/Cargo.toml --bins -- -D warnings
	cargo fmt --manifest-path fuzz/Cargo.toml --all --check

fuzz: ## Run every cargo-fuzz target (fuzz/) for 5 minutes each (FUZZ_SECONDS=N to change); crashes in fuzz/artifacts/
	@scripts/fuzz.sh --seconds $(or $(FUZZ_SECONDS),300)

supply-chain: ## cargo-deny (advisories from ../shared/advisory-db, bans, licenses, sources) and no unsafe code
	@scripts/supply-chain.sh

clean-data: ## Stop the private PostgreSQL cluster and delete .data/
	@scripts/db.sh clean
