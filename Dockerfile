# syntax=docker/dockerfile:1
# CaptPathfinder container images: one Dockerfile, one target per binary.
#
#   docker build --target ingest-api     -t captpathfinder/ingest-api:0.1.0 .
#   docker build --target classifier     -t captpathfinder/classifier:0.1.0 .
#   docker build --target digest-sender  -t captpathfinder/digest-sender:0.1.0 .
#   docker build --target report-builder -t captpathfinder/report-builder:0.1.0 .
#   docker build --target pathfinder     -t captpathfinder/pathfinder:0.1.0 .     (operator CLI: migrate, jobs, ...)
#
# (docker-compose.yml builds all of them.) Stages:
#   chef     Rust toolchain + cargo-chef (crates.io).
#   planner  cargo chef prepare: a recipe of the workspace's dependencies, from the manifests only.
#   builder  cargo chef cook builds the dependencies alone (a layer that stays cached until Cargo.toml or
#            Cargo.lock change), then the workspace's own crates in release, all five binaries in one cargo run.
#   runtime  debian slim with ca-certificates, user 10001, WORKDIR /app holding config/ (rules, templates), the
#            binaries in /usr/local/bin and pf-healthcheck (bash /dev/tcp; the image has no curl).
#   one small target per service on top of runtime: ENTRYPOINT, EXPOSE, HEALTHCHECK.
#
# TLS: reqwest and lettre use rustls with aws-lc-rs. aws-lc-sys (0.47, see Cargo.lock) builds with its "cc builder"
# and pregenerated bindings on x86_64 and aarch64 Linux: gcc and libc6-dev, both in the rust slim image, are enough
# (no cmake, clang, Go or NASM). Root certificates come from the runtime's ca-certificates (rustls-native-certs).

# The base images. Override them with --build-arg (scripts/container-check.sh does, with local images made from
# Debian packages, where no registry is reachable); the defaults are what users get.
ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm
ARG RUST_IMAGE=rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE}
ARG RUNTIME_IMAGE=debian:${DEBIAN_RELEASE}-slim

FROM ${RUST_IMAGE} AS chef
ARG CARGO_CHEF_VERSION=0.1.78
RUN cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}" \
    && rm -rf "${CARGO_HOME}/registry"
WORKDIR /build
ENV CARGO_TERM_COLOR=never \
    CARGO_INCREMENTAL=0

FROM chef AS planner
COPY Cargo.toml Cargo.lock ./
COPY crates crates
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
# The five shipped binaries' packages (pathfinder-bench's webhook-load is a load tool, not shipped).
ARG PACKAGES="-p ingest-api -p classifier -p digest-sender -p report-builder -p pathfinder-cli"
COPY --from=planner /build/recipe.json recipe.json
# hadolint ignore=SC2086
RUN cargo chef cook --release --locked --recipe-path recipe.json ${PACKAGES}
COPY Cargo.toml Cargo.lock ./
COPY crates crates
# Embedded at compile time: the migrations (refinery) and config/default.toml (include_str!).
COPY migrations migrations
COPY config config
# hadolint ignore=SC2086
RUN cargo build --release --locked ${PACKAGES} --bins \
    && mkdir -p /out \
    && for bin in ingest-api classifier digest-sender report-builder pathfinder; do \
           cp "target/release/${bin}" /out/; \
       done

FROM ${RUNTIME_IMAGE} AS runtime
COPY deploy/docker/pf-healthcheck /usr/local/bin/pf-healthcheck
# Time zones are compiled in (chrono-tz): no tzdata needed.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && chmod 0755 /usr/local/bin/pf-healthcheck \
    && groupadd --system --gid 10001 pathfinder \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --no-create-home --shell /usr/sbin/nologin pathfinder \
    && mkdir -p /app/reports /app/digest-outbox \
    && chown 10001:10001 /app/reports /app/digest-outbox
WORKDIR /app
# Read at run time: RULES_PATH (config/classification.toml) and PATHFINDER_DELIVERY__TEMPLATES_DIR
# (config/templates). Owned by root, so the services cannot change them.
COPY config config
COPY --from=builder /out/ /usr/local/bin/
ENV LOG_FORMAT=json \
    REPORTS_DIR=/app/reports \
    PATHFINDER_DELIVERY__OUTBOX_DIR=/app/digest-outbox
USER 10001:10001
# The binaries handle SIGTERM (finish in-flight work, then exit) and run as PID 1 without a shell.
STOPSIGNAL SIGTERM

FROM runtime AS ingest-api
ENV BIND_ADDR=0.0.0.0:8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=6s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/pf-healthcheck", "BIND_ADDR", "/ready"]
ENTRYPOINT ["/usr/local/bin/ingest-api"]

FROM runtime AS classifier
ENV HEALTH_ADDR=0.0.0.0:9090
EXPOSE 9090
HEALTHCHECK --interval=10s --timeout=6s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/pf-healthcheck", "HEALTH_ADDR", "/ready"]
ENTRYPOINT ["/usr/local/bin/classifier"]

FROM runtime AS digest-sender
ENV HEALTH_ADDR=0.0.0.0:9090
EXPOSE 9090
HEALTHCHECK --interval=10s --timeout=6s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/pf-healthcheck", "HEALTH_ADDR", "/ready"]
ENTRYPOINT ["/usr/local/bin/digest-sender"]

FROM runtime AS report-builder
ENV HEALTH_ADDR=0.0.0.0:9090
EXPOSE 9090
HEALTHCHECK --interval=10s --timeout=6s --start-period=20s --retries=3 \
    CMD ["/usr/local/bin/pf-healthcheck", "HEALTH_ADDR", "/ready"]
ENTRYPOINT ["/usr/local/bin/report-builder"]

# Operator CLI and the one-shot migration: `docker run --rm -e DATABASE_URL=... captpathfinder/pathfinder migrate`.
# Last on purpose: a plain `docker build .` (no --target) gives this image, which has no long-running process.
FROM runtime AS pathfinder
ENTRYPOINT ["/usr/local/bin/pathfinder"]
CMD ["--help"]
