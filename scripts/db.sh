#!/usr/bin/env bash
# scripts/db.sh: start or reuse the PostgreSQL server that `make test`, `make run` and `make bench` use.
#
#   scripts/db.sh          find a server, make sure the `pathfinder` database exists, write .data/env
#   scripts/db.sh stop     stop the private cluster (if this checkout started one)
#   scripts/db.sh status   say whether the private cluster runs
#   scripts/db.sh clean    stop the private cluster and delete it, .data/ and the .env it wrote (make clean-data)
#
# Which server:
#   1. $DATABASE_URL if set, else postgres://postgres@127.0.0.1:5432/postgres. If it answers, it is used.
#   2. Otherwise a private cluster of this checkout, started (or reused) with the machine's own PostgreSQL
#      programs (initdb/pg_ctl from PATH or /usr/lib/postgresql/<newest>/bin): data in .data/pg, 127.0.0.1 only,
#      port $PF_PRIVATE_PG_PORT (default 55432), trust auth, superuser `postgres`, fsync ON (benchmarks must be
#      honest), max_connections=200, log in .data/pg.log. If no PostgreSQL is installed and we are root with
#      apt-get, the Debian packages are installed first.
#      PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user (created if
#      missing) and initdb/pg_ctl run through `runuser -u postgres --`. When that user cannot reach .data/
#      (a checkout under /root, say), the cluster lives in /tmp/pathfinder-pg-<hash of the checkout path>
#      and .data/pg-cluster points at it. PF_PRIVATE_PG_DIR=<dir> puts it in <dir> instead.
#
# Output: .env at the top of the checkout (DATABASE_URL=..., read by the binaries; a .env not written by this script
# is left alone) and .data/env, to be sourced by scripts:
#   export DATABASE_URL=postgres://postgres@127.0.0.1:<port>/pathfinder        (the application database)
#   export PF_ADMIN_DATABASE_URL=postgres://postgres@127.0.0.1:<port>/postgres (maintenance db: tests create
#                                                                               one database per test there)
# When $DATABASE_URL was set and answers, its host/port/user/password are kept; its database name too if it
# names one (else `pathfinder`). Running the script again reuses whatever exists.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TAG=db
DEFAULT_URL="postgres://postgres@127.0.0.1:5432/postgres"
APP_DB=pathfinder
PRIVATE_PORT="${PF_PRIVATE_PG_PORT:-55432}"
CLUSTER_FILE="$PF_DATA/pg-cluster" # where the private cluster lives (sourced by later runs)
ENV_FILE="$PF_DATA/env"
DOTENV_FILE="$PF_REPO/.env"
DOTENV_MARKER="# Written by scripts/db.sh"

say() { pf_say "$TAG" "$@"; }
die() { pf_die "$TAG" "$@"; }

[[ $PRIVATE_PORT =~ ^[0-9]+$ ]] || die "PF_PRIVATE_PG_PORT must be a port number, not '$PRIVATE_PORT'"

# ---------------------------------------------------------------------------------------------------------------
# Client tools (psql is needed in every case; pg_isready is optional).

find_client_tools() {
    if ! PSQL=$(pf_find_pg_tool psql); then
        pf_apt_install "$TAG" postgresql-client ||
            die "psql not found: install the Debian packages postgresql-client (and postgresql for a local server)"
        PSQL=$(pf_find_pg_tool psql) || die "psql still not found after installing postgresql-client"
    fi
    PG_ISREADY=$(pf_find_pg_tool pg_isready || true)
}

# psql URL [args...]: quiet, unaligned, stop at the first error, no ~/.psqlrc.
run_psql() {
    local url=$1
    shift
    PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-5}" "$PSQL" -X -q -At -v ON_ERROR_STOP=1 -d "$url" "$@"
}

# Does a PostgreSQL server answer at this URL (whether or not it lets us in)?
server_answers() {
    local url=$1
    if [[ -n $PG_ISREADY ]]; then
        "$PG_ISREADY" -q -t 3 -d "$url" >/dev/null 2>&1
    else
        PGCONNECT_TIMEOUT=3 run_psql "$url" -c 'select 1' >/dev/null 2>&1
    fi
}

# Make sure database NAME exists on the server of ADMIN_URL.
ensure_database() {
    local admin_url=$1 name=$2 exists
    exists=$(run_psql "$admin_url" -v db="$name" <<<"SELECT 1 FROM pg_database WHERE datname = :'db';")
    if [[ -z $exists ]]; then
        run_psql "$admin_url" -v db="$name" <<<'CREATE DATABASE :"db";'
        say "created database $name"
    fi
}

write_env_file() {
    local app_url=$1 admin_url=$2 tmp
    mkdir -p "$PF_DATA"
    tmp="$ENV_FILE.tmp.$$"
    {
        echo "# Written by scripts/db.sh. Source it (. .data/env) to reach the database make test/run/bench use."
        printf 'export DATABASE_URL=%s\n' "$(pf_shell_quote "$app_url")"
        printf 'export PF_ADMIN_DATABASE_URL=%s\n' "$(pf_shell_quote "$admin_url")"
    } >"$tmp"
    mv -f "$tmp" "$ENV_FILE"
    write_dotenv "$app_url"
}

# .env at the top of the checkout: the binaries read it (below the real environment), so target/release/pathfinder
# finds this database without sourcing anything. A .env this script did not write is left alone.
write_dotenv() {
    local app_url=$1 tmp
    if [[ -e $DOTENV_FILE ]] && ! head -n 1 "$DOTENV_FILE" | grep -qF "$DOTENV_MARKER"; then
        say "left your own .env alone: add DATABASE_URL=$(pf_url_redact "$app_url") to it for the binaries to find" \
            "this database"
        return
    fi
    tmp="$DOTENV_FILE.tmp.$$"
    {
        echo "$DOTENV_MARKER: the local stack's database, read by the binaries run in this checkout."
        echo "# Real environment variables win over it; PATHFINDER_ENV_FILE=none ignores it. make run/db rewrite the"
        echo "# DATABASE_URL line and keep any line you add below (docker compose reads this file too)."
        printf 'DATABASE_URL=%s\n' "$(pf_shell_quote "$app_url")"
        # Lines added by hand stay.
        if [[ -f $DOTENV_FILE ]]; then
            sed -n '4,$p' "$DOTENV_FILE" | grep -v '^DATABASE_URL=' || true
        fi
    } >"$tmp"
    mv -f "$tmp" "$DOTENV_FILE"
}

# Serialize concurrent runs of this script in one checkout (two `make test` at once).
take_lock() {
    mkdir -p "$PF_DATA"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$PF_DATA/.lock"
        flock -w 120 9 || die "another scripts/db.sh holds $PF_DATA/.lock for 2 minutes; giving up"
    fi
}

# ---------------------------------------------------------------------------------------------------------------
# The private cluster.

# Sets PG_BASE, PG_DATADIR, PG_SOCKDIR, PG_LOG (the real log file) from .data/pg-cluster, PF_PRIVATE_PG_DIR, or
# the default. Returns 1 when no location is recorded and DECIDE is not "decide".
resolve_location() {
    local decide=${1:-}
    PG_BASE=""
    if [[ -n ${PF_PRIVATE_PG_DIR:-} ]]; then
        PG_BASE=$PF_PRIVATE_PG_DIR
    elif [[ -f $CLUSTER_FILE ]]; then
        # shellcheck source=/dev/null
        PG_BASE=$(source "$CLUSTER_FILE" && printf '%s' "${PF_PG_BASE:-}")
    fi
    if [[ -z $PG_BASE ]]; then
        if [[ -d $PF_DATA/pg ]]; then
            PG_BASE=$PF_DATA
        elif [[ $decide == decide ]]; then
            PG_BASE=$(choose_base)
        else
            return 1
        fi
    fi
    PG_DATADIR="$PG_BASE/pg"
    PG_SOCKDIR="$PG_BASE/sock"
    # Unix socket paths are limited to ~107 bytes; fall back to a short folder under /tmp.
    if ((${#PG_SOCKDIR} > 90)); then
        PG_SOCKDIR="/tmp/pathfinder-pg-$(repo_hash)-sock"
    fi
    PG_LOG="$PG_BASE/pg.log"
}

repo_hash() { printf '%s' "$PF_REPO" | sha256sum | cut -c1-12; }

tmp_base() { printf '/tmp/pathfinder-pg-%s' "$(repo_hash)"; }

# Where a new cluster goes: .data/ unless we are root and the postgres user cannot reach it.
choose_base() {
    if [[ $EUID -ne 0 ]]; then
        printf '%s' "$PF_DATA"
        return
    fi
    mkdir -p "$PF_DATA"
    # `test -x` as postgres checks search permission on every parent folder too.
    if runuser -u postgres -- test -x "$PF_DATA" 2>/dev/null &&
        install -d -m 700 -o postgres -g "$(id -gn postgres)" "$PF_DATA/pg" 2>/dev/null &&
        runuser -u postgres -- test -w "$PF_DATA/pg" 2>/dev/null; then
        printf '%s' "$PF_DATA"
        return
    fi
    rmdir "$PF_DATA/pg" 2>/dev/null || true
    say "the postgres user cannot reach $PF_DATA (a parent folder is private), so the cluster goes to $(tmp_base)" \
        "(.data/pg-cluster points there)"
    tmp_base
}

# PostgreSQL refuses to run as root: as root, a `postgres` system user owns the cluster.
ensure_postgres_user() {
    [[ $EUID -eq 0 ]] || return 0
    id -u postgres >/dev/null 2>&1 && return 0
    command -v useradd >/dev/null 2>&1 || die "no 'postgres' user and no useradd to create it; create a postgres user"
    useradd --system --user-group --no-create-home --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
    say "created the system user postgres (PostgreSQL refuses to run as root)"
}

# Sets PG_BINDIR (with initdb, pg_ctl, postgres), preferring the version an existing cluster was made with.
find_server_tools() {
    local want="" initdb
    if [[ -f $PG_DATADIR/PG_VERSION ]]; then
        want=$(<"$PG_DATADIR/PG_VERSION")
        if [[ -x /usr/lib/postgresql/$want/bin/pg_ctl ]]; then
            PG_BINDIR="/usr/lib/postgresql/$want/bin"
            return
        fi
    fi
    if ! initdb=$(pf_find_pg_tool initdb); then
        pf_apt_install "$TAG" postgresql postgresql-contrib ||
            die "no PostgreSQL server programs (initdb, pg_ctl) found: install the Debian packages" \
                "postgresql postgresql-contrib (or your system's PostgreSQL server package), or set DATABASE_URL"
        initdb=$(pf_find_pg_tool initdb) || die "initdb still not found after installing postgresql"
    fi
    PG_BINDIR=$(dirname "$(readlink -f "$initdb")")
    [[ -x $PG_BINDIR/pg_ctl ]] || die "found $initdb but no pg_ctl beside it in $PG_BINDIR"
    if [[ -n $want ]]; then
        local have
        have=$("$PG_BINDIR/pg_ctl" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/')
        [[ $have == "$want" ]] || die "the private cluster in $PG_DATADIR was made by PostgreSQL $want but the" \
            "installed programs are version $have; remove it with: make clean-data"
    fi
}

# Runs a command as the cluster's owner: postgres when we are root, else ourselves. From / so that a private
# working directory does not bother the postgres user. fd 9 (our lock) is closed so the server cannot inherit it.
as_owner() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u "$PG_OWNER" -- "$@" 9>&-)
    else
        "$@" 9>&-
    fi
}

set_owner() {
    if [[ $EUID -eq 0 ]]; then
        command -v runuser >/dev/null 2>&1 || die "running as root needs runuser (util-linux) to start PostgreSQL"
        PG_OWNER=postgres
        if [[ -d $PG_DATADIR ]]; then
            PG_OWNER=$(stat -c %U "$PG_DATADIR")
            [[ $PG_OWNER != root ]] || PG_OWNER=postgres
        fi
    else
        PG_OWNER=$(id -un)
        if [[ -d $PG_DATADIR ]] && [[ $(stat -c %U "$PG_DATADIR") != "$PG_OWNER" ]]; then
            die "the private cluster in $PG_DATADIR belongs to user $(stat -c %U "$PG_DATADIR"); run as that user" \
                "(or root), or remove it with: make clean-data"
        fi
    fi
}

cluster_running() {
    [[ -f $PG_DATADIR/PG_VERSION ]] && as_owner "$PG_BINDIR/pg_ctl" -D "$PG_DATADIR" status >/dev/null 2>&1
}

# Port the running cluster listens on (line 4 of postmaster.pid).
running_port() {
    sed -n 4p "$PG_DATADIR/postmaster.pid"
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Creates a folder owned by the cluster's owner.
owned_dir() {
    local mode=$1 dir=$2
    if [[ $EUID -eq 0 ]]; then
        install -d -m "$mode" -o "$PG_OWNER" -g "$(id -gn "$PG_OWNER")" "$dir"
    else
        install -d -m "$mode" "$dir"
    fi
}

init_cluster() {
    owned_dir 700 "$PG_DATADIR"
    local initlog="$PG_BASE/initdb.log"
    if ! as_owner "$PG_BINDIR/initdb" -D "$PG_DATADIR" -U postgres --auth-local=trust --auth-host=trust \
        -E UTF8 --locale=C >"$initlog.tmp" 2>&1; then
        cat "$initlog.tmp" >&2
        die "initdb failed in $PG_DATADIR (output above)"
    fi
    mv -f "$initlog.tmp" "$initlog"
    say "initialized a new cluster in $PG_DATADIR (superuser postgres, trust auth, 127.0.0.1 only)"
}

# Settings live in pathfinder.conf (rewritten at every start), included from postgresql.conf.
write_cluster_config() {
    as_owner tee "$PG_DATADIR/pathfinder.conf" >/dev/null <<EOF
# Written by scripts/db.sh at every start of the private cluster: change the script, not this file.
listen_addresses = '127.0.0.1'
port = $PRIVATE_PORT
unix_socket_directories = '$PG_SOCKDIR'
max_connections = 200
# Durability stays on: make bench compares against this server and must measure real commits.
fsync = on
synchronous_commit = on
full_page_writes = on
logging_collector = off
log_line_prefix = '%m [%p] '
EOF
    if ! grep -q "^include_if_exists = 'pathfinder.conf'" "$PG_DATADIR/postgresql.conf"; then
        printf "\n# Settings of CaptPathfinder's scripts/db.sh\ninclude_if_exists = 'pathfinder.conf'\n" |
            as_owner tee -a "$PG_DATADIR/postgresql.conf" >/dev/null
    fi
}

record_location() {
    mkdir -p "$PF_DATA"
    {
        echo "# Written by scripts/db.sh: where this checkout's private PostgreSQL cluster lives."
        printf 'PF_PG_BASE=%q\n' "$PG_BASE"
        printf 'PF_PG_DATADIR=%q\n' "$PG_DATADIR"
        printf 'PF_PG_BINDIR=%q\n' "$PG_BINDIR"
    } >"$CLUSTER_FILE"
    # .data/pg.log is the server log, wherever the cluster lives.
    if [[ $PG_BASE != "$PF_DATA" ]]; then
        ln -sfn "$PG_LOG" "$PF_DATA/pg.log"
    fi
}

# Starts (or reuses) the private cluster; sets PRIVATE_URL_PORT and STARTED (yes/no).
start_private_cluster() {
    ensure_postgres_user
    resolve_location decide
    set_owner
    find_server_tools
    if [[ $PG_BASE != "$PF_DATA" ]]; then
        install -d -m 755 "$PG_BASE"
        [[ $EUID -ne 0 ]] || chown "$PG_OWNER:$(id -gn "$PG_OWNER")" "$PG_BASE"
    fi
    record_location

    if cluster_running; then
        PRIVATE_URL_PORT=$(running_port)
        STARTED=no
        return
    fi

    [[ -f $PG_DATADIR/PG_VERSION ]] || init_cluster
    if port_in_use "$PRIVATE_PORT"; then
        die "port $PRIVATE_PORT on 127.0.0.1 is taken by another program; choose another: PF_PRIVATE_PG_PORT=<port>"
    fi
    owned_dir 755 "$PG_SOCKDIR"
    # pg_ctl opens the log as the owner, who may not be allowed to create files in .data/.
    touch "$PG_LOG"
    [[ $EUID -ne 0 ]] || chown "$PG_OWNER" "$PG_LOG"
    write_cluster_config
    if ! as_owner "$PG_BINDIR/pg_ctl" -D "$PG_DATADIR" -l "$PG_LOG" -w -t 60 start >/dev/null; then
        tail -n 20 "$PG_LOG" >&2 || true
        die "the private cluster did not start (log above, full log in $PF_DATA/pg.log)"
    fi
    PRIVATE_URL_PORT=$PRIVATE_PORT
    STARTED=yes
}

# ---------------------------------------------------------------------------------------------------------------
# Commands.

cmd_start() {
    take_lock
    find_client_tools

    local user_set=no target app_url admin_url err
    [[ -n ${DATABASE_URL:-} ]] && user_set=yes
    target=${DATABASE_URL:-$DEFAULT_URL}
    pf_url_split "$target" || die "DATABASE_URL must be a postgres:// URL, got: $(pf_url_redact "$target")"
    local target_db=$PF_URL_DB
    admin_url=$(pf_url_with_db "$target" postgres)

    if server_answers "$admin_url"; then
        if err=$(run_psql "$admin_url" -c 'select 1' 2>&1 >/dev/null); then
            if [[ $user_set == yes && -n $target_db ]]; then
                app_url=$target
            else
                app_url=$(pf_url_with_db "$target" "$APP_DB")
            fi
            say "using PostgreSQL at $(pf_url_redact "$target")"
            pf_url_split "$app_url"
            ensure_database "$admin_url" "$PF_URL_DB"
            write_env_file "$app_url" "$admin_url"
            return
        fi
        if [[ $user_set == yes ]]; then
            die "PostgreSQL at $(pf_url_redact "$admin_url") answers but refused us: ${err%%$'\n'*}"
        fi
        say "PostgreSQL at $(pf_url_redact "$target") answers but refused us (${err%%$'\n'*}); using a private" \
            "cluster instead"
    fi

    start_private_cluster
    local dir=$PG_DATADIR
    if [[ $STARTED == yes ]]; then
        say "no server at $(pf_url_redact "$target"); started a private cluster in $dir on port" \
            "$PRIVATE_URL_PORT (stop it with: make db-stop)"
    else
        say "no server at $(pf_url_redact "$target"); reusing the private cluster in $dir on port" \
            "$PRIVATE_URL_PORT (stop it with: make db-stop)"
    fi
    admin_url="postgres://postgres@127.0.0.1:$PRIVATE_URL_PORT/postgres"
    app_url="postgres://postgres@127.0.0.1:$PRIVATE_URL_PORT/$APP_DB"
    ensure_database "$admin_url" "$APP_DB"
    write_env_file "$app_url" "$admin_url"
}

# Sets up PG_* for an existing private cluster; returns 1 if this checkout has none.
locate_existing_cluster() {
    resolve_location || return 1
    [[ -f $PG_DATADIR/PG_VERSION ]] || return 1
    set_owner
    find_server_tools
}

cmd_stop() {
    [[ -d $PF_DATA ]] && take_lock
    if ! locate_existing_cluster; then
        say "no private cluster in this checkout; nothing to stop"
        return
    fi
    if cluster_running; then
        as_owner "$PG_BINDIR/pg_ctl" -D "$PG_DATADIR" -m fast -w -t 60 stop >/dev/null
        say "stopped the private cluster in $PG_DATADIR"
    else
        say "the private cluster in $PG_DATADIR is not running"
    fi
}

cmd_status() {
    if ! locate_existing_cluster; then
        say "no private cluster in this checkout"
    elif cluster_running; then
        say "the private cluster in $PG_DATADIR runs on port $(running_port)"
    else
        say "the private cluster in $PG_DATADIR is stopped"
    fi
}

cmd_clean() {
    cmd_stop
    if resolve_location 2>/dev/null && [[ $PG_BASE != "$PF_DATA" ]]; then
        # Only ever delete a folder this script made for this checkout.
        if [[ $PG_BASE == "$(tmp_base)" ]]; then
            rm -rf -- "$PG_BASE"
            say "removed $PG_BASE"
        else
            say "left $PG_BASE in place (PF_PRIVATE_PG_DIR): remove it yourself if you no longer need it"
        fi
    fi
    local sock
    sock="/tmp/pathfinder-pg-$(repo_hash)-sock"
    [[ ! -d $sock ]] || rm -rf -- "$sock"
    if [[ -e $PF_DATA ]]; then
        rm -rf -- "$PF_DATA"
        say "removed $PF_DATA"
    fi
    if [[ -f $DOTENV_FILE ]] && head -n 1 "$DOTENV_FILE" | grep -qF "$DOTENV_MARKER"; then
        rm -f -- "$DOTENV_FILE"
        say "removed $DOTENV_FILE"
    fi
}

case "${1:-start}" in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
clean) cmd_clean ;;
-h | --help | help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
*) die "unknown command '$1' (use: start, stop, status, clean)" ;;
esac
