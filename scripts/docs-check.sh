#!/usr/bin/env bash
# scripts/docs-check.sh: every ```sh block of README.md and docs/*.md runs as written (what `make docs-check` and CI
# run). Blocks tagged otherwise (```console for docker/kubectl/cloud commands, ```text, ```ini, ```sql) are not run.
#
#   1. scripts/db.sh finds or starts PostgreSQL; a fresh database `pf_docs_check` is made on that server.
#   2. cargo build --release --bins; target/release/ goes first on PATH, so `pathfinder ...` in the docs is the
#      CLI just built.
#   3. The README's quick start: `make run` starts in the background (its output in .data/docs-check-run.log) with
#      ADMIN_TOKEN set, and the check waits until ingest-api answers /ready on 127.0.0.1:8080. `make test` in that
#      block is not repeated here: CI runs it just before.
#   4. Every other ```sh block, in order, file by file: each in its own `bash -euo pipefail` from the repository root,
#      with DATABASE_URL and ADMIN_TOKEN of the running stack, and curl failing on an HTTP error answer. A failing
#      block fails the check, with its file, line and output.
# Arguments: the documents to check instead of README.md and docs/*.md.
#   5. The stack is stopped, the database dropped.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TAG=docs-check
say() { pf_say "$TAG" "$@"; }
die() { pf_die "$TAG" "$@"; }

cd "$PF_REPO"
# The documents to check: the arguments, or README.md and docs/*.md.
if (($# > 0)); then DOCS=("$@"); else DOCS=(README.md docs/*.md); fi
DOCS_DB=pf_docs_check
RUN_LOG="$PF_DATA/docs-check-run.log"
RUN_PID=""

scripts/db.sh
# shellcheck source=/dev/null
source "$PF_DATA/env"
psql_bin=$(pf_find_pg_tool psql) || die "psql not found: install the Debian package postgresql-client"
admin=("$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$PF_ADMIN_DATABASE_URL")
"${admin[@]}" -c "DROP DATABASE IF EXISTS $DOCS_DB WITH (FORCE)" -c "CREATE DATABASE $DOCS_DB"
DATABASE_URL=$(pf_url_with_db "$PF_ADMIN_DATABASE_URL" "$DOCS_DB")
export DATABASE_URL
export ADMIN_TOKEN=docs-check-admin-token
export LOG_LEVEL=warn

# shellcheck disable=SC2317  # called from the trap
cleanup() {
    if [[ -n $RUN_PID ]] && kill -0 "$RUN_PID" 2>/dev/null; then
        kill -INT -- "-$RUN_PID" 2>/dev/null || kill -INT "$RUN_PID" 2>/dev/null || true
        for _ in $(seq 1 40); do
            kill -0 "$RUN_PID" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL -- "-$RUN_PID" 2>/dev/null || true
    fi
    "${admin[@]}" -c "DROP DATABASE IF EXISTS $DOCS_DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

say "cargo build --release --bins"
cargo build --release --bins
export PATH="$PF_REPO/target/release:$PATH"

if (echo >/dev/tcp/127.0.0.1/8080) 2>/dev/null; then
    die "something already listens on 127.0.0.1:8080 (the docs' ingest-api address): stop it first"
fi

# Prints each ```sh block of a file as: a header line "@@ <file>:<line>", then the block's lines.
extract_blocks() {
    awk -v file="$1" '
        /^```sh[[:space:]]*$/ { inside = 1; print "@@ " file ":" NR; next }
        /^```/ { inside = 0; next }
        inside { print }
    ' "$1"
}

start_stack() {
    say "make run (in the background; log: ${RUN_LOG#"$PF_REPO"/})"
    set -m
    make run >"$RUN_LOG" 2>&1 </dev/null &
    RUN_PID=$!
    set +m
    for _ in $(seq 1 240); do
        if curl -fsS -o /dev/null http://127.0.0.1:8080/ready 2>/dev/null; then
            say "the stack is up (ingest-api /ready answers 200)"
            return 0
        fi
        kill -0 "$RUN_PID" 2>/dev/null || { tail -n 30 "$RUN_LOG" >&2; die "make run exited early"; }
        sleep 0.5
    done
    tail -n 30 "$RUN_LOG" >&2
    die "make run did not come up within 120 s"
}

run_block() {
    local where=$1 body=$2 output status=0
    # The quick start: `make run` is the running stack itself, `make test` is CI's own first step.
    if grep -Eq '^make (run|test)([[:space:]]|$)' <<<"$body"; then
        [[ -z $RUN_PID ]] && start_stack
        body=$(grep -Ev '^make (run|test)([[:space:]]|$)' <<<"$body" || true)
        [[ -z ${body//[[:space:]]/} ]] && { say "ok   $where (quick start: make run is up)"; return 0; }
    fi
    [[ -z $RUN_PID ]] && start_stack
    # curl fails the block on an HTTP error answer (a documented call that gets 401 or 404 is a wrong document).
    local prelude='curl() { command curl --fail-with-body "$@"; }'
    output=$(bash -euo pipefail -c "$prelude"$'\n'"$body" 2>&1 </dev/null) || status=$?
    if ((status != 0)); then
        printf '%s\n' "$output" | tail -n 40 >&2
        say "FAIL $where (exit status $status):"
        printf '    %s\n' "${body//$'\n'/$'\n'    }" >&2
        return 1
    fi
    say "ok   $where"
}

failures=0
blocks=0
for doc in "${DOCS[@]}"; do
    where="" body=""
    while IFS= read -r line || [[ -n $line ]]; do
        if [[ $line == "@@ "* ]]; then
            if [[ -n $where ]]; then
                blocks=$((blocks + 1))
                run_block "$where" "$body" || failures=$((failures + 1))
            fi
            where=${line#@@ } body=""
        else
            body+="$line"$'\n'
        fi
    done < <(extract_blocks "$doc")
    if [[ -n $where ]]; then
        blocks=$((blocks + 1))
        run_block "$where" "$body" || failures=$((failures + 1))
    fi
done

((blocks > 0)) || die "no \`\`\`sh block found in ${DOCS[*]}"
if ((failures > 0)); then
    die "$failures of $blocks documented command blocks failed"
fi
say "all $blocks documented command blocks ran as written"
