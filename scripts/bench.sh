#!/usr/bin/env bash
# scripts/bench.sh: benchmarks (what `make bench` runs). Results go to bench-results/.
#
#   scripts/bench.sh             every section
#   scripts/bench.sh ingest      only the named sections (for now: ingest)
#
# Section "ingest" (bench_ingest): webhook ingest throughput against a plain-PostgreSQL baseline.
#   - a fresh database pathfinder_bench (dropped and recreated each run) on the server of scripts/db.sh,
#     migrated with `pathfinder migrate`;
#   - target/release/ingest-api on 127.0.0.1:18080 (LOG_LEVEL=warn, no webhook signatures), loaded by wrk with
#     scripts/bench/webhook.lua: distinct job-title webhooks, 32 connections, BENCH_SECONDS (default 20) seconds;
#   - pgbench on the same server with scripts/bench/pgbench-insert.sql: the same row inserted one per transaction;
#   - summary in bench-results/ingest.txt (raw outputs beside it): accepted/s, p50/p99, pgbench tps, their ratio
#     (target >= 1.0), the p99 target (<= 25 ms), and a check that every 2xx answer left a row in events_raw.
#
# Knobs: BENCH_SECONDS (20), BENCH_CONNECTIONS (32), BENCH_THREADS (2), BENCH_SKIP_BUILD=1 (use the binaries in
# target/release as they are). wrk and pgbench are installed with apt-get when missing and we are root.
# To add a section: write bench_<name>() and add <name> to ALL_SECTIONS.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TAG=bench
say() { pf_say "$TAG" "$@"; }
die() { pf_die "$TAG" "$@"; }

ALL_SECTIONS=(ingest)
SECONDS_PER_RUN="${BENCH_SECONDS:-20}"
CONNECTIONS="${BENCH_CONNECTIONS:-32}"
THREADS="${BENCH_THREADS:-2}"
BENCH_DB=pathfinder_bench
INGEST_ADDR=127.0.0.1:18080
P99_TARGET_MS=25
RESULTS="$PF_REPO/bench-results"

cd "$PF_REPO"

# ---------------------------------------------------------------------------------------------------------------
# Shared preparation.

BG_PIDS=()
cleanup() {
    local pid
    for pid in "${BG_PIDS[@]+"${BG_PIDS[@]}"}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql_at() {
    local url=$1
    shift
    "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$url" "$@"
}

need_tool() {
    local var=$1 name=$2 package=$3 path
    if ! path=$(pf_find_pg_tool "$name"); then
        pf_apt_install "$TAG" "$package" || die "$name not found: install the Debian package $package"
        path=$(pf_find_pg_tool "$name") || die "$name still not found after installing $package"
    fi
    printf -v "$var" '%s' "$path"
}

# Server, fresh bench database, binaries, schema.
prepare() {
    mkdir -p "$RESULTS"
    scripts/db.sh
    # shellcheck source=/dev/null
    source "$PF_DATA/env"
    need_tool PSQL psql postgresql-client
    BENCH_URL=$(pf_url_with_db "$PF_ADMIN_DATABASE_URL" "$BENCH_DB")

    say "recreating database $BENCH_DB"
    psql_at "$PF_ADMIN_DATABASE_URL" -v db="$BENCH_DB" >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
CREATE DATABASE :"db";
SQL

    if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
        say "cargo build --release -p ingest-api -p pathfinder-cli"
        cargo build --release -p ingest-api -p pathfinder-cli
    fi
    [[ -x target/release/pathfinder ]] || die "target/release/pathfinder is missing (crate pathfinder-cli)"
    say "pathfinder migrate ($BENCH_DB)"
    DATABASE_URL=$BENCH_URL target/release/pathfinder migrate
}

# Flush dirty pages so one phase does not pay for the previous one's writes (needs superuser; skipped if not).
checkpoint() {
    psql_at "$BENCH_URL" -c 'CHECKPOINT' >/dev/null 2>&1 || true
}

port_in_use() {
    (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null
}

# wrk prints times like 812.00us, 1.23ms, 2.01s, 1.50m: the value in milliseconds.
to_ms() {
    awk -v t="$1" 'BEGIN {
        if (match(t, /^[0-9.]+/) == 0) { print "nan"; exit }
        v = substr(t, 1, RLENGTH); u = substr(t, RLENGTH + 1)
        f = (u == "us") ? 0.001 : (u == "ms") ? 1 : (u == "s") ? 1000 : (u == "m") ? 60000 : (u == "h") ? 3600000 : -1
        if (f < 0) { print "nan"; exit }
        printf "%.2f", v * f
    }'
}

# ---------------------------------------------------------------------------------------------------------------
# Section: ingest.

start_ingest_api() {
    local log="$RESULTS/ingest-api.log" pid code
    [[ -x target/release/ingest-api ]] || die "target/release/ingest-api is missing (crate ingest-api)"
    port_in_use "$INGEST_ADDR" && die "$INGEST_ADDR is already in use; stop whatever listens there"
    # Unsigned webhooks: WEBHOOK_SECRETS and PATHFINDER_CONFIG (which could set secrets) are left out.
    env -u WEBHOOK_SECRETS -u PATHFINDER_CONFIG DATABASE_URL="$BENCH_URL" BIND_ADDR="$INGEST_ADDR" LOG_LEVEL=warn \
        target/release/ingest-api </dev/null >"$log" 2>&1 &
    pid=$!
    BG_PIDS+=("$pid")
    INGEST_PID=$pid
    for _ in $(seq 1 60); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$INGEST_ADDR/ready" || true)
        [[ $code == 200 ]] && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 20 "$log" >&2 || true
            die "ingest-api exited before it was ready (log above, full log in $log)"
        fi
        sleep 0.5
    done
    tail -n 20 "$log" >&2 || true
    die "ingest-api did not answer 200 on /ready within 30 s (last status: ${code:-none}; log in $log)"
}

stop_ingest_api() {
    kill -TERM "$INGEST_PID" 2>/dev/null || true
    wait "$INGEST_PID" 2>/dev/null || true
}

bench_ingest() {
    local wrk_bin pgbench_bin wrk_out="$RESULTS/ingest-wrk.txt" pg_out="$RESULTS/ingest-pgbench.txt"
    command -v curl >/dev/null 2>&1 || die "curl not found: install the Debian package curl"
    if ! wrk_bin=$(command -v wrk); then
        pf_apt_install "$TAG" wrk || die "wrk not found: install the Debian package wrk"
        wrk_bin=$(command -v wrk) || die "wrk still not found after installing it"
    fi
    need_tool pgbench_bin pgbench postgresql-contrib

    # --- ingest-api under wrk
    start_ingest_api
    checkpoint
    say "wrk: $CONNECTIONS connections, $THREADS threads, ${SECONDS_PER_RUN}s against http://$INGEST_ADDR/webhooks/community"
    "$wrk_bin" -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s scripts/bench/webhook.lua \
        "http://$INGEST_ADDR/webhooks/community" | tee "$wrk_out"
    stop_ingest_api

    local result ok2xx non2xx duration_us rps p50 p99 accepted rows
    result=$(grep '^PF_RESULT ' "$wrk_out") || die "wrk printed no PF_RESULT line (see $wrk_out)"
    ok2xx=$(sed -E 's/.* ok2xx=([0-9]+).*/\1/' <<<"$result")
    non2xx=$(sed -E 's/.* non2xx=([0-9]+).*/\1/' <<<"$result")
    duration_us=$(sed -E 's/.* duration_us=([0-9]+).*/\1/' <<<"$result")
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$wrk_out")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$wrk_out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$wrk_out")")
    # Accepted per second counts 2xx answers only (wrk's Requests/sec also counts errors; shown below it).
    accepted=$(awk -v n="$ok2xx" -v us="$duration_us" 'BEGIN { printf "%.1f", (us > 0) ? n / (us / 1e6) : 0 }')
    rows=$(psql_at "$BENCH_URL" -c 'SELECT count(*) FROM events_raw')

    # --- the PostgreSQL baseline: the same row, one INSERT per transaction
    checkpoint
    say "pgbench: $CONNECTIONS clients, $THREADS threads, ${SECONDS_PER_RUN}s, scripts/bench/pgbench-insert.sql"
    "$pgbench_bin" -n -c "$CONNECTIONS" -j "$THREADS" -T "$SECONDS_PER_RUN" -f scripts/bench/pgbench-insert.sql \
        "$BENCH_URL" 2>&1 | tee "$pg_out"
    local tps pg_latency
    tps=$(sed -nE 's/^tps = ([0-9.]+) \((without initial connection time|excluding connections establishing)\).*/\1/p' \
        "$pg_out" | head -n1)
    pg_latency=$(sed -nE 's/^latency average = ([0-9.]+) ms.*/\1/p' "$pg_out" | head -n1)
    [[ -n $tps ]] || die "pgbench printed no tps (see $pg_out)"

    # --- summary
    local ratio p99_verdict rows_verdict status=0
    ratio=$(awk -v a="$accepted" -v b="$tps" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')
    p99_verdict=$(awk -v p="$p99" -v t="$P99_TARGET_MS" 'BEGIN { print (p != "nan" && p + 0 <= t) ? "met" : "NOT met" }')
    if ((rows >= ok2xx)); then
        rows_verdict="ok: every 2xx answer left a row"
    else
        rows_verdict="LOST $((ok2xx - rows)) accepted events"
        status=1
    fi
    {
        echo "== ingest benchmark ($CONNECTIONS connections, $SECONDS_PER_RUN s, distinct payloads) =="
        echo "ingest-api accepted/s : $accepted  (non-2xx: $non2xx)"
        echo "ingest-api latency    : p50 $p50 ms, p99 $p99 ms"
        echo "pgbench insert tps    : $(awk -v t="$tps" 'BEGIN { printf "%.1f", t }')  (one row per transaction, $CONNECTIONS clients)"
        echo "ratio ingest/pgbench  : $ratio  (target >= 1.0)"
        echo "p99 target <= $P99_TARGET_MS ms   : $p99_verdict"
        echo "rows stored           : $rows in events_raw for $ok2xx 2xx answers ($rows_verdict)"
        echo "wrk requests/s (all)  : ${rps:-?}"
        echo "pgbench latency avg   : ${pg_latency:-?} ms"
        echo "measured              : $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc 2>/dev/null || echo '?') CPUs, PostgreSQL $(psql_at "$BENCH_URL" -c 'SHOW server_version'), fsync $(psql_at "$BENCH_URL" -c 'SHOW fsync')"
    } >"$RESULTS/ingest.txt"
    echo
    cat "$RESULTS/ingest.txt"
    say "written to bench-results/ingest.txt (raw output: bench-results/ingest-wrk.txt, ingest-pgbench.txt, ingest-api.log)"
    return "$status"
}

# ---------------------------------------------------------------------------------------------------------------

main() {
    local sections=("$@") section status=0
    ((${#sections[@]} > 0)) || sections=("${ALL_SECTIONS[@]}")
    for section in "${sections[@]}"; do
        declare -F "bench_$section" >/dev/null || die "unknown section '$section' (known: ${ALL_SECTIONS[*]})"
    done
    prepare
    for section in "${sections[@]}"; do
        "bench_$section" || status=1
    done
    return "$status"
}

main "$@"
