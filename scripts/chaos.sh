#!/usr/bin/env bash
# scripts/chaos.sh: the chaos suite (what `make chaos` runs). About 4-6 minutes with the defaults.
#
#   scripts/chaos.sh                              the real build: must PASS
#   scripts/chaos.sh --broken ack-before-commit   ingest-api built with scripts/chaos/break-ack-before-commit.patch
#                                                 (answers 202 before its batch commits): must FAIL
#
# Under steady webhook load: kill -9 of classifier, digest-sender and report-builder replicas at random moments
# (a supervisor loop restarts any dead process after 1-3 s, like an orchestrator would); PostgreSQL stopped with
# `pg_ctl stop -m fast`, started again, later `-m immediate` (a crash), started again; three replicas of each worker
# at once; the Automation Anywhere Control Room and Teams fakes (tests/fakes/outside.py) failing with 503, 500,
# hanging and late-answered requests for CHAOS_FAKE_OUTAGE_SECS, then recovering. Digests are built during the run (and once more
# after the load) and a month-to-date report is requested while report-builders are being killed. At the end (the
# queues drained by themselves, bounded by CHAOS_DRAIN_SECS) scripts/chaos/check.py checks, and prints with counts:
#   (a) every webhook that got a 2xx is in events_raw exactly once, with the event id it was answered with;
#   (b) every expected detection (computed from the acknowledged events) exists exactly once, and no other;
#   (c) every detection is in one digest per channel, every digest was delivered at least once (the fake saw it)
#       and is marked sent once (one successful digest_deliveries row);
#   (d) every requested report is ready with its files, none duplicated;
#   (e) no event, digest or report failed or stuck, and no process exited without being killed: no manual step;
#   (f) outbound webhooks: an endpoint registered with `pathfinder endpoints add` points at a receiver
#       (tests/fakes/webhook_receiver.py) that fails with 503 for CHAOS_RECEIVER_OUTAGE_SECS; every detection and
#       every sent digest has one delivery, each delivered, each webhook-id accepted by the receiver with a verified
#       signature, a member's events first accepted in detection order.
# It exits 1 on any violation, after printing what it did (kills per service, PostgreSQL stops, fake outage,
# webhooks sent/acknowledged/503) and the counts it checked.
#
# What it uses: target/release binaries (`cargo build --release --bins` once, skipped with CHAOS_SKIP_BUILD=1);
# a private PostgreSQL cluster of its own (initdb/pg_ctl of this machine; as root it runs as the postgres user) in
# CHAOS_PG_DIR on 127.0.0.1:CHAOS_PG_PORT, created afresh each run and stopped at the end (the shared server at
# DATABASE_URL is never touched); python3 (standard library) for the fake, the load and the checks; curl.
# Everything of one run (logs of every process, the load's records, the fake's deliveries, the PostgreSQL log,
# reports) is kept in .data/chaos/run-<time>/ (.data/chaos/last points at the latest). Ctrl-C stops everything.
#
# Knobs (environment):
#   CHAOS_LOAD_SECS=180          seconds of webhook load; the chaos timeline is spread over it
#   CHAOS_RATE=60                webhooks per second (about), CHAOS_THREADS=8 sender threads
#   CHAOS_REPLICAS=3             replicas of each worker (classifier, digest-sender, report-builder)
#   CHAOS_INGEST_REPLICAS=2      ingest-api replicas (the load alternates between them; they are not killed)
#   CHAOS_KILL_MIN_SECS=3        pause between two random kill -9, drawn between MIN and MAX
#   CHAOS_KILL_MAX_SECS=8
#   CHAOS_RESTART_MIN_SECS=1     a dead process is restarted after MIN..MAX seconds
#   CHAOS_RESTART_MAX_SECS=3
#   CHAOS_PG_DOWN_SECS=8         how long PostgreSQL stays down after each stop
#   CHAOS_FAKE_OUTAGE_SECS=90    how long the Control Room and Teams fakes fail (split evenly over CHAOS_FAKE_MODES)
#   CHAOS_FAKE_MODES=503,500,hang,slow   each for an equal share of the outage: 503 (Retry-After: 1), 500, hang
#                                (held, then dropped unanswered), slow (held, then processed: the client timed out
#                                but the bot ran or the card was posted), also 429
#   CHAOS_RECEIVER_OUTAGE_SECS=90  how long the outbound webhook receiver answers 503 (from the same moment)
#   CHAOS_DRAIN_SECS=300         longest wait, after the load, for the queues to drain
#   CHAOS_DELIVERY_LEASE_SECS=20 digest-sender's lease (PATHFINDER_DELIVERY__LEASE_SECS), and its request timeout
#   CHAOS_DELIVERY_TIMEOUT_MS=3000  (PATHFINDER_DELIVERY__TIMEOUT_MS)
#   CHAOS_SEED=<random>          seed of every random choice (printed; set it to replay a run's choices)
#   CHAOS_PG_PORT=55439          port of the private cluster; CHAOS_PG_DIR=.data/chaos-pg its folder
#   CHAOS_PORT_BASE=47400        fake on BASE, ingest-api on BASE+1.., worker health on BASE+10.., +20.., +30..,
#                                webhook receiver on BASE+40
#   CHAOS_SKIP_BUILD=1           use target/release as it is
#   CHAOS_BROKEN=ack-before-commit   same as --broken ack-before-commit
#
# Settings given to the services so that recovery happens within the run (defaults are for production):
# classifier lease 10 s (a killed classifier's claimed events return after it), delivery lease 20 s (longer than one
# digest's delivery try: 3 requests of at most 3 s), delivery timeout 3 s, and delivery max_attempts 30: delivery retries
# back off 30 s, 1 min, 2 min, ... (not configurable), so an outage of minutes uses 3-5 attempts; the default 6
# would be exhausted by an outage of about 15 minutes, and a `failed` digest needs `pathfinder digests retry`, a
# manual step this suite must never need. Outbound webhooks: private targets allowed (the receiver is on loopback),
# retries after 2 s doubling up to 15 s (instead of 5 s up to 6 h), lease 10 s, request timeout 3 s.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TAG=chaos
say() { pf_say "$TAG" "$@"; }
die() { pf_die "$TAG" "$@"; }

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

BROKEN=${CHAOS_BROKEN:-}
while (($# > 0)); do
    case $1 in
    --broken)
        (($# >= 2)) || die "--broken needs a name (ack-before-commit)"
        BROKEN=$2
        shift 2
        ;;
    --broken=*)
        BROKEN=${1#--broken=}
        shift
        ;;
    -h | --help)
        usage
        exit 0
        ;;
    *) die "unknown argument '$1' (use --broken ack-before-commit, or --help)" ;;
    esac
done
case $BROKEN in
'' | ack-before-commit) ;;
*) die "unknown broken build '$BROKEN': the one available is ack-before-commit" ;;
esac

int_knob() {
    local name=$1 default=$2 value
    value=${!name:-$default}
    [[ $value =~ ^[0-9]+$ ]] || die "$name must be a whole number, not '$value'"
    printf '%s' "$value"
}
LOAD_SECS=$(int_knob CHAOS_LOAD_SECS 180)
RATE=$(int_knob CHAOS_RATE 60)
THREADS=$(int_knob CHAOS_THREADS 8)
REPLICAS=$(int_knob CHAOS_REPLICAS 3)
INGEST_REPLICAS=$(int_knob CHAOS_INGEST_REPLICAS 2)
KILL_MIN=$(int_knob CHAOS_KILL_MIN_SECS 3)
KILL_MAX=$(int_knob CHAOS_KILL_MAX_SECS 8)
RESTART_MIN=$(int_knob CHAOS_RESTART_MIN_SECS 1)
RESTART_MAX=$(int_knob CHAOS_RESTART_MAX_SECS 3)
PG_DOWN=$(int_knob CHAOS_PG_DOWN_SECS 8)
FAKE_OUTAGE=$(int_knob CHAOS_FAKE_OUTAGE_SECS 90)
FAKE_MODES=${CHAOS_FAKE_MODES:-503,500,hang,slow}
RECEIVER_OUTAGE=$(int_knob CHAOS_RECEIVER_OUTAGE_SECS 90)
DRAIN_SECS=$(int_knob CHAOS_DRAIN_SECS 300)
DELIVERY_LEASE=$(int_knob CHAOS_DELIVERY_LEASE_SECS 20)
DELIVERY_TIMEOUT=$(int_knob CHAOS_DELIVERY_TIMEOUT_MS 3000)
SEED=$(int_knob CHAOS_SEED $((RANDOM * 32768 + RANDOM)))
PG_PORT=$(int_knob CHAOS_PG_PORT 55439)
PORT_BASE=$(int_knob CHAOS_PORT_BASE 47400)
((LOAD_SECS >= 30)) || die "CHAOS_LOAD_SECS must be at least 30"
((REPLICAS >= 1 && REPLICAS <= 9 && INGEST_REPLICAS >= 1 && INGEST_REPLICAS <= 9)) ||
    die "CHAOS_REPLICAS and CHAOS_INGEST_REPLICAS must be between 1 and 9"
((KILL_MIN >= 1 && KILL_MAX >= KILL_MIN && RESTART_MAX >= RESTART_MIN)) ||
    die "need 1 <= CHAOS_KILL_MIN_SECS <= CHAOS_KILL_MAX_SECS and CHAOS_RESTART_MIN_SECS <= CHAOS_RESTART_MAX_SECS"
RANDOM=$SEED

cd "$PF_REPO"
exec 3>&2 # the terminal's stderr, for event lines from subshells whose own stderr goes to a file
[[ ${BASH_VERSINFO[0]} -ge 5 ]] || die "needs bash 5 or later (EPOCHREALTIME)"
command -v curl >/dev/null 2>&1 || pf_apt_install "$TAG" curl || die "curl not found: install it"
command -v python3 >/dev/null 2>&1 || pf_apt_install "$TAG" python3 || die "python3 not found: install it"
PSQL=$(pf_find_pg_tool psql) || { pf_apt_install "$TAG" postgresql-client && PSQL=$(pf_find_pg_tool psql); } ||
    die "psql not found: install the Debian package postgresql-client"

RUN="$PF_DATA/chaos/run-$(date +%Y%m%dT%H%M%S)-$$"
mkdir -p "$RUN"/{logs,pids,killed,load,reports,outbox}
ln -sfn "$RUN" "$PF_DATA/chaos/last"
# Keep the five latest runs.
find "$PF_DATA/chaos" -maxdepth 1 -name 'run-*' -type d | sort | head -n -5 | xargs -r rm -rf --
CHAOS_LOG="$RUN/chaos.log"
SUPERVISOR_LOG="$RUN/supervisor.log"
: >"$CHAOS_LOG"
: >"$SUPERVISOR_LOG"
STARTED_AT=$SECONDS

now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    printf '%s' $((t / 1000))
}
# The chaos clock: 0 when the load starts (kept in a file, so background subshells read the same one).
T0=$(now_ms)
printf '%s\n' "$T0" >"$RUN/t0"
set_clock_zero() {
    T0=$(now_ms)
    printf '%s\n' "$T0" >"$RUN/t0"
}

# A timestamped line on stderr and in chaos.log (safe from background subshells).
event() {
    local ms
    ms=$(($(now_ms) - $(<"$RUN/t0")))
    local line
    line=$(printf '[chaos %+7.1fs] %s' "$(awk -v m="$ms" 'BEGIN { printf "%.1f", m / 1000 }')" "$*")
    printf '%s\n' "$line" >&3
    printf '%s\n' "$line" >>"$CHAOS_LOG"
}

# sleep that a TERM trap interrupts at once (background loops).
nap() {
    sleep "$1" &
    wait $! 2>/dev/null || true
}

rand_between() { printf '%s' $(($1 + RANDOM % ($2 - $1 + 1))); }

sleep_ms() {
    local ms=$1
    ((ms > 0)) || return 0
    nap "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
}

# Sleeps until the chaos clock reads SECS.
at() { sleep_ms $(($1 * 1000 - ($(now_ms) - T0))); }

alive() {
    local pid=${1:-}
    [[ -n $pid && -e /proc/$pid ]] || return 1
    ! grep -qs '^State:[[:space:]]*Z' "/proc/$pid/status"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

psql_app() { "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$DATABASE_URL" "$@"; }

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time "${2:-3}" "$1" 2>/dev/null || true; }

# ---------------------------------------------------------------------------------------------------------------
# Cleanup: every process started here, and the private cluster, whatever happens.

BG_PIDS=()         # fake, load, killer, outage, supervisor (ours, by pid)
SUPERVISOR_PID=""
PG_STARTED=no

stop_services() {
    local f pid pids=()
    for f in "$RUN"/pids/*.pid; do
        [[ -e $f ]] || continue
        pid=$(<"$f")
        alive "$pid" && pids+=("$pid")
    done
    ((${#pids[@]} > 0)) || return 0
    kill -TERM "${pids[@]}" 2>/dev/null || true
    local _
    for _ in $(seq 1 40); do
        local left=0
        for pid in "${pids[@]}"; do alive "$pid" && left=1; done
        ((left)) || return 0
        sleep 0.25
    done
    for pid in "${pids[@]}"; do
        if alive "$pid"; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
}

# shellcheck disable=SC2317  # called from the EXIT trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    touch "$RUN/stop" "$RUN/stop-kills" 2>/dev/null || true
    if [[ -n $SUPERVISOR_PID ]]; then
        kill -TERM "$SUPERVISOR_PID" 2>/dev/null || true
        wait "$SUPERVISOR_PID" 2>/dev/null || true
    fi
    local pid
    for pid in "${BG_PIDS[@]+"${BG_PIDS[@]}"}"; do
        kill -TERM "$pid" 2>/dev/null || true
    done
    stop_services
    for pid in "${BG_PIDS[@]+"${BG_PIDS[@]}"}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ $PG_STARTED == yes ]]; then
        pg_ctl_as_owner -D "$PG_DATADIR" -m fast -w -t 30 stop >/dev/null 2>&1 ||
            pg_ctl_as_owner -D "$PG_DATADIR" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
        say "stopped the private cluster ($PG_DATADIR); logs of this run: $RUN"
    fi
    rm -rf -- "${RUN:?}/bin"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------------------
# Private PostgreSQL cluster (never the shared server).

PG_BINDIR=""
pg_setup_location() {
    local initdb
    if ! initdb=$(pf_find_pg_tool initdb); then
        pf_apt_install "$TAG" postgresql || die "no initdb/pg_ctl: install the Debian package postgresql"
        initdb=$(pf_find_pg_tool initdb) || die "initdb still not found after installing postgresql"
    fi
    PG_BINDIR=$(dirname "$(readlink -f "$initdb")")
    PG_OWNER=$(id -un)
    if [[ $EUID -eq 0 ]]; then
        command -v runuser >/dev/null 2>&1 || die "running as root needs runuser (util-linux) to start PostgreSQL"
        if ! id -u postgres >/dev/null 2>&1; then
            useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql --shell /usr/sbin/nologin \
                postgres
            say "created the system user postgres (PostgreSQL refuses to run as root)"
        fi
        PG_OWNER=postgres
    fi
    PG_BASE=${CHAOS_PG_DIR:-$PF_DATA/chaos-pg}
    mkdir -p "$(dirname "$PG_BASE")"
    if [[ $EUID -eq 0 ]] && ! runuser -u postgres -- test -x "$(dirname "$PG_BASE")" 2>/dev/null; then
        PG_BASE="/tmp/pathfinder-chaos-pg-$(printf '%s' "$PF_REPO" | sha256sum | cut -c1-12)"
        say "the postgres user cannot reach $PF_DATA; the chaos cluster goes to $PG_BASE"
    fi
    PG_DATADIR="$PG_BASE/pg"
    PG_SOCKDIR="$PG_BASE"
    ((${#PG_SOCKDIR} <= 90)) || PG_SOCKDIR="/tmp"
    PG_LOG="$PG_BASE/pg.log"
}

pg_ctl_as_owner() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u "$PG_OWNER" -- "$PG_BINDIR/pg_ctl" "$@")
    else
        "$PG_BINDIR/pg_ctl" "$@"
    fi
}

as_owner() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u "$PG_OWNER" -- "$@")
    else
        "$@"
    fi
}

pg_init_and_start() {
    pg_setup_location
    # A cluster left running by an interrupted run of this script: stop it first.
    if [[ -f $PG_DATADIR/postmaster.pid ]]; then
        pg_ctl_as_owner -D "$PG_DATADIR" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    port_in_use "$PG_PORT" && die "port $PG_PORT on 127.0.0.1 is taken; choose another: CHAOS_PG_PORT=<port>"
    # Only ever delete a folder that is empty or holds a cluster of ours.
    if [[ -e $PG_BASE ]] && [[ -n $(ls -A "$PG_BASE") ]] && [[ ! -f $PG_DATADIR/PG_VERSION ]]; then
        die "$PG_BASE exists and is not a chaos cluster folder; remove it or set CHAOS_PG_DIR elsewhere"
    fi
    rm -rf -- "$PG_BASE"
    if [[ $EUID -eq 0 ]]; then
        install -d -m 700 -o "$PG_OWNER" -g "$(id -gn "$PG_OWNER")" "$PG_BASE" "$PG_DATADIR"
    else
        install -d -m 700 "$PG_BASE" "$PG_DATADIR"
    fi
    as_owner "$PG_BINDIR/initdb" -D "$PG_DATADIR" -U postgres --auth-local=trust --auth-host=trust -E UTF8 \
        --locale=C --no-sync >"$RUN/logs/initdb.log" 2>&1 || {
        cat "$RUN/logs/initdb.log" >&2
        die "initdb failed"
    }
    as_owner tee -a "$PG_DATADIR/postgresql.conf" >/dev/null <<EOF
# scripts/chaos.sh
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKDIR'
max_connections = 200
fsync = on
synchronous_commit = on
logging_collector = off
log_line_prefix = '%m [%p] '
EOF
    pg_start
    PG_STARTED=yes
    ln -sfn "$PG_LOG" "$RUN/logs/postgresql.log"
    say "private cluster in $PG_DATADIR on 127.0.0.1:$PG_PORT (PostgreSQL $("$PG_BINDIR/pg_ctl" --version | awk '{print $3}'))"
}

pg_start() {
    as_owner touch "$PG_LOG"
    pg_ctl_as_owner -D "$PG_DATADIR" -l "$PG_LOG" -w -t 120 start >/dev/null ||
        die "the private cluster did not start (log: $PG_LOG)"
}

PG_STOPS=()
pg_outage() {
    local mode=$1 secs=$2
    event "PostgreSQL: pg_ctl stop -m $mode"
    pg_ctl_as_owner -D "$PG_DATADIR" -m "$mode" -w -t 60 stop >/dev/null || die "pg_ctl stop -m $mode failed"
    event "PostgreSQL is down (stopped -m $mode); starting it again in ${secs}s"
    nap "$secs"
    pg_start
    event "PostgreSQL started again (after -m $mode)"
    PG_STOPS+=("$mode:${secs}s")
}

# ---------------------------------------------------------------------------------------------------------------
# Build.

BIN="$RUN/bin"
INGEST_BIN="$BIN/ingest-api"
build() {
    if [[ ${CHAOS_SKIP_BUILD:-0} == 1 ]]; then
        say "CHAOS_SKIP_BUILD=1: using target/release as it is"
    else
        say "cargo build --release --bins"
        cargo build --release --bins
    fi
    local bin
    # The binaries under test are copied, so a build running meanwhile (another terminal) cannot swap them
    # between two restarts of one service.
    mkdir -p "$BIN"
    for bin in ingest-api classifier digest-sender report-builder pathfinder; do
        [[ -x target/release/$bin ]] || die "target/release/$bin is missing (cargo build --release --bins)"
        cp -p "target/release/$bin" "$BIN/$bin"
    done
    [[ -z $BROKEN ]] || build_broken
}

# The broken ingest-api: a copy of the sources with the patch applied, built into its own target folder, so the
# checkout (and target/release) stays as it is.
build_broken() {
    local patch="$PF_REPO/scripts/chaos/break-$BROKEN.patch" stage="$PF_DATA/chaos/broken-stage"
    local src="$PF_DATA/chaos/broken-src" target="$PF_DATA/chaos/broken-target"
    [[ -f $patch ]] || die "no patch $patch"
    command -v rsync >/dev/null 2>&1 || pf_apt_install "$TAG" rsync || die "rsync not found: install it"
    say "broken build '$BROKEN': a copy of the sources in $src with $(basename "$patch") applied"
    rm -rf -- "$stage"
    mkdir -p "$stage" "$src"
    cp -a Cargo.toml Cargo.lock crates config migrations "$stage/"
    # GIT_CEILING_DIRECTORIES keeps git from finding this checkout's repository above the copy.
    (cd "$stage" && GIT_CEILING_DIRECTORIES="$PF_DATA/chaos" git apply "$patch") ||
        die "$(basename "$patch") does not apply to the current sources; refresh it"
    # Only files whose content changed are rewritten (no -t), so cargo rebuilds only what changed since last time.
    rsync -rlpc --delete "$stage/" "$src/"
    rm -rf -- "$stage"
    if [[ ! -d $target/release && -d target/release/deps ]]; then
        # Start from a copy of the main build: the dependencies compiled there are reused.
        mkdir -p "$target"
        cp -a target/release "$target/release"
    fi
    say "cargo build --release -p ingest-api into $target"
    CARGO_TARGET_DIR="$target" cargo build --release --manifest-path "$src/Cargo.toml" -p ingest-api --bin ingest-api
    cp -p "$target/release/ingest-api" "$BIN/ingest-api"
}

# ---------------------------------------------------------------------------------------------------------------
# Services and their supervisor.

ADMIN_TOKEN_VALUE="chaos-admin-$SEED"
FAKE_PORT=$PORT_BASE
FAKE_URL="http://127.0.0.1:$FAKE_PORT"
RECEIVER_URL="http://127.0.0.1:$((PORT_BASE + 40))"
WORKER_KINDS=(classifier digest-sender report-builder)
NAMES=()
for ((i = 1; i <= INGEST_REPLICAS; i++)); do NAMES+=("ingest-api-$i"); done
for kind in "${WORKER_KINDS[@]}"; do
    for ((i = 1; i <= REPLICAS; i++)); do NAMES+=("$kind-$i"); done
done

health_port() {
    local name=$1 kind=${1%-*} idx=${1##*-}
    case $kind in
    ingest-api) printf '%s' $((PORT_BASE + idx)) ;;
    classifier) printf '%s' $((PORT_BASE + 10 + idx)) ;;
    digest-sender) printf '%s' $((PORT_BASE + 20 + idx)) ;;
    report-builder) printf '%s' $((PORT_BASE + 30 + idx)) ;;
    *) die "unknown service $name" ;;
    esac
}

# Settings every service gets (the environment of this script is cleaned of ones that would change the run).
service_env() {
    unset PATHFINDER_CONFIG WEBHOOK_SECRETS SMTP_URL AA_TEAMS_BOT_ID HEALTH_ADDR BIND_ADDR
    while IFS= read -r var; do unset "$var"; done < <(compgen -e | grep '^PATHFINDER_' || true)
    export DATABASE_URL LOG_FORMAT=json LOG_LEVEL=info
    export RULES_PATH="$PF_REPO/config/classification.toml" REPORTS_DIR="$RUN/reports" TIMEZONE=America/New_York
    export ADMIN_TOKEN=$ADMIN_TOKEN_VALUE
    export AA_CONTROL_ROOM_URL=$FAKE_URL AA_USERNAME=chaos-user AA_API_KEY=chaos-key AA_EMAIL_BOT_ID=4242
    export AA_RUN_AS_USER_IDS=17 TEAMS_WEBHOOK_URL="$FAKE_URL/teams"
    export DIGEST_EMAIL_TO=sales@example.com DIGEST_EMAIL_FROM="CaptPathfinder <pathfinder@example.com>"
    export PATHFINDER_DELIVERY__EMAIL_TRANSPORT=aa PATHFINDER_DELIVERY__TEAMS_TRANSPORT=teams-webhook
    export PATHFINDER_DELIVERY__TEMPLATES_DIR="$PF_REPO/config/templates" PATHFINDER_DELIVERY__OUTBOX_DIR="$RUN/outbox"
    export PATHFINDER_DELIVERY__MAX_ATTEMPTS=30 PATHFINDER_DELIVERY__TIMEOUT_MS=$DELIVERY_TIMEOUT
    export PATHFINDER_DELIVERY__LEASE_SECS=$DELIVERY_LEASE PATHFINDER_DELIVERY__POLL_INTERVAL_MS=1000
    export PATHFINDER_CLASSIFIER__LEASE_SECS=10 PATHFINDER_CLASSIFIER__POLL_INTERVAL_MS=500
    export PATHFINDER_CLASSIFIER__BATCH_SIZE=200
    export PATHFINDER_OUTBOUND__ALLOW_PRIVATE_TARGETS=true PATHFINDER_OUTBOUND__RETRY_BASE_SECS=2
    export PATHFINDER_OUTBOUND__RETRY_MAX_DELAY_SECS=15 PATHFINDER_OUTBOUND__LEASE_SECS=10
    export PATHFINDER_OUTBOUND__TIMEOUT_MS=3000 PATHFINDER_OUTBOUND__POLL_INTERVAL_MS=1000
}

start_service() {
    local name=$1 kind=${1%-*} port pid
    port=$(health_port "$name")
    case $kind in
    ingest-api)
        BIND_ADDR="127.0.0.1:$port" PATHFINDER_INGEST__HTTP_WORKERS=2 \
            "$INGEST_BIN" </dev/null >>"$RUN/logs/$name.log" 2>&1 3>&- &
        ;;
    *)
        HEALTH_ADDR="127.0.0.1:$port" PATHFINDER_DATABASE__POOL_SIZE=4 \
            "$BIN/$kind" </dev/null >>"$RUN/logs/$name.log" 2>&1 3>&- &
        ;;
    esac
    pid=$!
    printf '%s\n' "$pid" >"$RUN/pids/$name.pid"
    printf '%s start %s %s\n' "$(now_ms)" "$name" "$pid" >>"$SUPERVISOR_LOG"
}

# The orchestrator: starts every service, and restarts any that died after RESTART_MIN..MAX seconds. It records
# whether the death was one of our kill -9 (a marker in killed/) or a process exiting on its own.
supervise() {
    trap 'exit 0' TERM
    local name pid rc restart_at=() i
    for name in "${NAMES[@]}"; do start_service "$name"; done
    while [[ ! -e $RUN/stop ]]; do
        for i in "${!NAMES[@]}"; do
            name=${NAMES[$i]}
            pid=$(<"$RUN/pids/$name.pid")
            if [[ -n ${restart_at[$i]:-} ]]; then
                if (($(now_ms) >= restart_at[i])); then
                    restart_at[i]=""
                    start_service "$name"
                    event "supervisor: restarted $name (pid $(<"$RUN/pids/$name.pid"))"
                fi
                continue
            fi
            alive "$pid" && continue
            rc=0
            wait "$pid" 2>/dev/null || rc=$?
            if [[ -e $RUN/killed/$name.$pid ]]; then
                printf '%s killed %s %s %s\n' "$(now_ms)" "$name" "$pid" "$rc" >>"$SUPERVISOR_LOG"
            else
                printf '%s unexpected %s %s %s\n' "$(now_ms)" "$name" "$pid" "$rc" >>"$SUPERVISOR_LOG"
                event "supervisor: $name (pid $pid) EXITED BY ITSELF with status $rc (see $RUN/logs/$name.log)"
            fi
            restart_at[i]=$(($(now_ms) + $(rand_between $((RESTART_MIN * 1000)) $((RESTART_MAX * 1000)))))
        done
        sleep 0.2
    done
}

# kill -9 of one running replica of KIND, chosen at random.
kill_one() {
    local kind=$1 candidates=() name pid
    for name in "${NAMES[@]}"; do
        [[ ${name%-*} == "$kind" ]] || continue
        pid=$(<"$RUN/pids/$name.pid")
        alive "$pid" && candidates+=("$name:$pid")
    done
    if ((${#candidates[@]} == 0)); then
        event "kill: no $kind replica is running right now; skipped"
        return 0
    fi
    local pick=${candidates[$((RANDOM % ${#candidates[@]}))]}
    name=${pick%%:*}
    pid=${pick##*:}
    touch "$RUN/killed/$name.$pid"
    kill -KILL "$pid" 2>/dev/null || true
    event "kill -9 $name (pid $pid)"
}

# Kills one replica every KILL_MIN..KILL_MAX seconds; the kinds take turns in a random order each round, so every
# kind is killed about as often.
killer_loop() {
    trap 'exit 0' TERM
    local round=() kind i j tmp
    while [[ ! -e $RUN/stop-kills ]]; do
        if ((${#round[@]} == 0)); then
            round=("${WORKER_KINDS[@]}")
            for ((i = ${#round[@]} - 1; i > 0; i--)); do
                j=$((RANDOM % (i + 1)))
                tmp=${round[i]}
                round[i]=${round[j]}
                round[j]=$tmp
            done
        fi
        kind=${round[0]}
        round=("${round[@]:1}")
        nap "$(rand_between "$KILL_MIN" "$KILL_MAX")"
        [[ -e $RUN/stop-kills ]] && break
        kill_one "$kind"
    done
}

wait_ready() {
    local name url deadline=$((SECONDS + 90))
    for name in "${NAMES[@]}"; do
        url="http://127.0.0.1:$(health_port "$name")/ready"
        until [[ $(http_code "$url") == 200 ]]; do
            ((SECONDS < deadline)) || die "$name is not ready after 90 s (log: $RUN/logs/$name.log)"
            sleep 0.3
        done
    done
    say "every service is ready: ${NAMES[*]}"
}

# ---------------------------------------------------------------------------------------------------------------
# Actions of the timeline.

DIGEST_BUILDS=0
digest_build() {
    local label=$1 out _
    for _ in $(seq 1 15); do
        if out=$("$BIN/pathfinder" jobs run weekly-digest 2>&1); then
            DIGEST_BUILDS=$((DIGEST_BUILDS + 1))
            event "digest build ($label): ${out##*$'\n'}"
            return 0
        fi
        sleep 2
    done
    event "digest build ($label) FAILED 15 times: ${out##*$'\n'}"
    return 1
}

REPORTS_REQUESTED=0
request_report() {
    local label=$1 body _ id
    for _ in $(seq 1 15); do
        body=$(curl -s --max-time 5 -XPOST -H "Authorization: Bearer $ADMIN_TOKEN_VALUE" \
            "http://127.0.0.1:$(health_port ingest-api-1)/admin/generate-reports" || true)
        id=$(printf '%s' "$body" | sed -n 's/.*"reportId":\([0-9][0-9]*\).*/\1/p')
        if [[ -n $id ]]; then
            printf '%s\n' "$id" >>"$RUN/reports-requested.txt"
            REPORTS_REQUESTED=$((REPORTS_REQUESTED + 1))
            event "report requested ($label): POST /admin/generate-reports -> reportId $id"
            return 0
        fi
        sleep 2
    done
    event "report request ($label) FAILED 15 times: $body"
    return 1
}

fake_outage() {
    trap 'exit 0' TERM
    local modes=() mode seg
    IFS=, read -r -a modes <<<"$FAKE_MODES"
    seg=$((FAKE_OUTAGE / ${#modes[@]}))
    ((seg > 0)) || seg=1
    for mode in "${modes[@]}"; do
        curl -s -o /dev/null --max-time 5 -XPOST "$FAKE_URL/_fake/fail?seconds=$seg&status=$mode&retry_after=1" ||
            true
        event "outside fake: Control Room and Teams now fail with '$mode' for ${seg}s"
        nap "$seg"
    done
    # Recovered like a restarted Control Room: the tokens issued before are refused, so senders log in again.
    curl -s -o /dev/null --max-time 5 -XPOST "$FAKE_URL/_fake/recover?revoke_tokens=1" || true
    event "outside fake: recovered (outage of $((seg * ${#modes[@]}))s is over; Control Room tokens revoked)"
}

# ---------------------------------------------------------------------------------------------------------------
# Run.

BUILD_LABEL="normal (target/release)"
[[ -z $BROKEN ]] || BUILD_LABEL="BROKEN: $BROKEN (scripts/chaos/break-$BROKEN.patch)"
say "seed $SEED; build: $BUILD_LABEL; load ${LOAD_SECS}s at ~${RATE}/s;" \
    "$REPLICAS replicas per worker, $INGEST_REPLICAS ingest-api; fake outage ${FAKE_OUTAGE}s; run folder $RUN"
build

for ((p = PORT_BASE; p <= PORT_BASE + 40; p++)); do
    port_in_use "$p" && die "port $p on 127.0.0.1 is taken; choose another base: CHAOS_PORT_BASE=<port>"
done

pg_init_and_start
DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/pathfinder"
"$PSQL" -X -q -d "postgres://postgres@127.0.0.1:$PG_PORT/postgres" -c 'CREATE DATABASE pathfinder' >/dev/null
service_env
"$BIN/pathfinder" migrate >"$RUN/logs/migrate.log" 2>&1 || {
    cat "$RUN/logs/migrate.log" >&2
    die "pathfinder migrate failed"
}

# The titles the load uses must have the level it assumes (checked with the real classifier and rules).
python3 scripts/chaos/load.py --print-titles >"$RUN/titles.tsv"
cut -f2 "$RUN/titles.tsv" >"$RUN/titles.txt"
"$BIN/pathfinder" classify --file "$RUN/titles.txt" >"$RUN/titles.jsonl"
python3 - "$RUN/titles.tsv" "$RUN/titles.jsonl" "$RUN/levels.json" <<'PY' || die "the load's titles do not classify as it assumes"
import json, sys
want = {t: {"C": "c_suite", "V": "vp", "N": None}[l] for l, t in (line.rstrip("\n").split("\t") for line in open(sys.argv[1]))}
got = {o["title"]: o["seniority"] for o in map(json.loads, open(sys.argv[2]))}
bad = [t for t in want if got.get(t, "missing") != want[t]]
for t in bad:
    print("[chaos] %r classifies as %r, the load assumes %r" % (t, got.get(t), want[t]), file=sys.stderr)
json.dump(got, open(sys.argv[3], "w"))
sys.exit(1 if bad else 0)
PY

python3 tests/fakes/outside.py --bind 127.0.0.1 --port "$FAKE_PORT" --quiet --aa-username chaos-user \
    --aa-api-key chaos-key --record "$RUN/fake-deliveries.jsonl" >"$RUN/logs/outside-fake.log" 2>&1 &
BG_PIDS+=("$!")
for _ in $(seq 1 50); do
    [[ $(http_code "$FAKE_URL/_fake/health") == 200 ]] && break
    sleep 0.2
done
[[ $(http_code "$FAKE_URL/_fake/health") == 200 ]] || die "the outside fake did not start ($RUN/logs/outside-fake.log)"

# The outbound webhook receiver (verifying with the official standardwebhooks library when the project's .venv has
# it, else with the same algorithm in the standard library), and the endpoint that points at it.
RECEIVER_PYTHON=python3
[[ -x $PF_VENV/bin/python ]] && "$PF_VENV/bin/python" -c 'import standardwebhooks' 2>/dev/null &&
    RECEIVER_PYTHON=$PF_VENV/bin/python
"$RECEIVER_PYTHON" tests/fakes/webhook_receiver.py --bind 127.0.0.1 --port "$((PORT_BASE + 40))" --quiet \
    --record "$RUN/receiver-requests.jsonl" >"$RUN/logs/webhook-receiver.out" 2>"$RUN/logs/webhook-receiver.log" &
BG_PIDS+=("$!")
for _ in $(seq 1 50); do
    [[ $(http_code "$RECEIVER_URL/_fake/health") == 200 ]] && break
    sleep 0.2
done
[[ $(http_code "$RECEIVER_URL/_fake/health") == 200 ]] ||
    die "the webhook receiver did not start ($RUN/logs/webhook-receiver.log)"
"$BIN/pathfinder" endpoints add "$RECEIVER_URL/chaos" --description "chaos receiver" --json >"$RUN/endpoint.json" ||
    die "pathfinder endpoints add failed"
python3 -c 'import json,sys; print(json.dumps([json.load(open(sys.argv[1]))["secret"]]))' "$RUN/endpoint.json" |
    curl -s -o /dev/null --max-time 5 -XPOST --data-binary @- "$RECEIVER_URL/_fake/secrets" ||
    die "could not hand the endpoint's secret to the receiver"
say "outbound endpoint $RECEIVER_URL/chaos registered (receiver verifying with $RECEIVER_PYTHON)"

# (Its stderr, where bash reports the children it reaps as "Killed", goes to a file.)
supervise 2>>"$RUN/logs/supervisor.stderr" &
SUPERVISOR_PID=$!
wait_ready

LOAD_URLS=()
for ((i = 1; i <= INGEST_REPLICAS; i++)); do LOAD_URLS+=(--url "http://127.0.0.1:$(health_port "ingest-api-$i")"); done

set_clock_zero
event "load: ~$RATE webhooks/s from $THREADS threads to $INGEST_REPLICAS ingest-api replicas for ${LOAD_SECS}s"
python3 scripts/chaos/load.py "${LOAD_URLS[@]}" --out "$RUN/load" --rate "$RATE" --threads "$THREADS" \
    --seed "$SEED" --run-id "$SEED" --drain-secs 120 >"$RUN/logs/load.log" 2>&1 &
LOAD_PID=$!
BG_PIDS+=("$LOAD_PID")
killer_loop &
KILLER_PID=$!
BG_PIDS+=("$KILLER_PID")

# The timeline, as fractions of the load's length (with the defaults: 22 s, 27 s, 36 s, 54 s, 72 s, 90 s, 126 s).
L=$LOAD_SECS
at $((L * 12 / 100))
digest_build "first, under load" || true
(sleep "0.$(rand_between 3 9)" && kill_one digest-sender) &
at $((L * 15 / 100))
kill_one report-builder
request_report "first, report-builders being killed" || true
(sleep "0.$(rand_between 0 5)" && kill_one report-builder) &
at $((L * 20 / 100))
pg_outage fast "$PG_DOWN"
at $((L * 30 / 100))
curl -s -o /dev/null --max-time 5 -XPOST "$RECEIVER_URL/_fake/fail?seconds=$RECEIVER_OUTAGE&status=503" || true
event "webhook receiver: answers 503 for ${RECEIVER_OUTAGE}s"
fake_outage &
OUTAGE_PID=$!
BG_PIDS+=("$OUTAGE_PID")
at $((L * 40 / 100))
digest_build "second, during the outside outage" || true
(sleep "0.$(rand_between 3 9)" && kill_one digest-sender) &
at $((L * 50 / 100))
pg_outage immediate "$PG_DOWN"
at $((L * 70 / 100))
digest_build "third" || true
kill_one report-builder
request_report "second, report-builders being killed" || true
(sleep "0.$(rand_between 0 5)" && kill_one report-builder) &
at "$L"

touch "$RUN/stop-kills"
kill -TERM "$KILLER_PID" 2>/dev/null || true
wait "$KILLER_PID" 2>/dev/null || true
event "load: stopping (the generator finishes the deliveries it is retrying)"
kill -TERM "$LOAD_PID" 2>/dev/null || true
wait "$LOAD_PID" || die "the load generator failed (log: $RUN/logs/load.log)"
event "load: stopped: $(tail -n 1 "$RUN/logs/load.log")"

# Drain: nothing below is a manual step; the services converge by themselves (we only wait, and build the last
# digests like Friday's schedule would).
DRAIN_DEADLINE=$((SECONDS + DRAIN_SECS))
wait_until() {
    local what=$1 query=$2 value last=0
    while :; do
        value=$(psql_app -c "$query" 2>/dev/null || echo "?")
        [[ $value == 0 ]] && return 0
        if ((SECONDS >= DRAIN_DEADLINE)); then
            event "drain: gave up waiting for $what ($value left after ${DRAIN_SECS}s)"
            return 1
        fi
        if ((SECONDS - last >= 15)); then
            event "drain: waiting for $what: $value left"
            last=$SECONDS
        fi
        sleep 1
    done
}
wait "$OUTAGE_PID" 2>/dev/null || true
wait_until "the classifier queue" "SELECT count(*) FROM events_raw WHERE status = 'pending'" || true
digest_build "final, after the load" || true
wait_until "digests to be sent" "SELECT count(*) FROM digests WHERE status <> 'sent'" || true
wait_until "reports to be ready" "SELECT count(*) FROM reports WHERE status <> 'ready'" || true
wait_until "outbound webhooks to be delivered" \
    "SELECT count(*) FROM outbound_deliveries WHERE status <> 'delivered'" || true
event "drain: done"
sleep 1 # let the supervisor notice a late exit

# Per service: kills, restarts, exits nobody asked for.
awk -v kinds="${WORKER_KINDS[*]} ingest-api" '
    { sub(/-[0-9]+$/, "", $3) }
    $2 == "start"      { starts[$3]++ }
    $2 == "killed"     { killed[$3]++ }
    $2 == "unexpected" { unexpected[$3]++ }
    END {
        n = split(kinds, k, " "); printf "{"
        for (i = 1; i <= n; i++) {
            s = k[i]; r = starts[s] - (s ~ /^ingest/ ? '"$INGEST_REPLICAS"' : '"$REPLICAS"')
            printf "%s\"%s\":{\"killed\":%d,\"restarted\":%d,\"unexpected\":%d}", (i > 1 ? "," : ""), s, killed[s], r, unexpected[s]
        }
        print "}"
    }' "$SUPERVISOR_LOG" >"$RUN/supervisor.json"
touch "$RUN/reports-requested.txt"

say "checking (scripts/chaos/check.py)"
CHECK_RC=0
python3 scripts/chaos/check.py --db "$DATABASE_URL" --psql "$PSQL" --load-dir "$RUN/load" --fake "$FAKE_URL" \
    --levels "$RUN/levels.json" --reports "$RUN/reports-requested.txt" --supervisor "$RUN/supervisor.json" \
    --receiver "$RECEIVER_URL" --json-out "$RUN/counts.json" >"$RUN/check.txt" || CHECK_RC=$?

# What was done, then what was checked.
FAKE_STATE=$(curl -s --max-time 5 "$FAKE_URL/_fake/state" || echo '{}')
python3 - "$RUN/load/summary.json" "$RUN/supervisor.json" "$FAKE_STATE" <<PY
import json, sys
load = json.load(open(sys.argv[1])); sup = json.load(open(sys.argv[2])); fake = json.loads(sys.argv[3] or "{}")
att = load.get("attempts", {})
ok2xx = sum(v for k, v in att.items() if k.isdigit() and 200 <= int(k) < 300)
other = sum(v for k, v in att.items() if k not in ("503", "error") and not (k.isdigit() and 200 <= int(k) < 300))
rows = [
    ("build", "$BUILD_LABEL"),
    ("seed", "$SEED"),
    ("delivery settings", "lease ${DELIVERY_LEASE}s, timeout ${DELIVERY_TIMEOUT}ms, max_attempts 30"),
    ("replicas", "$REPLICAS x classifier, $REPLICAS x digest-sender, $REPLICAS x report-builder, $INGEST_REPLICAS x ingest-api"),
    ("webhook load", "%ss, %d members, %d deliveries acknowledged (2xx answers %d, incl. %d duplicate re-sends)"
        % (load.get("seconds"), load.get("members", 0), load.get("acked", 0), ok2xx, load.get("duplicatesResent", 0))),
    ("webhook attempts not 2xx", "503 %d, connection errors %d, other %d (retried by the generator like a platform)"
        % (att.get("503", 0), att.get("error", 0), other)),
    ("kill -9", ", ".join("%s %d" % (s, v["killed"]) for s, v in sup.items() if s != "ingest-api")),
    ("restarts (supervisor)", ", ".join("%s %d" % (s, v["restarted"]) for s, v in sup.items())),
    ("exits nobody caused", ", ".join("%s %d" % (s, v["unexpected"]) for s, v in sup.items())),
    ("PostgreSQL stops", "${PG_STOPS[*]:-none}"),
    ("outside fake outage", "${FAKE_OUTAGE}s (${FAKE_MODES}); %s protocol requests failed on purpose; %s AA logins, "
        "%s deploys refused for a revoked token" % (fake.get("failedRequests", "?"), fake.get("authentications", "?"),
                                                    fake.get("tokensRefused", "?"))),
    ("digest builds / reports", "$DIGEST_BUILDS builds (pathfinder jobs run weekly-digest), $REPORTS_REQUESTED reports requested"),
]
print("")
print("Chaos suite: what was done")
for k, v in rows:
    print("  %-26s %s" % (k, v))
PY
echo
echo "Chaos suite: what was checked"
cat "$RUN/check.txt"
echo "  (run took $((SECONDS - STARTED_AT)) s; everything of it is in $RUN)"
if ((CHECK_RC != 0)); then
    if [[ -n $BROKEN ]]; then
        say "FAILED, as it should with the broken build '$BROKEN': the suite catches it"
    else
        say "FAILED: see the violations above and the logs in $RUN"
    fi
    exit 1
fi
if [[ -n $BROKEN ]]; then
    say "PASSED with the broken build '$BROKEN': the suite did NOT catch it (increase CHAOS_LOAD_SECS or CHAOS_RATE?)"
else
    say "PASSED"
fi
