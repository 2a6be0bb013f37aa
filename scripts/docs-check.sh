#!/usr/bin/env bash
# scripts/docs-check.sh: every ```sh block of README.md and docs/*.md runs as written, and prints what it documents
# (what `make docs-check` and CI run). Blocks tagged otherwise (```console for docker/kubectl/cloud commands, ```text,
# ```ini, ```sql) are not run.
#
#   1. scripts/db.sh finds or starts PostgreSQL; a fresh database `pf_docs_check` is made on that server. .env,
#      .data/env (and a .env of your own) are set aside first and put back at the end.
#   2. The README's quick start: `make run` starts in the background with DATABASE_URL naming pf_docs_check (its
#      output in .data/docs-check-run.log); it builds target/release/, writes .env for that database and uses the
#      admin token of .data/admin-token, as for a person. The check waits until ingest-api answers /ready on
#      127.0.0.1:8080. `make test` in that block is not repeated here: CI runs it just before.
#   3. Every other ```sh block, in order, file by file, as a person types it in a new terminal at the top of the
#      checkout: a fresh `bash -euo pipefail` under `env -i` (only HOME, USER, LANG and the caller's PATH; no
#      DATABASE_URL, no ADMIN_TOKEN, target/release not on PATH), with curl failing on an HTTP error answer.
#      Answers: a comment on a line of its own ("# {...}") is what the commands above it print; the block's
#      standard output must equal those lines, in order, where "..." stands for any text (a hash, a time).
#      A failing block, or one printing something else, fails the check, with its file, line and output.
#      Before each block the check waits until the stack has nothing in flight (events, digests, reports), as a
#      person reads one answer before typing the next command.
#   4. The stack is stopped, the database dropped, the set-aside files put back.
# Arguments: the documents to check instead of README.md and docs/*.md.
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

# Files make run rewrites for pf_docs_check; put back by cleanup().
SAVED="$(mktemp -d)"
SET_ASIDE=(.env .data/env)
admin=()
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
    if ((${#admin[@]} > 0)); then
        "${admin[@]}" -c "DROP DATABASE IF EXISTS $DOCS_DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    local file
    for file in "${SET_ASIDE[@]}"; do
        if [[ -e "$SAVED/${file//\//_}" ]]; then
            cp -p "$SAVED/${file//\//_}" "$file"
        else
            rm -f "$file"
        fi
    done
    rm -rf "$SAVED"
}
trap cleanup EXIT
for file in "${SET_ASIDE[@]}"; do
    if [[ -e $file ]]; then cp -p "$file" "$SAVED/${file//\//_}"; fi
done
rm -f .env # a .env of your own would hide the check's database from the documented commands

scripts/db.sh
# shellcheck source=/dev/null
source "$PF_DATA/env"
psql_bin=$(pf_find_pg_tool psql) || die "psql not found: install the Debian package postgresql-client"
admin=("$psql_bin" -X -q -v ON_ERROR_STOP=1 -d "$PF_ADMIN_DATABASE_URL")
"${admin[@]}" -c "DROP DATABASE IF EXISTS $DOCS_DB WITH (FORCE)" -c "CREATE DATABASE $DOCS_DB"
DATABASE_URL=$(pf_url_with_db "$PF_ADMIN_DATABASE_URL" "$DOCS_DB")
export DATABASE_URL
export LOG_LEVEL=warn
unset ADMIN_TOKEN RUST_LOG # make run uses .data/admin-token, as for a person
# The new terminal of a person: nothing but these.
FRESH=(env -i "HOME=$HOME" "USER=${USER:-$(id -un)}" "LANG=${LANG:-C.UTF-8}" "PATH=$PATH")

# make run builds too; building first keeps its start (waited for below) short.
say "cargo build --release --bins"
cargo build --release --bins

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

# The answers a block documents: its lines that are a comment of their own, without the "# ".
expected_of() {
    sed -n -E 's/^#( |$)//p' <<<"$1"
}

# answers_match ACTUAL EXPECTED: line by line, "..." in an expected line standing for any text.
answers_match() {
    local -a actual expected
    local i pattern
    mapfile -t actual <<<"$1"
    mapfile -t expected <<<"$2"
    ((${#actual[@]} == ${#expected[@]})) || return 1
    for i in "${!expected[@]}"; do
        pattern=${expected[$i]//\\/\\\\}
        pattern=${pattern//\*/\\*}
        pattern=${pattern//\?/\\?}
        pattern=${pattern//\[/\\[}
        pattern=${pattern//.../*}
        # shellcheck disable=SC2053  # the pattern is a glob on purpose
        [[ ${actual[$i]} == $pattern ]] || return 1
    done
}

# Waits (up to 15 s) until the stack has nothing in flight: no event waiting for the classifier, no digest waiting
# for digest-sender (nor a manual digest run), no report being built. A person reads one answer before typing the next command; this is
# that pause, made exact, so the documented answers do not depend on timing.
wait_until_idle() {
    local busy
    for _ in $(seq 1 150); do
        busy=$("$psql_bin" -X -q -At -d "$DATABASE_URL" -c "SELECT
            (SELECT count(*) FROM events_raw WHERE status = 'pending')
          + (SELECT count(*) FROM digests WHERE status IN ('pending', 'sending'))
          + (SELECT count(*) FROM digest_requests WHERE status = 'pending')
          + (SELECT count(*) FROM reports WHERE status IN ('pending', 'building'))" 2>/dev/null || echo 1)
        [[ $busy == 0 ]] && return 0
        sleep 0.1
    done
    say "the stack is still busy after 15 s (events, digests or reports in flight); going on"
}

run_block() {
    local where=$1 body=$2 output status=0 expected errors
    # The quick start: `make run` is the running stack itself, `make test` is CI's own first step.
    if grep -Eq '^make (run|test)([[:space:]]|$)' <<<"$body"; then
        [[ -z $RUN_PID ]] && start_stack
        body=$(grep -Ev '^make (run|test)([[:space:]]|$)' <<<"$body" || true)
        [[ -z ${body//[[:space:]]/} ]] && { say "ok   $where (quick start: make run is up)"; return 0; }
    fi
    [[ -z $RUN_PID ]] && start_stack
    wait_until_idle
    # curl fails the block on an HTTP error answer (a documented call that gets 401 or 404 is a wrong document).
    local prelude='curl() { command curl --fail-with-body "$@"; }'
    errors=$(mktemp)
    output=$("${FRESH[@]}" bash -euo pipefail -c "$prelude"$'\n'"$body" 2>"$errors" </dev/null) || status=$?
    expected=$(expected_of "$body")
    if ((status != 0)); then
        { printf '%s\n' "$output"; cat "$errors"; } | tail -n 40 >&2
        say "FAIL $where (exit status $status):"
    elif [[ -n $expected ]] && ! answers_match "$output" "$expected"; then
        say "FAIL $where: it printed"
        printf '    %s\n' "${output//$'\n'/$'\n'    }" >&2
        say "where the document says (\"...\" standing for any text)"
        printf '    %s\n' "${expected//$'\n'/$'\n'    }" >&2
        status=1
    fi
    rm -f "$errors"
    if ((status != 0)); then
        say "the block:"
        printf '    %s\n' "${body//$'\n'/$'\n'    }" >&2
        return 1
    fi
    say "ok   $where${expected:+ (answers as documented)}"
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
