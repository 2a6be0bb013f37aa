#!/usr/bin/env bash
# scripts/fuzz.sh: run every cargo-fuzz target in fuzz/ for a while (what `make fuzz` and .ci/run run).
#
#   scripts/fuzz.sh [--seconds N] [--target NAME]...
#     --seconds N     how long each target runs (default 300; CI runs 20)
#     --target NAME   run only this target (repeatable); default: every target `cargo fuzz list` names
#   PF_FUZZ_SANITIZER   address (default) or none (faster; our code has no unsafe, so ASan watches only dependencies)
#   PF_FUZZ_TARGET_DIR  where the fuzz build goes (default fuzz/target); CI keeps it outside the clone to reuse it
#
#   1. Installs cargo-fuzz when missing (cargo install cargo-fuzz --locked).
#   2. Copies Cargo.lock to fuzz/Cargo.lock (git-ignored), so the fuzzed crates build with exactly the dependency
#      versions the services use (cargo only adds libfuzzer-sys and what it needs).
#      Builds every target once: cargo fuzz build -O -a (optimised, with debug assertions and so overflow checks:
#      an arithmetic overflow is a crash here even though release builds of the services would wrap).
#   3. Runs each target for N seconds on the committed seeds (fuzz/corpus/<target>, only read) and the inputs
#      earlier local runs found (fuzz/corpus-local/<target>, git-ignored, where libFuzzer writes what it finds),
#      with the target's dictionary from fuzz/dict/. Payloads may be up to 64 KiB, like the routes' body limit.
#   4. On a crash, timeout or out-of-memory: prints the input's path (fuzz/artifacts/<target>/...), the command that
#      reproduces it, and the end of the log; carries on with the other targets and exits 1 at the end.
#      A crash found this way is fixed and becomes a regression test in the crate it is about.
#
# Why RUSTC_BOOTSTRAP=1: libFuzzer builds need nightly-only compiler flags (-Zsanitizer, the sancov passes; cargo
# fuzz passes them), and this project builds with the stable toolchain only (no nightly can be installed on its
# machines). RUSTC_BOOTSTRAP=1 lets the stable compiler accept those flags. It is set for these builds only,
# never for the services, whose builds stay on stable Rust with no unstable features.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TAG="fuzz"
say() { pf_say "$TAG" "$@"; }

seconds=300
targets=()
while (($# > 0)); do
    case $1 in
    --seconds)
        [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || pf_die "$TAG" "--seconds needs a positive whole number of seconds"
        seconds=$2
        shift 2
        ;;
    --target)
        [[ -n ${2:-} ]] || pf_die "$TAG" "--target needs a target name"
        targets+=("$2")
        shift 2
        ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) pf_die "$TAG" "unknown argument: $1 (try --help)" ;;
    esac
done

cd "$PF_REPO"
export RUSTC_BOOTSTRAP=1
sanitizer=${PF_FUZZ_SANITIZER:-address}
# The same build flags for build and run, so `cargo fuzz run` reuses the build.
build_flags=(--fuzz-dir fuzz -O -a --sanitizer "$sanitizer")
[[ -n ${PF_FUZZ_TARGET_DIR:-} ]] && build_flags+=(--target-dir "$PF_FUZZ_TARGET_DIR")

if ! cargo fuzz --version >/dev/null 2>&1; then
    say "cargo-fuzz is missing; installing it (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked
fi

if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(cargo fuzz list --fuzz-dir fuzz)
    ((${#targets[@]} > 0)) || pf_die "$TAG" "cargo fuzz list found no target in fuzz/"
fi

cp Cargo.lock fuzz/Cargo.lock
say "building ${targets[*]} ($(cargo fuzz --version), sanitizer $sanitizer, RUSTC_BOOTSTRAP=1)"
cargo fuzz build "${build_flags[@]}"

# Longest input per target: payloads up to the routes' 64 KiB body limit; a title is at most 1024 characters.
max_len() {
    case $1 in
    classify_title) echo 4096 ;;
    *) echo 65536 ;;
    esac
}

dict_for() {
    case $1 in
    community_payload | discourse_payload) echo fuzz/dict/json_payload.dict ;;
    *) [[ -f fuzz/dict/$1.dict ]] && echo "fuzz/dict/$1.dict" ;;
    esac
    return 0
}

# One libFuzzer statistic from a run's log ("stat::average_exec_per_sec:  1234").
stat() {
    awk -v key="stat::$1:" '$1 == key { value = $2 } END { print (value == "" ? "?" : value) }' "$2"
}

failed=()
for target in "${targets[@]}"; do
    [[ -d fuzz/corpus/$target ]] || pf_die "$TAG" "no seed corpus for $target: add a few inputs to fuzz/corpus/$target/"
    mkdir -p "fuzz/corpus-local/$target" "fuzz/artifacts/$target"
    log="fuzz/artifacts/$target/last-run.log"
    marker=$(mktemp)
    libfuzzer_args=(-max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=30 -print_final_stats=1)
    dict=$(dict_for "$target")
    [[ -n $dict ]] && libfuzzer_args+=(-dict="$dict")
    say "$target: ${seconds}s (log: $log)"
    status=0
    cargo fuzz run "${build_flags[@]}" "$target" "fuzz/corpus-local/$target" "fuzz/corpus/$target" \
        -- "${libfuzzer_args[@]}" >"$log" 2>&1 || status=$?
    if ((status == 0)); then
        say "$target: ok, $(stat number_of_executed_units "$log") runs, $(stat average_exec_per_sec "$log") exec/s," \
            "$(find "fuzz/corpus-local/$target" -type f | wc -l) inputs in fuzz/corpus-local/$target"
        rm -f "$marker"
        continue
    fi
    failed+=("$target")
    artifact=$(find "fuzz/artifacts/$target" -type f -newer "$marker" ! -name '*.log' -print | head -n 1)
    rm -f "$marker"
    tail -n 60 "$log" >&2
    say "$target: FAILED (exit status $status)"
    if [[ -n $artifact ]]; then
        say "$target: the input is $artifact"
        say "$target: reproduce with: RUSTC_BOOTSTRAP=1 cargo fuzz run ${build_flags[*]} $target $artifact"
        say "$target: minimise with:  RUSTC_BOOTSTRAP=1 cargo fuzz tmin ${build_flags[*]} $target $artifact"
        say "$target: then fix the bug and add the input as a regression test in the crate it is about"
    else
        say "$target: no crash input was written; the whole log is $log"
    fi
done

if ((${#failed[@]} > 0)); then
    pf_die "$TAG" "FAILED: ${failed[*]}"
fi
say "every target ran ${seconds}s without a crash: ${targets[*]}"
