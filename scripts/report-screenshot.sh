#!/usr/bin/env bash
# scripts/report-screenshot.sh (make report-screenshot): renders a demo month-end report and photographs it with
# headless Chromium, so readers of docs/ see what report-builder produces.
#
#   1. scripts/db.sh; a fresh database pathfinder_demo, migrated;
#   2. demo detections for October 2026 (made-up members and titles, across the month's weeks);
#   3. target/debug/pathfinder jobs run month-end-report --at 2026-10-15T12:00:00Z into a temporary REPORTS_DIR;
#   4. chromium --headless screenshots: docs/report-screenshot.png (desktop) and docs/report-screenshot-phone.png;
#   5. the dashboard's browser test with PF_UPDATE_SCREENSHOTS=1: docs/dashboard-screenshot.png.
# Chromium comes from the Debian package "chromium" (installed with apt-get when missing and root).
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
TAG=screenshot
say() { pf_say "$TAG" "$@"; }
cd "$PF_REPO"

scripts/db.sh
# shellcheck source=/dev/null
source "$PF_DATA/env"
PSQL=$(pf_find_pg_tool psql) || pf_die "$TAG" "psql not found: install the Debian package postgresql-client"
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [[ -z $CHROMIUM ]]; then
    pf_apt_install "$TAG" chromium || pf_die "$TAG" "chromium not found: install the Debian package chromium"
    CHROMIUM=$(command -v chromium)
fi

DEMO_URL=$(pf_url_with_db "$PF_ADMIN_DATABASE_URL" pathfinder_demo)
"$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$PF_ADMIN_DATABASE_URL" <<'SQL'
SET client_min_messages = warning;
DROP DATABASE IF EXISTS pathfinder_demo WITH (FORCE);
CREATE DATABASE pathfinder_demo;
SQL
cargo build -q -p pathfinder-cli
DATABASE_URL=$DEMO_URL target/debug/pathfinder migrate >/dev/null
say "demo detections for October 2026"
"$PSQL" -X -q -v ON_ERROR_STOP=1 -d "$DEMO_URL" <<'SQL'
INSERT INTO detections (event_id, user_id, username, title, seniority, previous_seniority, kind, rule, rules_version,
                        detected_at)
SELECT g, 'member-' || g,
       (ARRAY['ada.lovelace', 'grace.hopper', 'alan.turing', 'katherine.j', 'linus.t', 'margaret.h', 'dennis.r',
              'barbara.l', 'ken.t', 'frances.a', 'radia.p', 'tim.bl'])[1 + g % 12],
       (ARRAY['Chief Executive Officer', 'VP of Engineering', 'Co-Founder & CTO', 'SVP, Global Sales',
              'Directrice Générale', 'Chief Financial Officer', 'Vice President, Marketing', 'Geschäftsführer',
              'Chief People Officer', 'EVP Operations', 'Consejero Delegado', 'VP Product'])[1 + g % 12],
       CASE WHEN g % 12 IN (0, 2, 4, 5, 7, 8, 10) THEN 'c_suite' ELSE 'vp' END,
       CASE WHEN g % 9 = 0 AND g % 12 IN (0, 2, 4, 5, 7, 8, 10) THEN 'vp' END,
       CASE WHEN g % 9 = 0 AND g % 12 IN (0, 2, 4, 5, 7, 8, 10) THEN 'promotion' ELSE 'new' END,
       CASE WHEN g % 12 IN (0, 2, 4, 5, 7, 8, 10) THEN 'chief-executive' ELSE 'vice-president' END,
       '2026-11-24.1',
       timestamptz '2026-10-01 13:00:00+00' + (g * 17 % 30) * interval '1 day' + (g % 7) * interval '97 minutes'
FROM generate_series(1, 37) g;
SQL
OUT=$(mktemp -d)
DATABASE_URL=$DEMO_URL REPORTS_DIR=$OUT target/debug/pathfinder jobs run month-end-report --at 2026-10-15T12:00:00Z
HTML="$OUT/2026-10/senior-executives-2026-10.html"
[[ -f $HTML ]] || pf_die "$TAG" "the report was not written ($HTML)"
shoot() {
    local size=$1 file=$2
    "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$(mktemp -d)" \
        --window-size="$size" --screenshot="$PF_REPO/$file" "file://$HTML" >/dev/null 2>&1
    [[ -s $PF_REPO/$file ]] || pf_die "$TAG" "chromium wrote no $file"
    say "wrote $file ($size)"
}
shoot 1100,1500 docs/report-screenshot.png
shoot 390,1400 docs/report-screenshot-phone.png
cp "$HTML" docs/report-example.html
say "wrote docs/report-example.html (the page itself)"

say "dashboard screenshot (the browser test, refreshing docs/dashboard-screenshot.png)"
PF_UPDATE_SCREENSHOTS=1 DATABASE_URL=$DATABASE_URL PF_ADMIN_DATABASE_URL=$PF_ADMIN_DATABASE_URL \
    cargo nextest run -p ingest-api -E 'test(an_operator_signs_in)' >/dev/null
say "wrote docs/dashboard-screenshot.png"
