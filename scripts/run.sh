#!/usr/bin/env bash
# scripts/run.sh: the whole stack on this machine, in the foreground (what `make run` runs).
#
#   1. scripts/db.sh (reuse or start PostgreSQL) and .data/env (DATABASE_URL).
#   2. cargo build --release --bins, then target/release/pathfinder migrate.
#   3. Starts every service binary that was built among ingest-api, classifier, digest-sender and report-builder,
#      with LOG_FORMAT=pretty, each output line prefixed with the service name ("[ingest-api] ...").
#   4. Prints the URL and a sample webhook call, then waits. Ctrl-C (or SIGTERM) stops every service.
# A service that exits is reported; the others keep running. Settings come from the environment as usual
# (BIND_ADDR, ADMIN_TOKEN, ...; see config/default.toml).
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
    trap - INT TERM
    local i running=()
    for i in "${ALIVE[@]+"${ALIVE[@]}"}"; do running+=("${NAMES[$i]}"); done
    say "stopping ${running[*]:-nothing (every service had exited)}"
    stop_all
    exit 130
}
trap on_signal INT TERM
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

if [[ ${NAMES[0]} == ingest-api ]]; then
    # Wait (up to 30 s) until it is ready, or gone.
    if command -v curl >/dev/null 2>&1; then
        for _ in $(seq 1 60); do
            kill -0 "${PIDS[0]}" 2>/dev/null || break
            [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$base_url/ready" || true) == 200 ]] && break
            sleep 0.5
        done
    fi
    say "ingest-api: $base_url  (health: $base_url/health, ready: $base_url/ready, metrics: $base_url/metrics)"
    say "try: curl -s -XPOST localhost:$port/webhooks/community -H 'content-type: application/json' -d" \
        "'{\"userId\":\"42\",\"username\":\"ada\",\"profileField\":\"Job Title\",\"value\":\"Chief Executive Officer\",\"oldValue\":null}'"
fi
say "press Ctrl-C to stop"

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
