# shellcheck shell=bash
# shellcheck disable=SC2034  # variables set here are used by the scripts that source this file
# scripts/lib.sh: helpers shared by the scripts in this folder (sourced, never run on its own).
#
#   pf_say TAG MSG...         print "[TAG] MSG" on stderr (every message to the user goes through this)
#   pf_die TAG MSG...         the same, then exit 1
#   pf_url_split URL          split a postgres:// URL into PF_URL_BASE (scheme://authority), PF_URL_DB (database
#                             name, may be empty) and PF_URL_QUERY ("?..." or empty); returns 1 if URL is not a URL
#   pf_url_with_db URL NAME   URL with its database name replaced by NAME (query string kept)
#   pf_url_redact URL         URL without its password, for printing
#   pf_find_pg_tool NAME      path of a PostgreSQL program: PATH first, then /usr/lib/postgresql/<newest>/bin
#   pf_shell_quote STRING     STRING quoted for a shell (left bare when it holds no special characters)
#   pf_apt_install TAG PKG... apt-get install --no-install-recommends when root with apt-get (saying so), else
#                             return 1
#   pf_python_venv TAG        make sure the project's virtual environment ($PF_VENV, default .venv/) holds the
#                             Python tools of tests/python-requirements.txt (made and filled when missing or when
#                             that file changed, saying so); nothing is installed system-wide but, when python3 or
#                             its venv module is missing, Debian's python3 / python3-venv (no recommends)
#
# PF_REPO is the repository root (the parent of this folder); PF_DATA is "$PF_REPO/.data".

PF_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PF_DATA="$PF_REPO/.data"
PF_VENV="${PF_VENV:-$PF_REPO/.venv}"
PF_PY_REQUIREMENTS="$PF_REPO/tests/python-requirements.txt"

pf_say() {
    local tag=$1
    shift
    printf '[%s] %s\n' "$tag" "$*" >&2
}

pf_die() {
    pf_say "$@"
    exit 1
}

pf_url_split() {
    local url=$1
    PF_URL_QUERY=""
    if [[ $url == *\?* ]]; then
        PF_URL_QUERY="?${url#*\?}"
        url=${url%%\?*}
    fi
    if [[ $url =~ ^([A-Za-z][A-Za-z0-9+.-]*://)([^/]*)(/(.*))?$ ]]; then
        PF_URL_BASE="${BASH_REMATCH[1]}${BASH_REMATCH[2]}"
        PF_URL_DB="${BASH_REMATCH[4]}"
        return 0
    fi
    return 1
}

pf_url_with_db() {
    pf_url_split "$1" || return 1
    printf '%s/%s%s\n' "$PF_URL_BASE" "$2" "$PF_URL_QUERY"
}

pf_url_redact() {
    local url=$1 scheme rest userinfo hostpart
    if [[ $url != *://* ]]; then
        printf '%s\n' "$url"
        return
    fi
    scheme=${url%%://*}
    rest=${url#*://}
    # Only the authority (before the first "/") may hold "user:password@".
    local authority=${rest%%/*} tail=""
    [[ $rest == */* ]] && tail="/${rest#*/}"
    if [[ $authority == *@* ]]; then
        userinfo=${authority%@*}
        hostpart=${authority##*@}
        authority="${userinfo%%:*}@$hostpart"
    fi
    printf '%s://%s%s\n' "$scheme" "$authority" "$tail"
}

pf_shell_quote() {
    if [[ $1 =~ ^[A-Za-z0-9@:/._%+=,-]+$ ]]; then
        printf '%s\n' "$1"
    else
        printf "'%s'\n" "${1//\'/\'\\\'\'}"
    fi
}

pf_find_pg_tool() {
    local name=$1 found dir
    if found=$(command -v "$name" 2>/dev/null) && [[ -x $found ]]; then
        printf '%s\n' "$found"
        return 0
    fi
    # Debian/Ubuntu keep the server programs out of PATH, one folder per major version.
    local dirs=()
    mapfile -t dirs < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r)
    for dir in "${dirs[@]}"; do
        if [[ -x $dir/$name ]]; then
            printf '%s\n' "$dir/$name"
            return 0
        fi
    done
    return 1
}

pf_apt_install() {
    local tag=$1
    shift
    if [[ $EUID -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        return 1
    fi
    pf_say "$tag" "installing Debian packages system-wide: $* (apt-get update && apt-get install -y" \
        "--no-install-recommends $*)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "$@" >&2
}

pf_python_venv() {
    local tag=$1 stamp="$PF_VENV/.requirements.sha256" want where=${PF_VENV#"$PF_REPO"/}
    want=$(sha256sum "$PF_PY_REQUIREMENTS" | cut -d' ' -f1)
    if [[ -x $PF_VENV/bin/python && -f $stamp && $(<"$stamp") == "$want" ]]; then
        return 0
    fi
    if ! command -v python3 >/dev/null 2>&1; then
        pf_apt_install "$tag" python3 python3-venv ||
            pf_die "$tag" "python3 not found: install the Debian packages python3 and python3-venv"
    fi
    if [[ ! -x $PF_VENV/bin/python ]]; then
        pf_say "$tag" "making the project's Python virtual environment $where/ (python3 -m venv $where)"
        if ! python3 -m venv "$PF_VENV" >/dev/null 2>&1; then
            rm -rf -- "$PF_VENV"
            pf_apt_install "$tag" python3-venv ||
                pf_die "$tag" "python3 -m venv failed: install the Debian package python3-venv"
            python3 -m venv "$PF_VENV" || pf_die "$tag" "python3 -m venv $where failed"
        fi
    fi
    pf_say "$tag" "installing the Python test tools into $where/: $(grep -Ev '^[[:space:]]*(#|$)' "$PF_PY_REQUIREMENTS" |
        tr '\n' ' ')(pip install -r tests/python-requirements.txt)"
    "$PF_VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$PF_PY_REQUIREMENTS" >&2 ||
        pf_die "$tag" "pip install -r tests/python-requirements.txt into $where/ failed"
    printf '%s\n' "$want" >"$stamp"
}
