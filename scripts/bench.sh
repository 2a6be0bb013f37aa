#!/usr/bin/env bash
# scripts/bench.sh: benchmarks (what `make bench` runs). Results go to bench-results/.
#
#   scripts/bench.sh             every section
#   scripts/bench.sh ingest      only the named sections (ingest, classify, drain, latency)
#
# Section "ingest" (bench_ingest): webhook ingest throughput against a plain-PostgreSQL baseline, at two log levels.
#   - target/release/ingest-api on 127.0.0.1:18080 (no webhook signatures) run twice, each time on a fresh database
#     pathfinder_bench (dropped, recreated, `pathfinder migrate`): first at the default log level (neither RUST_LOG
#     nor LOG_LEVEL set: info, JSON, one line per accepted webhook, as users run it), then at LOG_LEVEL=warn; each
#     loaded by wrk with scripts/bench/webhook.lua: distinct job-title webhooks, 32 connections, BENCH_SECONDS
#     (default 20) seconds; the service's log goes to a file (bench-results/ingest-api-<level>.log);
#   - pgbench on the same server with scripts/bench/pgbench-insert.sql: the same row inserted one per transaction;
#   - summary in bench-results/ingest.txt (raw outputs beside it), the two levels side by side: accepted/s,
#     p50/p99, the ratio to pgbench tps (target >= 1.0), the p99 target (<= 25 ms), and a check that every 2xx
#     answer left a row in events_raw.
#
# Section "classify" (bench_classify): titles classified per second on one core (taskset -c 0), over the labelled
#   titles (../shared/data), else tests/classification/hard-titles.csv; target >= 2,000,000.
# Section "drain" (bench_drain): a backlog of BENCH_BACKLOG (200,000) events stored in events_raw, then one
#   classifier process (default settings) started; events/s until none is pending; target >= 20,000.
# Section "latency" (bench_latency): ingest-api and classifier running, webhook-load sending BENCH_RATE (500)
#   senior webhooks/s for BENCH_SECONDS; webhook-to-detection latency = detections.detected_at (clock time of the
#   insert) - events_raw.received_at, both from PostgreSQL's clock; targets p50 <= 10 ms, p99 <= 50 ms.
# Section "purge" (bench_purge): BENCH_PURGE_ROWS (1,000,000) expired events stored, then `pathfinder jobs run
#   purge-events` while wrk loads ingest-api as in "ingest" (wrk runs longer than the purge); ingest p99 target
#   <= 50 ms, and every expired event gone, every new one kept.
# Section "import" (bench_import): a generated roster CSV of BENCH_IMPORT_ROWS (1,000,000) members, one in five a
#   senior, every title different, loaded by `pathfinder import` into a fresh database (members/s, peak RSS from /usr/bin/time -v), and the
#   same file loaded by PostgreSQL's own COPY into a bare table in the same run; ratio import/COPY (target >= 0.25);
#   a check that user_state holds exactly the seniors.
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

ALL_SECTIONS=(ingest classify drain latency purge import)
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

    if [[ ${BENCH_SKIP_BUILD:-0} != 1 ]]; then
        say "cargo build --release (services, CLI, load tool, classifier throughput example)"
        cargo build --release -p ingest-api -p classifier -p pathfinder-cli -p pathfinder-bench
        cargo build --release -p pathfinder-classify --example throughput
    fi
    [[ -x target/release/pathfinder ]] || die "target/release/pathfinder is missing (crate pathfinder-cli)"
    fresh_bench_db
}

# Drops, recreates and migrates the bench database.
fresh_bench_db() {
    say "recreating database $BENCH_DB"
    psql_at "$PF_ADMIN_DATABASE_URL" -v db="$BENCH_DB" >/dev/null <<'SQL'
SET client_min_messages = warning;
DROP DATABASE IF EXISTS :"db" WITH (FORCE);
CREATE DATABASE :"db";
SQL
    say "pathfinder migrate ($BENCH_DB)"
    DATABASE_URL=$BENCH_URL target/release/pathfinder migrate >/dev/null
}

# Starts target/release/classifier on the bench database (default settings); sets CLASSIFIER_PID.
start_classifier() {
    [[ -x target/release/classifier ]] || die "target/release/classifier is missing (crate classifier)"
    env -u PATHFINDER_CONFIG DATABASE_URL="$BENCH_URL" RULES_PATH="$PF_REPO/config/classification.toml" LOG_LEVEL=warn \
        target/release/classifier </dev/null >>"$RESULTS/classifier.log" 2>&1 &
    CLASSIFIER_PID=$!
    BG_PIDS+=("$CLASSIFIER_PID")
}

stop_classifier() {
    kill -TERM "$CLASSIFIER_PID" 2>/dev/null || true
    wait "$CLASSIFIER_PID" 2>/dev/null || true
}

pending_events() {
    psql_at "$BENCH_URL" -c "SELECT count(*) FROM events_raw WHERE status = 'pending'"
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

# start_ingest_api [LEVEL]: ingest-api on the bench database, at LOG_LEVEL=LEVEL, or at the default level (neither
# RUST_LOG nor LOG_LEVEL set) without one; its log in bench-results/ingest-api[-LEVEL].log.
start_ingest_api() {
    local level=${1:-} log="$RESULTS/ingest-api${1:+-$1}.log" pid code
    [[ -x target/release/ingest-api ]] || die "target/release/ingest-api is missing (crate ingest-api)"
    port_in_use "$INGEST_ADDR" && die "$INGEST_ADDR is already in use; stop whatever listens there"
    # Unsigned webhooks: WEBHOOK_SECRETS and PATHFINDER_CONFIG (which could set secrets) are left out.
    local settings=(DATABASE_URL="$BENCH_URL" BIND_ADDR="$INGEST_ADDR")
    [[ -n $level ]] && settings+=(LOG_LEVEL="$level")
    env -u WEBHOOK_SECRETS -u PATHFINDER_CONFIG -u RUST_LOG -u LOG_LEVEL -u LOG_FORMAT "${settings[@]}" \
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

# wrk_ingest NAME [LEVEL]: ingest-api at that log level (default level without one) on a fresh bench database under
# wrk; sets ACCEPTED[NAME], P50[NAME], P99[NAME], NON2XX[NAME], RPS[NAME], OK2XX[NAME] and ROWS[NAME].
wrk_ingest() {
    local name=$1 level=${2:-} wrk_out="$RESULTS/ingest-wrk-$1.txt"
    fresh_bench_db
    start_ingest_api "$level"
    checkpoint
    say "wrk ($name log level): $CONNECTIONS connections, $THREADS threads, ${SECONDS_PER_RUN}s against" \
        "http://$INGEST_ADDR/webhooks/community"
    "$WRK_BIN" -t"$THREADS" -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --latency -s scripts/bench/webhook.lua \
        "http://$INGEST_ADDR/webhooks/community" | tee "$wrk_out"
    stop_ingest_api

    local result duration_us
    result=$(grep '^PF_RESULT ' "$wrk_out") || die "wrk printed no PF_RESULT line (see $wrk_out)"
    OK2XX[$name]=$(sed -E 's/.* ok2xx=([0-9]+).*/\1/' <<<"$result")
    NON2XX[$name]=$(sed -E 's/.* non2xx=([0-9]+).*/\1/' <<<"$result")
    duration_us=$(sed -E 's/.* duration_us=([0-9]+).*/\1/' <<<"$result")
    RPS[$name]=$(awk '/^Requests\/sec:/ {print $2}' "$wrk_out")
    P50[$name]=$(to_ms "$(awk '$1 == "50%" {print $2}' "$wrk_out")")
    P99[$name]=$(to_ms "$(awk '$1 == "99%" {print $2}' "$wrk_out")")
    # Accepted per second counts 2xx answers only (wrk's Requests/sec also counts errors; shown below it).
    ACCEPTED[$name]=$(awk -v n="${OK2XX[$name]}" -v us="$duration_us" \
        'BEGIN { printf "%.1f", (us > 0) ? n / (us / 1e6) : 0 }')
    ROWS[$name]=$(psql_at "$BENCH_URL" -c 'SELECT count(*) FROM events_raw')
}

bench_ingest() {
    local pg_out="$RESULTS/ingest-pgbench.txt" pgbench_bin
    command -v curl >/dev/null 2>&1 || die "curl not found: install the Debian package curl"
    if ! WRK_BIN=$(command -v wrk); then
        pf_apt_install "$TAG" wrk || die "wrk not found: install the Debian package wrk"
        WRK_BIN=$(command -v wrk) || die "wrk still not found after installing it"
    fi
    need_tool pgbench_bin pgbench postgresql-contrib

    # --- ingest-api under wrk: the default log level (as users run it), then warn
    declare -gA ACCEPTED=() P50=() P99=() NON2XX=() RPS=() OK2XX=() ROWS=()
    local levels=(default warn) name
    wrk_ingest default
    wrk_ingest warn warn

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

    # --- summary: one column per log level
    local status=0 ratio=() p99_verdict=() rows_verdict=()
    for name in "${levels[@]}"; do
        ratio+=("$(awk -v a="${ACCEPTED[$name]}" -v b="$tps" 'BEGIN { printf "%.2f", (b > 0) ? a / b : 0 }')")
        p99_verdict+=("$(awk -v p="${P99[$name]}" -v t="$P99_TARGET_MS" \
            'BEGIN { print (p != "nan" && p + 0 <= t) ? "met" : "NOT met" }')")
        if ((ROWS[$name] >= OK2XX[$name])); then
            rows_verdict+=("ok (${ROWS[$name]})")
        else
            rows_verdict+=("LOST $((OK2XX[$name] - ROWS[$name]))")
            status=1
        fi
    done
    row() { printf '%-26s %-27s %s\n' "$1" "$2" "$3"; }
    {
        echo "== ingest benchmark ($CONNECTIONS connections, $SECONDS_PER_RUN s per run, distinct payloads) =="
        row "" "default log level (info)" "LOG_LEVEL=warn"
        row "ingest-api accepted/s" "${ACCEPTED[default]}" "${ACCEPTED[warn]}"
        row "latency p50 / p99 (ms)" "${P50[default]} / ${P99[default]}" "${P50[warn]} / ${P99[warn]}"
        row "non-2xx answers" "${NON2XX[default]}" "${NON2XX[warn]}"
        row "wrk requests/s (all)" "${RPS[default]:-?}" "${RPS[warn]:-?}"
        row "ratio to pgbench (>= 1.0)" "${ratio[0]}" "${ratio[1]}"
        row "p99 target <= $P99_TARGET_MS ms" "${p99_verdict[0]}" "${p99_verdict[1]}"
        row "every 2xx left a row" "${rows_verdict[0]}" "${rows_verdict[1]}"
        echo "pgbench insert tps        : $(awk -v t="$tps" 'BEGIN { printf "%.1f", t }')  (one row per transaction, $CONNECTIONS clients; latency avg ${pg_latency:-?} ms)"
        echo "measured                  : $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc 2>/dev/null || echo '?') CPUs, PostgreSQL $(psql_at "$BENCH_URL" -c 'SHOW server_version'), fsync $(psql_at "$BENCH_URL" -c 'SHOW fsync')"
    } >"$RESULTS/ingest.txt"
    echo
    cat "$RESULTS/ingest.txt"
    say "written to bench-results/ingest.txt (raw output: bench-results/ingest-wrk-{default,warn}.txt," \
        "ingest-pgbench.txt, ingest-api{,-warn}.log)"
    return "$status"
}

# ---------------------------------------------------------------------------------------------------------------
# Section: classify.

bench_classify() {
    local line pinned=()
    command -v taskset >/dev/null 2>&1 && pinned=(taskset -c 0)
    say "classifier engine on one core: ${pinned[*]:-(taskset not found: not pinned)} throughput example, 5 s"
    line=$("${pinned[@]}" target/release/examples/throughput --rules config/classification.toml --seconds 5)
    local rate verdict
    rate=$(head -1 <<<"$line" | sed -E 's/^titles classified\/s \(1 core\): ([0-9]+).*/\1/')
    verdict=$(awk -v r="$rate" 'BEGIN { print (r >= 2000000) ? "met" : "NOT met" }')
    {
        echo "== classification engine (1 core) =="
        echo "$line"
        echo "target >= 2,000,000/s  : $verdict"
    } | tee "$RESULTS/classify.txt"
}

# ---------------------------------------------------------------------------------------------------------------
# Section: drain.

bench_drain() {
    local backlog="${BENCH_BACKLOG:-200000}" started ended elapsed rate verdict processed detections
    fresh_bench_db
    say "storing a backlog of $backlog events (100,000 members, 10 titles, as ingest-api stores them)"
    psql_at "$BENCH_URL" -v n="$backlog" >/dev/null <<'SQL'
INSERT INTO events_raw (source, dedupe_key, user_id, username, profile_field, value)
SELECT 'community', 'backlog:' || g, 'member-' || (g % 100000), 'member', 'Job Title',
       (ARRAY['Software Engineer', 'VP of Sales', 'Chief Executive Officer', 'Product Manager', 'SVP Marketing',
              'Director of Finance', 'Co-Founder & CTO', 'Account Executive', 'Former CEO, now Consultant',
              'Head of People'])[1 + g % 10]
FROM generate_series(1, :n) g;
SQL
    checkpoint
    say "starting one classifier process; waiting for the backlog to drain"
    started=$(date +%s.%N)
    start_classifier
    while (($(pending_events) > 0)); do
        kill -0 "$CLASSIFIER_PID" 2>/dev/null || die "classifier exited (see $RESULTS/classifier.log)"
        sleep 0.1
    done
    ended=$(date +%s.%N)
    stop_classifier
    elapsed=$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.2f", b - a }')
    rate=$(awk -v n="$backlog" -v s="$elapsed" 'BEGIN { printf "%.0f", n / s }')
    verdict=$(awk -v r="$rate" 'BEGIN { print (r >= 20000) ? "met" : "NOT met" }')
    processed=$(psql_at "$BENCH_URL" -c "SELECT count(*) FROM events_raw WHERE status = 'processed'")
    detections=$(psql_at "$BENCH_URL" -c "SELECT count(*) FROM detections")
    {
        echo "== classifier drain ($backlog stored events, one process, default settings) =="
        echo "drained in            : $elapsed s (start-up included)"
        echo "events/s              : $rate  (target >= 20,000: $verdict)"
        echo "processed / detections: $processed / $detections (expected $backlog / 40000 for the default backlog)"
    } | tee "$RESULTS/drain.txt"
}

# ---------------------------------------------------------------------------------------------------------------
# Section: latency.

bench_latency() {
    local rate="${BENCH_RATE:-500}" load_out="$RESULTS/latency-load.txt" stats p50 p99 max count verdict
    fresh_bench_db
    start_ingest_api warn
    start_classifier
    sleep 1
    say "webhook-load: $rate senior webhooks/s for ${SECONDS_PER_RUN}s"
    target/release/webhook-load --url "http://$INGEST_ADDR/webhooks/community" --rate "$rate" \
        --seconds "$SECONDS_PER_RUN" | tee "$load_out"
    local deadline=$((SECONDS + 30))
    while (($(pending_events) > 0)) && ((SECONDS < deadline)); do sleep 0.1; done
    stop_classifier
    stop_ingest_api
    stats=$(psql_at "$BENCH_URL" -F ' ' -c "
        SELECT count(*),
               round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ms))::numeric, 2),
               round((percentile_cont(0.99) WITHIN GROUP (ORDER BY ms))::numeric, 2),
               round(max(ms)::numeric, 2)
        FROM (SELECT extract(epoch FROM d.detected_at - e.received_at) * 1000 AS ms
              FROM detections d JOIN events_raw e ON e.id = d.event_id) s")
    read -r count p50 p99 max <<<"$stats"
    verdict=$(awk -v a="$p50" -v b="$p99" 'BEGIN { print (a <= 10 && b <= 50) ? "met" : "NOT met" }')
    {
        echo "== webhook-to-detection latency ($rate webhooks/s, ${SECONDS_PER_RUN}s, ingest-api + classifier) =="
        cat "$load_out"
        echo "detections            : $count"
        echo "latency               : p50 $p50 ms, p99 $p99 ms, max $max ms (received_at -> detected_at)"
        echo "targets p50 <= 10 ms, p99 <= 50 ms: $verdict"
    } | tee "$RESULTS/latency.txt"
}

# ---------------------------------------------------------------------------------------------------------------
# Section: purge.

bench_purge() {
    local rows="${BENCH_PURGE_ROWS:-1000000}" wrk_out="$RESULTS/purge-wrk.txt" purge_out="$RESULTS/purge-job.txt"
    # wrk's window hugs the purge (about 10 s for a million rows here), so its p99 is the purge's.
    local wrk_seconds="${BENCH_PURGE_WRK_SECONDS:-14}" purge_started purge_ended purge_seconds p50 p99 result ok2xx left verdict
    fresh_bench_db
    say "storing $rows expired events (20 days old, processed)"
    psql_at "$BENCH_URL" -v n="$rows" >/dev/null <<'SQL'
INSERT INTO events_raw (source, dedupe_key, user_id, username, profile_field, value, status, received_at, processed_at)
SELECT 'community', 'old:' || g, 'member-' || (g % 200000), 'member', 'Job Title', 'Product Manager', 'processed',
       now() - interval '20 days', now() - interval '20 days'
FROM generate_series(1, :n) g;
ANALYZE events_raw;
SQL
    checkpoint
    start_ingest_api warn
    say "wrk for ${wrk_seconds}s; the purge starts after 1 s"
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${wrk_seconds}s" --latency -s scripts/bench/webhook.lua \
        "http://$INGEST_ADDR/webhooks/community" >"$wrk_out" &
    local wrk_pid=$!
    sleep 1
    purge_started=$(date +%s.%N)
    DATABASE_URL=$BENCH_URL target/release/pathfinder jobs run purge-events | tee "$purge_out"
    purge_ended=$(date +%s.%N)
    wait "$wrk_pid"
    stop_ingest_api
    purge_seconds=$(awk -v a="$purge_started" -v b="$purge_ended" 'BEGIN { printf "%.1f", b - a }')
    local overlap
    overlap=$(awk -v p="$purge_seconds" -v w="$wrk_seconds" 'BEGIN { printf "%.0f", 100 * (p < w - 1 ? p : w - 1) / w }')
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$wrk_out")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$wrk_out")")
    result=$(grep '^PF_RESULT ' "$wrk_out") || die "wrk printed no PF_RESULT line (see $wrk_out)"
    ok2xx=$(sed -E 's/.* ok2xx=([0-9]+).*/\1/' <<<"$result")
    left=$(psql_at "$BENCH_URL" -c "SELECT count(*) FILTER (WHERE received_at < now() - interval '14 days') || ' expired left, ' || count(*) FILTER (WHERE received_at >= now() - interval '14 days') || ' new kept' FROM events_raw")
    verdict=$(awk -v p="$p99" 'BEGIN { print (p != "nan" && p + 0 <= 50) ? "met" : "NOT met" }')
    {
        echo "== purge under load ($rows expired events; ingest under wrk, $CONNECTIONS connections) =="
        echo "purge                 : $(cat "$purge_out")"
        echo "purge duration        : $purge_seconds s (wrk ran ${wrk_seconds}s around it: ${overlap}% of the window)"
        echo "ingest during purge   : $ok2xx accepted, p50 $p50 ms, p99 $p99 ms (target p99 <= 50 ms: $verdict)"
        echo "rows afterwards       : $left"
    } | tee "$RESULTS/purge.txt"
}

# ---------------------------------------------------------------------------------------------------------------
# Section: import.

bench_import() {
    local rows=${BENCH_IMPORT_ROWS:-1000000} file="$RESULTS/roster.csv" time_out="$RESULTS/import-time.txt"
    [[ -x /usr/bin/time ]] || pf_apt_install "$TAG" time || die "/usr/bin/time not found: install the Debian package time"
    say "generating a roster of $rows members (one in five senior): $file"
    awk -v n="$rows" 'BEGIN {
        print "userId,username,title"
        split("Chief Executive Officer|VP of Sales|Geschäftsführerin|Software Engineer|Product Manager|Account Executive|Data Analyst|Head of Marketing|Customer Success Manager|Designer", t, "|")
        split("EMEA|DACH|North America|APAC|France|Iberia|Nordics|Benelux|UK|LATAM|Germany|Austria|Switzerland", r, "|")
        # Every title is different (a role, a region and a number), as in a real roster: the import cannot lean on
        # classifying a few titles once.
        for (i = 1; i <= n; i++) {
            k = (i % 5 == 0) ? 1 + (i / 5) % 3 : 4 + i % 7
            printf "u%d,member%d,%s %s %d\n", i, i, t[k], r[1 + i % 13], i
        }
    }' >"$file"
    fresh_bench_db
    say "pathfinder import ($rows rows)"
    local started ended
    started=$(date +%s.%N)
    DATABASE_URL=$BENCH_URL /usr/bin/time -v target/release/pathfinder import "$file" --json \
        >"$RESULTS/import.json" 2>"$time_out" || die "pathfinder import failed (see $time_out)"
    ended=$(date +%s.%N)
    local import_seconds rss_kb seniors
    import_seconds=$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.2f", b - a }')
    rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$time_out")
    seniors=$(psql_at "$BENCH_URL" -c "SELECT count(*) FROM user_state")
    say "COPY of the same file into a bare table"
    psql_at "$BENCH_URL" -c "CREATE TABLE roster_copy (user_id text, username text, title text)"
    started=$(date +%s.%N)
    psql_at "$BENCH_URL" -c "\\copy roster_copy FROM '$file' WITH (FORMAT csv, HEADER true)"
    ended=$(date +%s.%N)
    local copy_seconds
    copy_seconds=$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.2f", b - a }')
    local expected=$((rows / 5))
    {
        echo "== roster import ($rows members, one in five senior) =="
        echo "pathfinder import     : $import_seconds s, $(awk -v r="$rows" -v s="$import_seconds" 'BEGIN { printf "%.0f", r / s }') members/s, peak RSS $((rss_kb / 1024)) MiB"
        echo "COPY (bare table)     : $copy_seconds s, $(awk -v r="$rows" -v s="$copy_seconds" 'BEGIN { printf "%.0f", r / s }') rows/s"
        echo "ratio import / COPY   : $(awk -v i="$import_seconds" -v c="$copy_seconds" 'BEGIN { printf "%.3f (target >= 0.25: %s)", c / i, (c / i >= 0.25) ? "met" : "NOT met" }')"
        echo "seniors stored        : $seniors (expected $expected: $([[ $seniors == "$expected" ]] && echo ok || echo WRONG))"
    } | tee "$RESULTS/import.txt"
    [[ $seniors == "$expected" ]]
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
