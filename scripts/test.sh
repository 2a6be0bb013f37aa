#!/usr/bin/env bash
# scripts/test.sh: every test of the workspace (what `make test` and .ci/run run).
#
#   1. scripts/db.sh: reuse or start PostgreSQL; .data/env gives DATABASE_URL and PF_ADMIN_DATABASE_URL, which
#      are exported to the tests (they create one database per test on PF_ADMIN_DATABASE_URL's server).
#   2. Drop leftover test databases (pf_test_*) that killed test runs left behind.
#   3. cargo nextest run --workspace --no-fail-fast (cargo-nextest is installed first if missing). Extra
#      arguments of this script go to nextest, e.g. `scripts/test.sh -E 'test(dedupe)'`.
#   4. scripts/deploy-check.sh: docker-compose config -q (docker-compose is installed with apt-get when missing),
#      the Dockerfile, the Kubernetes manifests (strict schema validation) and the systemd units.
#   Also creates .venv/ with the official standardwebhooks library (signature interoperability test), and
#   installs moto[server], openapi-spec-validator and schemathesis (pip) when missing: the S3 storage tests
#   start moto as a local S3-compatible server; the OpenAPI test validates /openapi.json with the validator, and
#   the schemathesis test fuzzes every documented operation of a running ingest-api, failing on any 5xx. And, for the dashboard's
#   browser test, Debian's chromium and playwright-core (npm ci in tests/e2e) when missing.
# Exits non-zero if any step failed (the deployment check still runs after failed tests).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TAG="test"
say() { pf_say "$TAG" "$@"; }

cd "$PF_REPO"

scripts/db.sh
# shellcheck source=/dev/null
source "$PF_DATA/env"
export DATABASE_URL PF_ADMIN_DATABASE_URL

drop_leftover_test_databases() {
    local psql count
    psql=$(pf_find_pg_tool psql) || pf_die "$TAG" "psql not found: install the Debian package postgresql-client"
    local run=("$psql" -X -q -At -v ON_ERROR_STOP=1 -d "$PF_ADMIN_DATABASE_URL")
    count=$("${run[@]}" -c "SELECT count(*) FROM pg_database WHERE datname LIKE 'pf\_test\_%'")
    if ((count > 0)); then
        "${run[@]}" >/dev/null <<'SQL'
SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', datname) FROM pg_database WHERE datname LIKE 'pf\_test\_%'
\gexec
SQL
        say "dropped $count leftover test database(s) (pf_test_*)"
    fi
}

ensure_nextest() {
    if ! cargo nextest --version >/dev/null 2>&1; then
        say "cargo nextest is missing; installing it (cargo install cargo-nextest --locked)"
        cargo install cargo-nextest --locked
    fi
}

# Python tools the tests start: moto's S3-compatible server (storage tests), openapi-spec-validator (the
# /openapi.json test) and schemathesis (API fuzzing). Installed with pip when missing.
ensure_python_tools() {
    if python3 -c 'import moto.server, flask, openapi_spec_validator' >/dev/null 2>&1 &&
        command -v schemathesis >/dev/null 2>&1; then
        return 0
    fi
    command -v python3 >/dev/null 2>&1 || pf_die "$TAG" "python3 not found: install the Debian package python3"
    say "installing test tools (pip install 'moto[server]' openapi-spec-validator schemathesis)"
    python3 -m pip install --quiet --disable-pip-version-check 'moto[server]' openapi-spec-validator schemathesis ||
        pf_die "$TAG" "cannot install the test tools: pip install 'moto[server]' openapi-spec-validator schemathesis"
}

# The official Standard Webhooks library (PyPI standardwebhooks) signs the interoperability test's vectors; it lives
# in a project-local virtualenv, .venv/, never in the system's Python.
ensure_standardwebhooks_venv() {
    if [[ -x .venv/bin/python ]] && .venv/bin/python -c 'import standardwebhooks' >/dev/null 2>&1; then
        return 0
    fi
    say "creating .venv with the official standardwebhooks library (python3 -m venv .venv; pip install standardwebhooks)"
    python3 -m venv .venv || pf_die "$TAG" "python3 -m venv failed: install the Debian package python3-venv"
    .venv/bin/pip install --quiet --disable-pip-version-check 'standardwebhooks==1.1.0' ||
        pf_die "$TAG" "pip install standardwebhooks (into .venv) failed"
}

# The dashboard's browser test drives Debian's Chromium with playwright-core (tests/e2e).
ensure_browser_tools() {
    if ! command -v chromium >/dev/null 2>&1; then
        pf_apt_install "$TAG" chromium || pf_die "$TAG" "chromium not found (the dashboard test needs it): install the Debian package chromium"
    fi
    command -v node >/dev/null 2>&1 || pf_apt_install "$TAG" nodejs npm || pf_die "$TAG" "node not found: install nodejs and npm"
    if [[ ! -d tests/e2e/node_modules/playwright-core ]]; then
        say "installing playwright-core for the dashboard test (npm ci in tests/e2e)"
        (cd tests/e2e && npm ci --no-audit --no-fund --silent) || pf_die "$TAG" "npm ci in tests/e2e failed"
    fi
}

drop_leftover_test_databases
ensure_nextest
ensure_python_tools
ensure_standardwebhooks_venv
ensure_browser_tools

status=0
say "cargo nextest run --workspace --no-fail-fast $* (DATABASE_URL=$(pf_url_redact "$DATABASE_URL"))"
cargo nextest run --workspace --no-fail-fast "$@" || status=$?

# The deployment files: docker-compose config -q (docker-compose is installed with apt-get when missing), the
# Dockerfile's targets, the Kubernetes manifests against their schemas, the systemd units (scripts/deploy-check.sh).
if ! command -v docker-compose >/dev/null 2>&1; then
    pf_apt_install "$TAG" docker-compose || say "docker-compose is missing and cannot be installed here"
fi
say "scripts/deploy-check.sh"
scripts/deploy-check.sh || { say "the deployment files are invalid (scripts/deploy-check.sh)"; status=1; }

if ((status != 0)); then
    say "FAILED (exit status $status)"
fi
exit "$status"
