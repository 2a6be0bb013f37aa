#!/usr/bin/env bash
# scripts/run.sh: the whole stack on this machine, in the foreground (what `make run` runs).
#
#   1. scripts/db.sh (reuse or start PostgreSQL): .data/env for scripts, .env (DATABASE_URL) for the binaries.
#   2. cargo build --release --bins, then target/release/pathfinder migrate.
#   3. The admin token: $ADMIN_TOKEN if set, else the one in .data/admin-token, generated (random, 48 hex digits,
#      mode 600) on the first run and reused after.
#   4. Starts every service binary that was built among ingest-api, classifier, digest-sender and report-builder,
#      with LOG_FORMAT=pretty and ADMIN_TOKEN, each output line prefixed with the service name ("[ingest-api] ...").
#   5. Once ingest-api answers /ready: prints the webhook URL with a sample call, the dashboard URL, the admin token
#      and how to use the CLI from another terminal, then waits.
# Ctrl-C (or SIGTERM) stops every service and says so in one line; PostgreSQL keeps running (make db-stop). make
# then adds its own "make: *** [Makefile:NN: run] Interrupt": make reporting the Ctrl-C, not a failure.
# A service that exits is reported; the others keep running. Settings come from the environment as usual
# (BIND_ADDR, RUST_LOG, ...; see config/default.toml).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TAG=run
say() { pf_say "$TAG" "$@"; }
die() { pf_die "$TAG" "$@"; }

SERVICES=(ingest-api classifier digest-sender report-builder)

cd "$PF_REPO"

scripts/db.sh
# shellcheck source=/dev/null
source "$PF_DATA/env"
export DATABASE_URL
export LOG_FORMAT=pretty

say "cargo build --release --bins"
cargo build --release --bins
[[ -x target/release/pathfinder ]] || die "target/release/pathfinder was not built (crate pathfinder-cli)"
say "pathfinder migrate"
target/release/pathfinder migrate

# The admin token of this local stack: the caller's ADMIN_TOKEN, else .data/admin-token (made once, then reused).
TOKEN_FILE="$PF_DATA/admin-token"
if [[ -n ${ADMIN_TOKEN:-} ]]; then
    token_origin="from ADMIN_TOKEN"
    # shellcheck disable=SC2016  # printed for the user to type
    token_ref='$ADMIN_TOKEN'
else
    if [[ ! -s $TOKEN_FILE ]]; then
        (umask 077 && od -An -tx1 -N24 /dev/urandom | tr -d ' \n' >"$TOKEN_FILE")
        say "generated an admin token for this local stack in .data/admin-token"
    fi
    ADMIN_TOKEN=$(<"$TOKEN_FILE")
    token_origin="kept in .data/admin-token, reused next time"
    # shellcheck disable=SC2016
    token_ref='$(cat .data/admin-token)'
fi
export ADMIN_TOKEN

PIDS=()  # service process ids
NAMES=() # service names, same order
ALIVE=() # indexes into PIDS/NAMES of the services still running

# shellcheck disable=SC2317  # called from traps
# SIGTERM to every service; SIGKILL to those still running 15 s later.
stop_all() {
    local pid _
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    for _ in $(seq 1 30); do
        for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
            kill -0 "$pid" 2>/dev/null && break
            pid=""
        done
        [[ -z ${pid:-} ]] && break
        sleep 0.5
    done
    for pid in "${PIDS[@]+"${PIDS[@]}"}"; do
        if kill -0 "$pid" 2>/dev/null; then
            say "killing pid $pid: still running 15 s after SIGTERM"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    wait 2>/dev/null || true
}

# shellcheck disable=SC2317  # called from traps
on_signal() {
    local signal=$1 i running=()
    trap - INT TERM
    for i in "${ALIVE[@]+"${ALIVE[@]}"}"; do running+=("${NAMES[$i]}"); done
    stop_all
    trap - EXIT
    local list
    list=$(IFS=, && echo "${running[*]:-}")
    list=${list//,/, }
    say "$([[ $signal == INT ]] && echo Ctrl-C || echo "$signal"): stopped ${list:-nothing (every service had" \
        "exited)}; PostgreSQL keeps running (make db-stop stops it)"
    # Die of the signal itself, as the caller expects (make then prints its own "Interrupt" line).
    kill "-$signal" "$$"
}
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap stop_all EXIT

for svc in "${SERVICES[@]}"; do
    bin="target/release/$svc"
    if [[ ! -x $bin ]]; then
        say "skipping $svc: $bin was not built"
        continue
    fi
    # The prefixing sed ignores Ctrl-C so it still prints the service's shutdown lines; it ends with the service.
    "$bin" </dev/null > >(trap '' INT TERM && exec sed -u "s/^/[$svc] /") 2>&1 &
    PIDS+=("$!")
    NAMES+=("$svc")
    ALIVE+=("$((${#PIDS[@]} - 1))")
done
((${#PIDS[@]} > 0)) || die "no service binary was built in target/release (${SERVICES[*]})"
say "started ${NAMES[*]}"

# Where ingest-api answers: BIND_ADDR's port, on 127.0.0.1 when it listens on every address.
bind=${BIND_ADDR:-0.0.0.0:8080}
host=${bind%:*}
port=${bind##*:}
case $host in '' | 0.0.0.0 | '[::]' | '::') host=127.0.0.1 ;; esac
base_url="http://$host:$port"

# Waits (up to 60 s) until ingest-api answers /ready; returns 1 if it does not, or exits first.
wait_until_ready() {
    command -v curl >/dev/null 2>&1 || return 0
    for _ in $(seq 1 120); do
        kill -0 "${PIDS[0]}" 2>/dev/null || return 1
        [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base_url/ready" || true) == 200 ]] && return 0
        sleep 0.5
    done
    return 1
}

if [[ ${NAMES[0]} == ingest-api ]] && wait_until_ready; then
    say "ready. From another terminal in this checkout:"
    say "  webhook:     curl -s -XPOST $base_url/webhooks/community -H 'content-type: application/json' -d" \
        "'{\"userId\":\"42\",\"username\":\"ada\",\"profileField\":\"Job Title\",\"value\":\"Chief Executive Officer\",\"oldValue\":null}'"
    say "  dashboard:   $base_url/admin (sign in with the admin token)"
    say "  admin token: $ADMIN_TOKEN ($token_origin)"
    say "  admin API:   curl -s -H \"Authorization: Bearer $token_ref\" $base_url/admin/stats"
    say "  CLI:         target/release/pathfinder --help (it finds this database through .env; no sourcing needed)"
    say "  health:      $base_url/health, $base_url/ready, $base_url/metrics"
elif [[ ${NAMES[0]} == ingest-api ]]; then
    say "ingest-api did not answer $base_url/ready within 60 s: see its lines above"
fi
say "press Ctrl-C to stop every service"

# Report services that exit; return when none is left.
while ((${#ALIVE[@]} > 0)); do
    wait -n 2>/dev/null || true
    still=()
    for i in "${ALIVE[@]}"; do
        if kill -0 "${PIDS[$i]}" 2>/dev/null; then
            still+=("$i")
        else
            rc=0
            wait "${PIDS[$i]}" 2>/dev/null || rc=$?
            say "${NAMES[$i]} exited (status $rc)"
        fi
    done
    ALIVE=("${still[@]+"${still[@]}"}")
done
say "every service has exited"
exit 1
