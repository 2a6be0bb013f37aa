#!/usr/bin/env bash
# scripts/supply-chain.sh: what may enter the build (what `make supply-chain` and .ci/run run).
#
#   1. No unsafe code: the root Cargo.toml forbids it ([workspace.lints.rust] unsafe_code = "forbid"), every crate
#      under crates/ inherits those lints ([lints] workspace = true), and no source file holds `unsafe` or allows
#      `unsafe_code` (comments aside). A crate that opts out fails here.
#   2. cargo-deny (installed when missing: cargo install cargo-deny --locked) with deny.toml, offline:
#      advisories (RustSec), bans (duplicate versions, wildcards), licenses, sources (crates.io only).
#      The advisory database is a local copy of RustSec's: $PF_ADVISORY_DB when set (and then only there), else
#      ../shared/advisory-db beside the repository, else /work/shared/advisory-db. cargo-deny reads it only from a git repository, so the copy is
#      committed to a temporary repository dated by its newest advisory, and its age is printed.
#      Without any copy the advisories are NOT checked: the script says so loudly, still checks bans, licenses and
#      sources, and fails under CI (CI=true) so that a lost database cannot pass unnoticed.
#   PF_ADVISORY_DB_MAX_AGE_DAYS: oldest copy accepted (default 365; cargo-deny's own default is 90). A copy older
#   than 90 days is accepted with a warning: advisories published since then are not known to it.
# Exits non-zero if any check failed.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TAG="supply-chain"
say() { pf_say "$TAG" "$@"; }

cd "$PF_REPO"
status=0

# ---- 1. No unsafe code --------------------------------------------------------------------------------------------

check_no_unsafe() {
    local ok=0 manifest
    if ! awk '/^\[/ { section = $0 } section == "[workspace.lints.rust]" && /^unsafe_code *= *"forbid"/ { found = 1 }
              END { exit !found }' Cargo.toml; then
        say "Cargo.toml: [workspace.lints.rust] must set unsafe_code = \"forbid\""
        ok=1
    fi
    for manifest in crates/*/Cargo.toml; do
        if ! awk '/^\[/ { section = $0 } section == "[lints]" && /^workspace *= *true/ { found = 1 }
                  END { exit !found }' "$manifest"; then
            say "$manifest: needs [lints] workspace = true (the workspace forbids unsafe_code)"
            ok=1
        fi
    done
    # `unsafe` blocks, functions, impls, traits, extern blocks and attributes, and lint levels that would let
    # unsafe_code through; line comments are dropped first (a string that merely says "unsafe" is no match).
    local hits
    # shellcheck disable=SC2016  # $0 is awk's, not the shell's
    hits=$(find crates -name '*.rs' -not -path '*/target/*' -print0 |
        xargs -0 awk '{ line = $0; sub(/\/\/.*/, "", line) }
            line ~ /(^|[^A-Za-z0-9_])unsafe[ \t]*(\{|fn[^A-Za-z0-9_]|impl[^A-Za-z0-9_]|trait[^A-Za-z0-9_]|extern[^A-Za-z0-9_]|\(|$)/ ||
            line ~ /(allow|expect|warn)[ \t]*\([^)]*unsafe_code/ { print FILENAME ":" FNR ": " $0 }')
    if [[ -n $hits ]]; then
        say "unsafe code in the workspace:"
        printf '%s\n' "$hits" >&2
        ok=1
    fi
    return "$ok"
}

if check_no_unsafe; then
    say "no unsafe: ok ($(find crates -mindepth 2 -maxdepth 2 -name Cargo.toml | wc -l) crates inherit unsafe_code = \"forbid\"; no unsafe in their sources)"
else
    say "no unsafe: FAILED"
    status=1
fi

# ---- 2. cargo-deny ------------------------------------------------------------------------------------------------

if ! cargo deny --version >/dev/null 2>&1; then
    say "cargo-deny is missing; installing it (cargo install cargo-deny --locked; a few minutes)"
    cargo install cargo-deny --locked
fi

# cargo-deny runs `cargo metadata --offline`, which needs every platform's crates on disk: fetch them (crates.io).
cargo fetch --locked --quiet

# An explicit PF_ADVISORY_DB is the only place looked at: a wrong one must not fall back silently.
db_candidates=("$PF_REPO/../shared/advisory-db" /work/shared/advisory-db)
[[ -n ${PF_ADVISORY_DB:-} ]] && db_candidates=("$PF_ADVISORY_DB")

find_advisory_db() {
    local candidate
    for candidate in "${db_candidates[@]}"; do
        if [[ -d $candidate/crates ]]; then
            (cd "$candidate" && pwd -P)
            return 0
        fi
    done
    [[ -z ${PF_ADVISORY_DB:-} ]] || say "PF_ADVISORY_DB=$PF_ADVISORY_DB is not an advisory database (no crates/ folder)"
    return 1
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

checks=(advisories bans licenses sources)
config=deny.toml
if db=$(find_advisory_db); then
    # Newest advisory in the copy (its `date = "YYYY-MM-DD"` lines) dates the temporary repository.
    newest=$(grep -rhoE '^date = "[0-9]{4}-[0-9]{2}-[0-9]{2}"' "$db/crates" "$db/rust" 2>/dev/null |
        sed -E 's/.*"(.*)"/\1/' | sort | tail -n 1) || true
    [[ -n $newest ]] || pf_die "$TAG" "$db holds no dated advisory: is it a RustSec advisory-db copy?"
    age_days=$((($(date -u +%s) - $(date -u -d "$newest" +%s)) / 86400))
    max_age=${PF_ADVISORY_DB_MAX_AGE_DAYS:-365}

    # cargo-deny keeps each database in <db-path>/<name>-<hash of its URL>: ask it where it looks for the default
    # RustSec URL (the path is in its debug log), then put a git copy there.
    printf '[advisories]\ndb-path = "%s/dbs"\n' "$work" >"$work/probe.toml"
    repo=$(cargo deny -L debug --offline --config "$work/probe.toml" check advisories 2>&1 |
        sed -nE "s/.*Opening advisory database at '([^']+)'.*/\1/p" | head -n 1) || true
    [[ -n $repo && $repo == "$work/dbs/"* ]] ||
        pf_die "$TAG" "cannot tell where cargo-deny $(cargo deny --version) looks for its advisory database"
    mkdir -p "$repo"
    cp -R "$db/." "$repo/"
    chmod -R u+w "$repo"
    (
        cd "$repo"
        export GIT_AUTHOR_DATE="${newest}T00:00:00Z" GIT_COMMITTER_DATE="${newest}T00:00:00Z"
        git init -q
        git add -A
        git -c user.name=supply-chain -c user.email=supply-chain@localhost -c commit.gpgsign=false \
            commit -q -m "RustSec advisory-db copy from $db"
        touch -d "${newest}T00:00:00Z" .git/HEAD
    )
    # deny.toml with the database's place and the oldest copy accepted.
    awk -v path="$work/dbs" -v age="P${max_age}D" \
        '{ print } /^\[advisories\]/ { print "db-path = \"" path "\""; print "maximum-db-staleness = \"" age "\"" }' \
        deny.toml >"$work/deny.toml"
    config="$work/deny.toml"
    say "advisory database: $db (newest advisory $newest, $age_days days old)"
    if ((age_days > 90)); then
        say "WARNING: the advisory database copy is $age_days days old: advisories published after $newest are not" \
            "checked. Refresh shared/advisory-db."
    fi
else
    checks=(bans licenses sources)
    say "########################################################################################################"
    say "# NO ADVISORY DATABASE: security advisories are NOT checked (looked in: ${db_candidates[*]})."
    say "# Checking bans, licenses and sources only. Set PF_ADVISORY_DB to a RustSec advisory-db copy."
    say "########################################################################################################"
    if [[ ${CI:-} == true ]]; then
        status=1
    fi
fi

say "cargo deny --offline check ${checks[*]} ($(cargo deny --version))"
if ! cargo deny --offline --color never --config "$config" check --show-stats "${checks[@]}"; then
    say "cargo-deny: FAILED (see above; deny.toml says how each check is configured)"
    status=1
fi

if ((status != 0)); then
    say "FAILED"
    exit "$status"
fi
if ((${#checks[@]} == 3)); then
    say "bans, licenses, sources and no-unsafe ok; advisories NOT CHECKED (no database)"
else
    say "advisories, bans, licenses, sources and no-unsafe ok"
fi
