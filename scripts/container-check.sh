#!/usr/bin/env bash
# scripts/container-check.sh: build every image of the Dockerfile and run docker-compose.yml's stack with podman, on a
# machine with no Docker engine and no image registry (what `make container-check` runs). Steps:
#
#   1. Tools: podman, debootstrap and iptables (Debian packages, installed system-wide with --no-install-recommends
#      when missing, saying so), podman-compose (PyPI, version $PF_PODMAN_COMPOSE_VERSION, into the project's .venv/).
#      podman needs `[containers]` `default_ulimits = []` in /etc/containers/containers.conf here, and `[engine]`
#      `runtime = "runc"` (Debian's runc) where crun refuses hybrid cgroups; each written only when needed, saying so.
#   2. Base images, made once and kept (skipped when present; PF_REBUILD_BASES=1 remakes them):
#        localhost/pf-base/debian:<release>-slim   debootstrap --variant=minbase of the Dockerfile's DEBIAN_RELEASE,
#                                                  `podman import`ed: stands in for debian:<release>-slim
#        localhost/pf-base/rust:<v>-slim-<release> the same plus gcc, libc6-dev, pkg-config and a copy of this
#                                                  machine's Rust toolchain (rustup's, without its docs): stands in
#                                                  for rust:<v>-slim-<release> when that cannot be pulled
#      and the stand-ins for the compose file's outside images, which no registry here serves:
#        postgres:15             -> localhost/pf-standin/postgres:15 (Debian's postgresql-15, an entrypoint honouring
#                                   POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_DB like the official image's)
#        python:3.12-alpine      -> localhost/pf-standin/python3:<release> (Debian's python3, for the outside fake)
#        axllent/mailpit:latest  -> the same python3 image running Debian's aiosmtpd as an SMTP sink on port 1025
#                                   that prints every message (podman logs); no web UI
#   3. `podman build` of every target of the real Dockerfile (--build-arg RUST_IMAGE=..., RUNTIME_IMAGE=...), tagged
#      captpathfinder/<target>:$PF_CHECK_TAG; the first build compiles, the others reuse its layers. Runs under
#      `nice`; cargo uses the machine's cores (2 here).
#   4. The stack: podman-compose with docker-compose.yml and an override file (stand-in images) written to a temp dir,
#      project name $PF_CHECK_PROJECT, host ports $PF_CHECK_HTTP_PORT (ingest-api), $PF_CHECK_FAKE_PORT (outside fake),
#      $PF_CHECK_MAILPIT_PORT. podman 4.3 cannot wait for "healthy", so the script starts postgres and the fakes
#      first and runs their health checks itself. Then: a signed webhook (WEBHOOK_SECRETS set, GitHub-style
#      X-Hub-Signature-256) -> its detection in the database -> `pathfinder jobs run weekly-digest` in a container
#      (compose run of the migrate service) -> the Teams card at the fake, the email at the SMTP sink, both digests
#      'sent' in the database. Each service's start time (podman start to /ready answering 200) is measured.
#   5. Tear down: containers, network and volumes (podman-compose down -v); the images stay, so the next run only
#      rebuilds what changed. PF_CHECK_KEEP=1 leaves the stack running.
# The summary at the end gives image sizes, start times and how long each step took.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TAG="container-check"
say() { pf_say "$TAG" "$@"; }
die() { pf_die "$TAG" "$@"; }

PODMAN_COMPOSE_VERSION=${PF_PODMAN_COMPOSE_VERSION:-1.6.0}
CHECK_TAG=${PF_CHECK_TAG:-container-check}
PROJECT=${PF_CHECK_PROJECT:-pf-container-check}
HTTP_PORT=${PF_CHECK_HTTP_PORT:-18480}
FAKE_PORT=${PF_CHECK_FAKE_PORT:-18490}
MAILPIT_PORT=${PF_CHECK_MAILPIT_PORT:-18425}
DEBIAN_MIRROR=${PF_DEBIAN_MIRROR:-http://deb.debian.org/debian}
TARGETS=(ingest-api classifier digest-sender report-builder pathfinder)
SERVICES=(ingest-api classifier digest-sender report-builder)
WEBHOOK_SECRET="container-check-secret"

cd "$PF_REPO"
START_ALL=$(date +%s)
WORK=$(mktemp -d)
SUMMARY=()
note() {
    SUMMARY+=("$*")
    say "$*"
}
# step NAME: time the steps for the summary.
STEP_NAME="" STEP_START=0
step() {
    local now
    now=$(date +%s)
    [[ -z $STEP_NAME ]] || SUMMARY+=("time: $STEP_NAME $((now - STEP_START)) s")
    STEP_NAME=$1 STEP_START=$now
    [[ -z $1 ]] || say "== $1"
}

# shellcheck disable=SC2317  # called from the EXIT trap
on_exit() {
    local rc=$?
    trap - EXIT
    if ((rc != 0)) && [[ -f $WORK/override.yml ]]; then
        say "failed: the containers' last log lines"
        local c
        for c in $(podman ps -a --filter "label=com.docker.compose.project=$PROJECT" --format '{{.Names}}'); do
            podman logs --tail 8 "$c" 2>&1 | sed "s/^/  $c: /" >&2 || true
        done
    fi
    if [[ -f $WORK/override.yml ]]; then teardown; fi
    rm -rf "$WORK"
    exit "$rc"
}
trap on_exit EXIT

# --- 1. tools
step "tools"
[[ $EUID -eq 0 ]] || die "run as root: rootful podman (rootless podman needs subuid ranges this script does not set up)"
missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
# netavark (podman's container networks) runs iptables; Debian's podman does not depend on it.
command -v iptables >/dev/null 2>&1 || missing+=(iptables)
if ((${#missing[@]} > 0)); then
    pf_apt_install "$TAG" "${missing[@]}" ||
        die "missing: ${missing[*]} (Debian packages) and cannot install them here"
fi
CONF=/etc/containers/containers.conf
if ! grep -Eq '^[[:space:]]*default_ulimits[[:space:]]*=[[:space:]]*\[[[:space:]]*\]' "$CONF" 2>/dev/null; then
    if [[ -s $CONF ]] && grep -q '^\[containers\]' "$CONF"; then
        die "$CONF has a [containers] table without default_ulimits = []: add that line under it (podman's" \
            "default ulimits cannot be set in this sandbox)"
    fi
    say "writing $CONF: [containers] default_ulimits = [] (podman cannot set its default ulimits here)"
    mkdir -p "$(dirname "$CONF")"
    printf '[containers]\ndefault_ulimits = []\n' >>"$CONF"
fi
if [[ ! -x $PF_VENV/bin/podman-compose ]] ||
    [[ $("$PF_VENV/bin/python" -m pip show podman-compose 2>/dev/null | sed -n 's/^Version: //p') != "$PODMAN_COMPOSE_VERSION" ]]; then
    where=${PF_VENV#"$PF_REPO"/}
    if [[ ! -x $PF_VENV/bin/python ]]; then
        command -v python3 >/dev/null 2>&1 || pf_apt_install "$TAG" python3 python3-venv || die "python3 not found"
        say "making the project's Python virtual environment $where/ (python3 -m venv $where)"
        python3 -m venv "$PF_VENV" || die "python3 -m venv $where failed (Debian package python3-venv?)"
    fi
    say "installing podman-compose==$PODMAN_COMPOSE_VERSION into $where/ (pip)"
    "$PF_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "podman-compose==$PODMAN_COMPOSE_VERSION" >&2 ||
        die "pip install podman-compose into $where/ failed"
fi
# --env-file /dev/null: an .env beside docker-compose.yml (make run's) must not change what is checked here.
PC=("$PF_VENV/bin/podman-compose" --no-ansi --env-file /dev/null -p "$PROJECT" -f docker-compose.yml -f "$WORK/override.yml")
say "$(podman --version), podman-compose $PODMAN_COMPOSE_VERSION"

# --- 2. base images
# The Dockerfile's defaults: the Debian release and the Rust version of its base images.
dockerfile_arg() { sed -nE "s/^ARG $1=([^[:space:]]+).*/\1/p" Dockerfile | head -n 1; }
RELEASE=$(dockerfile_arg DEBIAN_RELEASE)
RUST_VERSION=$(dockerfile_arg RUST_VERSION)
[[ -n $RELEASE && -n $RUST_VERSION ]] || die "cannot read DEBIAN_RELEASE / RUST_VERSION from the Dockerfile"
RUNTIME_IMAGE="localhost/pf-base/debian:$RELEASE-slim"
RUST_IMAGE="localhost/pf-base/rust:$RUST_VERSION-slim-$RELEASE"
PG_IMAGE="localhost/pf-standin/postgres:15"
PY_IMAGE="localhost/pf-standin/python3:$RELEASE"

# build_base IMAGE CONTEXT: podman build, quiet unless it fails.
build_base() {
    nice podman build -t "$1" "$2" >"$WORK/base-build.log" 2>&1 || {
        tail -n 30 "$WORK/base-build.log" >&2
        die "building $1 failed (the log's end above)"
    }
}
have_image() { [[ ${PF_REBUILD_BASES:-0} != 1 ]] && podman image exists "$1"; }

step "base images"
if have_image "$RUNTIME_IMAGE"; then
    say "$RUNTIME_IMAGE: present (PF_REBUILD_BASES=1 remakes it)"
else
    say "$RUNTIME_IMAGE: debootstrap --variant=minbase $RELEASE from $DEBIAN_MIRROR, then podman import"
    root="$WORK/rootfs"
    debootstrap --variant=minbase "$RELEASE" "$root" "$DEBIAN_MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
        tail -n 20 "$WORK/debootstrap.log" >&2
        die "debootstrap failed (log above)"
    }
    # The same sources as Debian's own images (updates and security too); no caches, docs or package lists.
    cat >"$root/etc/apt/sources.list" <<EOF
deb $DEBIAN_MIRROR $RELEASE main
deb $DEBIAN_MIRROR $RELEASE-updates main
deb http://deb.debian.org/debian-security $RELEASE-security main
EOF
    # Like Debian's official slim images: apt keeps no caches or .deb files in a layer, downloads no translations,
    # and dpkg installs no documentation, manual pages or translations.
    cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
Acquire::Languages "none";
Acquire::GzipIndexes "true";
EOF
    cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
EOF
    rm -rf "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
        "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
        "$root"/var/log/*.log
    tar -C "$root" -c . | podman import -q --change 'CMD ["bash"]' - "$RUNTIME_IMAGE" >/dev/null
    rm -rf "$root"
fi

# podman's default OCI runtime, crun, refuses a host with cgroup v1 and v2 mounted side by side ("cgroups in hybrid
# mode not supported", as here); runc runs there. Switched (in containers.conf) only when a container fails to start.
if ! podman run --rm --network none "$RUNTIME_IMAGE" true 2>"$WORK/probe.err"; then
    if grep -q 'hybrid mode' "$WORK/probe.err" && ! grep -q '^\[engine\]' "$CONF"; then
        command -v runc >/dev/null 2>&1 || pf_apt_install "$TAG" runc || die "crun cannot run here and runc cannot be installed"
        say "crun cannot run containers here (cgroups in hybrid mode): writing $CONF: [engine] runtime = \"runc\""
        printf '[engine]\nruntime = "runc"\n' >>"$CONF"
        podman run --rm --network none "$RUNTIME_IMAGE" true || die "podman cannot run a container with runc either"
    else
        cat "$WORK/probe.err" >&2
        die "podman cannot run a container (podman run --rm --network none $RUNTIME_IMAGE true)"
    fi
fi

# The Dockerfile's builder base, when a registry serves it; else a local one with this machine's toolchain.
RUST_FROM="rust:$RUST_VERSION-slim-$RELEASE"
if podman image exists "docker.io/library/$RUST_FROM"; then
    RUST_IMAGE="docker.io/library/$RUST_FROM"
elif have_image "$RUST_IMAGE"; then
    say "$RUST_IMAGE: present"
elif timeout 60 podman pull -q "docker.io/library/$RUST_FROM" >/dev/null 2>&1; then
    RUST_IMAGE="docker.io/library/$RUST_FROM"
    say "pulled $RUST_IMAGE"
else
    say "cannot pull $RUST_FROM (no registry): making $RUST_IMAGE from $RUNTIME_IMAGE and this machine's toolchain"
    rustc_bin=$(rustup which rustc 2>/dev/null || command -v rustc) || die "no Rust toolchain on this machine"
    toolchain=$(cd "$(dirname "$rustc_bin")/.." && pwd -P)
    have=$("$toolchain/bin/rustc" --version | awk '{print $2}')
    [[ $have == "$RUST_VERSION" || $have == "$RUST_VERSION".* ]] ||
        die "this machine's Rust is $have, the Dockerfile's RUST_VERSION is $RUST_VERSION"
    say "toolchain $toolchain (rustc $have), copied without share/ (docs)"
    ctx="$WORK/rust-context"
    mkdir -p "$ctx/rust"
    cp -a "$toolchain/bin" "$toolchain/lib" "$toolchain/libexec" "$ctx/rust/"
    [[ -d $toolchain/etc ]] && cp -a "$toolchain/etc" "$ctx/rust/"
    # This machine's own extra root certificates (it may reach crates.io through a TLS-intercepting proxy, as here):
    # cargo in the builder must trust what cargo on the machine trusts. Only the builder base gets them.
    mkdir -p "$ctx/extra-ca"
    extra_ca=(/usr/local/share/ca-certificates/*.crt)
    if [[ -e ${extra_ca[0]} ]]; then
        cp "${extra_ca[@]}" "$ctx/extra-ca/"
        say "adding this machine's extra CA certificates to the builder base: ${extra_ca[*]##*/}"
    fi
    cat >"$ctx/Containerfile" <<EOF
FROM $RUNTIME_IMAGE
COPY extra-ca/ /usr/local/share/ca-certificates/
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev pkg-config ca-certificates \\
    && rm -rf /var/lib/apt/lists/* && mkdir -p /usr/local/cargo/bin && update-ca-certificates >/dev/null
COPY rust /usr/local/rust
ENV RUSTUP_HOME=/usr/local/rustup CARGO_HOME=/usr/local/cargo \\
    PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    RUST_VERSION=$have
RUN cargo --version && rustc --version
EOF
    build_base "$RUST_IMAGE" "$ctx"
    rm -rf "$ctx"
fi

if have_image "$PG_IMAGE"; then
    say "$PG_IMAGE: present"
else
    say "$PG_IMAGE: Debian's postgresql-15 on $RUNTIME_IMAGE (stands in for postgres:15)"
    ctx="$WORK/pg-context"
    mkdir -p "$ctx"
    cat >"$ctx/entrypoint.sh" <<'EOF'
#!/bin/sh
# Stand-in for the official postgres image's entrypoint: POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, $PGDATA.
set -eu
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}" >/tmp/pwfile
    initdb -D "$PGDATA" -U "$user" --pwfile=/tmp/pwfile --auth-local=trust --auth-host=scram-sha-256 >/dev/null
    rm -f /tmp/pwfile
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    if [ "$db" != postgres ]; then
        echo "CREATE DATABASE \"$db\" OWNER \"$user\"" | postgres --single -D "$PGDATA" postgres >/dev/null
    fi
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/var/run/postgresql "$@"
EOF
    cat >"$ctx/Containerfile" <<EOF
FROM $RUNTIME_IMAGE
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-15 \\
    && rm -rf /var/lib/apt/lists/* \\
    && mkdir -p /var/lib/postgresql/data /var/run/postgresql \\
    && chown postgres:postgres /var/lib/postgresql/data /var/run/postgresql && chmod 0700 /var/lib/postgresql/data
COPY --chmod=0755 entrypoint.sh /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    PGDATA=/var/lib/postgresql/data
USER postgres
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]
EOF
    build_base "$PG_IMAGE" "$ctx"
fi

if have_image "$PY_IMAGE"; then
    say "$PY_IMAGE: present"
else
    say "$PY_IMAGE: Debian's python3 and python3-aiosmtpd on $RUNTIME_IMAGE (stands in for python:3.12-alpine" \
        "and, as an SMTP sink, for axllent/mailpit)"
    ctx="$WORK/py-context"
    mkdir -p "$ctx"
    cat >"$ctx/Containerfile" <<EOF
FROM $RUNTIME_IMAGE
RUN apt-get update && apt-get install -y --no-install-recommends python3 python3-aiosmtpd \\
    && rm -rf /var/lib/apt/lists/*
ENV PYTHONUNBUFFERED=1
CMD ["python3"]
EOF
    build_base "$PY_IMAGE" "$ctx"
fi
note "bases: runtime $RUNTIME_IMAGE, builder $RUST_IMAGE; stand-ins: postgres:15 -> $PG_IMAGE," \
    "python:3.12-alpine -> $PY_IMAGE, axllent/mailpit -> $PY_IMAGE (aiosmtpd SMTP sink, no web UI)"

# --- 3. the Dockerfile's targets
step "podman build (5 targets)"
for target in "${TARGETS[@]}"; do
    image="captpathfinder/$target:$CHECK_TAG"
    say "podman build --target $target -t $image --build-arg RUST_IMAGE=$RUST_IMAGE --build-arg RUNTIME_IMAGE=$RUNTIME_IMAGE ."
    t0=$(date +%s)
    nice podman build --layers --target "$target" -t "$image" \
        --build-arg "RUST_IMAGE=$RUST_IMAGE" --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE" . >"$WORK/build-$target.log" 2>&1 || {
        tail -n 40 "$WORK/build-$target.log" >&2
        die "podman build --target $target failed (the log's end above)"
    }
    say "$target built in $(($(date +%s) - t0)) s"
done

# --- 4. the stack
step "stack up"
cat >"$WORK/override.yml" <<EOF
# Written by scripts/container-check.sh: images no registry here serves, replaced by local stand-ins.
services:
  postgres:
    image: $PG_IMAGE
  outside-fake:
    image: $PY_IMAGE
  mailpit:
    image: $PY_IMAGE
    command: ["python3", "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Debugging", "-l", "0.0.0.0:1025"]
EOF
export PATHFINDER_TAG=$CHECK_TAG WEBHOOK_SECRETS=$WEBHOOK_SECRET ADMIN_TOKEN=container-check-admin \
    PF_HTTP_PORT=$HTTP_PORT PF_FAKE_PORT=$FAKE_PORT PF_MAILPIT_PORT=$MAILPIT_PORT LOG_FORMAT=json

container_of() {
    podman ps -a --filter "label=com.docker.compose.project=$PROJECT" \
        --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -n 1
}
teardown() {
    if [[ ${PF_CHECK_KEEP:-0} == 1 ]]; then
        say "PF_CHECK_KEEP=1: the stack stays up (.venv/bin/podman-compose -p $PROJECT -f docker-compose.yml down -v removes it)"
        return
    fi
    say "tearing down: podman-compose -p $PROJECT down -v (containers, network, volumes)"
    "${PC[@]}" down -v >"$WORK/down.log" 2>&1 || {
        cat "$WORK/down.log" >&2
        say "podman-compose down failed"
    }
}

# Leftovers of an interrupted run.
if [[ -n $(podman ps -aq --filter "label=com.docker.compose.project=$PROJECT") ]]; then
    say "removing the containers of an earlier run"
    "${PC[@]}" down -v >/dev/null 2>&1 || true
fi

# wait_healthy SERVICE SECONDS: run the container's health check until it passes.
wait_healthy() {
    local svc=$1 limit=$2 c i
    c=$(container_of "$svc")
    [[ -n $c ]] || die "no container for $svc"
    for ((i = 0; i < limit * 2; i++)); do
        podman healthcheck run "$c" >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    die "$svc is not healthy after $limit s"
}

# compose_up SERVICE...: podman-compose up -d --no-deps. podman 4.3 cannot wait for "healthy" (podman-compose skips
# those conditions) and its --requires links break once a dependency has exited ("depends on container ... not found
# in input list"), so the script starts the stack in compose's order itself: postgres and the fakes, their health
# checks, migrate to exit 0, then the four services and their health checks.
compose_up() {
    say "podman-compose up -d --no-deps $*"
    "${PC[@]}" up -d --no-build --no-deps "$@" >"$WORK/up.log" 2>&1 || {
        cat "$WORK/up.log" >&2
        die "podman-compose up $* failed"
    }
}
compose_up postgres outside-fake mailpit
wait_healthy postgres 60
wait_healthy outside-fake 30
compose_up migrate
migrate=$(container_of migrate)
rc=$(podman wait "$migrate") || die "podman wait $migrate failed"
[[ $rc == 0 ]] || die "migrate exited with $rc: $(podman logs --tail 5 "$migrate" 2>&1)"
say "migrate: $(podman logs "$migrate" 2>&1 | tail -n 1)"
compose_up "${SERVICES[@]}"
for svc in "${SERVICES[@]}"; do wait_healthy "$svc" 60; done
say "all four services healthy (their /ready answers 200)"

step "webhook and digest"
# db SQL: one value from the stack's database.
db() {
    podman exec "$(container_of postgres)" psql -U pathfinder -d pathfinder -XAtqc "$1"
}
body='{"userId":"c-42","username":"ada","profileField":"Job Title","value":"Chief Executive Officer","oldValue":null}'
signature=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" -r | cut -d' ' -f1)
unsigned=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "http://127.0.0.1:$HTTP_PORT/webhooks/community" \
    -H 'content-type: application/json' -d "$body")
[[ $unsigned == 401 ]] || die "an unsigned webhook got $unsigned, not 401 (WEBHOOK_SECRETS is set)"
answer=$(curl -s -XPOST "http://127.0.0.1:$HTTP_PORT/webhooks/community" -H 'content-type: application/json' \
    -H "X-Hub-Signature-256: sha256=$signature" -d "$body")
[[ $answer == *'"status":"accepted"'* ]] || die "the signed webhook was not accepted: $answer"
note "webhook: unsigned -> 401, signed (X-Hub-Signature-256) -> $answer"
detection=""
for ((i = 0; i < 40; i++)); do
    detection=$(db "SELECT seniority || ' ' || kind || ' (' || title || ')' FROM detections WHERE user_id = 'c-42'")
    [[ -n $detection ]] && break
    sleep 0.5
done
[[ -n $detection ]] || die "no detection for the webhook's member after 20 s (classifier)"
note "detection in PostgreSQL: $detection"

say "podman-compose run --rm --no-deps migrate jobs run weekly-digest"
digest=$("${PC[@]}" run --rm --no-deps migrate jobs run weekly-digest 2>"$WORK/digest.err") || {
    cat "$WORK/digest.err" >&2
    die "pathfinder jobs run weekly-digest failed"
}
digest=$(grep 'weekly-digest' <<<"$digest" | tail -n 1)
note "pathfinder jobs run weekly-digest (container): $digest"
sent=""
for ((i = 0; i < 40; i++)); do
    sent=$(db "SELECT string_agg(channel || ' ' || status || ' via ' || coalesce(transport, '?'), ', ' ORDER BY channel) FROM digests")
    [[ $sent == *"email sent"*"teams sent"* ]] && break
    sleep 0.5
done
[[ $sent == *"email sent"*"teams sent"* ]] || die "the digests were not both sent within 20 s: $sent"
note "digests in PostgreSQL: $sent"
teams=$(curl -s "http://127.0.0.1:$FAKE_PORT/_fake/deliveries")
[[ $teams == *'"channel":"teams"'* ]] || die "the fake received no Teams card: $teams"
note "Teams card received by the outside fake: $(grep -o '"channel":"teams","digestId":[0-9]*' <<<"$teams" | head -n 1)"
mail=$(podman logs "$(container_of mailpit)" 2>&1)
subject=$(grep -m1 -i '^Subject:' <<<"$mail" || true)
[[ -n $subject ]] || die "the SMTP sink received no email"
note "email received by the SMTP sink: $subject"

step "start times"
# Each service again from stopped: podman start to /ready answering 200 (polled every 50 ms from the host).
for svc in "${SERVICES[@]}"; do
    c=$(container_of "$svc")
    podman stop -t 10 "$c" >/dev/null
    ip=$(podman inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$c")
    port=9090
    [[ $svc == ingest-api ]] && port=8080
    t0=$(date +%s%N)
    podman start "$c" >/dev/null
    [[ -n $ip ]] || ip=$(podman inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$c")
    ready=""
    for ((i = 0; i < 600; i++)); do
        if [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://$ip:$port/ready") == 200 ]]; then
            ready=$(($(date +%s%N) - t0))
            break
        fi
        sleep 0.05
    done
    [[ -n $ready ]] || die "$svc: /ready did not answer 200 within 30 s of podman start"
    note "start: $svc: podman start -> /ready 200 in $((ready / 1000000)) ms"
done

step "teardown"
teardown
rm -f "$WORK/override.yml"
[[ -z $(podman ps -aq --filter "label=com.docker.compose.project=$PROJECT") ]] || die "containers left after down"
[[ -z $(podman volume ls -q --filter "label=com.docker.compose.project=$PROJECT") ]] || die "volumes left after down"
step ""

# --- 5. summary
say "summary"
for line in "${SUMMARY[@]}"; do printf '  %s\n' "$line" >&2; done
printf '  image sizes (podman images):\n' >&2
for target in "${TARGETS[@]}"; do
    podman images --format '    {{.Repository}}:{{.Tag}} {{.Size}}' "captpathfinder/$target:$CHECK_TAG" >&2
done
for image in "$RUNTIME_IMAGE" "$RUST_IMAGE" "$PG_IMAGE" "$PY_IMAGE"; do
    podman images --format '    {{.Repository}}:{{.Tag}} {{.Size}}' "$image" >&2
done
say "ok: 5 images built, the stack ran (signed webhook -> detection -> digests sent), torn down;" \
    "$(($(date +%s) - START_ALL)) s in all"
