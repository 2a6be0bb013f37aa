#!/usr/bin/env python3
"""The end-of-run checks of scripts/chaos.sh (Python 3 standard library; reads the database through psql).

    check.py --db URL --psql PATH --load-dir DIR --fake URL --levels FILE --reports FILE --supervisor FILE

Prints one line per check with the counts it compared, and exits 1 when any check fails. What is checked:

(a) webhooks: every delivery that got a 2xx `accepted`/`duplicate` has exactly one events_raw row, with the event id
    it was answered with and the title it carried; every answer for one delivery named the same event id;
    `ignored` ones stored nothing; no row exists for a delivery the generator never sent; webhook_deliveries has
    one row per stored delivery pointing at it. Deliveries sent but never acknowledged (the run ended while the
    generator was still retrying them) may exist once or not at all.
(b) detections: the expected set is computed from the acknowledged events (plus any stored unacknowledged ones),
    per member in event-id order (the order the classifier applies them), with the transition rules of
    crates/pathfinder-members/src/transition.rs and the levels `pathfinder classify` gave the titles: not senior -> senior is
    `new`, vp -> c_suite is `promotion`, a demotion or same level writes none, not senior clears the state. The
    detections table must hold exactly that set (one per (event, kind)), user_state exactly the final states, and
    events_raw no pending or failed event.
(c) digests: every detection is in exactly one digest per channel; every digest is `sent`, with exactly one
    successful digest_deliveries row; the outside fake recorded each digest id at least once on its channel.
(d) reports: every report requested through POST /admin/generate-reports is `ready` with both files on disk; no
    other month-to-date row exists; at most one month-end row per month.
(e) nothing needed a manual step: no event, digest or report is failed or stuck; every process that exited was one
    the chaos killed (the supervisor restarts it, like an orchestrator would).
(f) outbound webhooks (with --receiver): every detection has exactly one detection.created delivery and every sent
    digest one digest.sent delivery, each `delivered`; the receiver (tests/fakes/webhook_receiver.py, which failed
    for a while) accepted each one's webhook-id at least once, with a verified signature, and nothing else; a
    member's events were first accepted in detection order.
"""

import argparse
import csv
import io
import json
import os
import subprocess
import sys
import urllib.request
from collections import Counter, defaultdict

RANK = {None: 0, "vp": 1, "c_suite": 2}


def psql(args, sql):
    out = subprocess.run(
        [args.psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", args.db, "-c", "\\copy (%s) TO STDOUT WITH CSV" % sql],
        check=True, capture_output=True, text=True,
    ).stdout
    return list(csv.reader(io.StringIO(out)))


def read_jsonl(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


class Report:
    def __init__(self):
        self.failures = []
        self.lines = []

    def check(self, label, ok, detail, problems=()):
        problems = list(problems)
        mark = "ok  " if ok and not problems else "FAIL"
        self.lines.append("  [%s] %s: %s" % (mark, label, detail))
        for p in problems[:8]:
            self.lines.append("         - %s" % p)
        if len(problems) > 8:
            self.lines.append("         - ... and %d more" % (len(problems) - 8))
        if not ok or problems:
            self.failures.append(label)


def describe_violation(v):
    if "problem" in v:
        return "%s: %s (first %s %s, then %s %s)" % (v["key"], v["problem"], v["first"]["status"],
                                                      v["first"]["eventId"], v["resend"]["status"],
                                                      v["resend"]["eventId"])
    return "%s: HTTP %s %s" % (v.get("key"), v.get("http"), v.get("body", ""))


def check_outbound(args, rep, counts):
    """(f): every event delivered (the receiver accepted it), none lost, a member's events in order."""
    rows = psql(args, "SELECT o.id, o.message_id, o.event_type, coalesce(o.detection_id, -1), coalesce(o.digest_id, -1), "
                      "o.status, o.attempts, coalesce(d.source || ':' || d.user_id, '') "
                      "FROM outbound_deliveries o LEFT JOIN detections d ON d.id = o.detection_id ORDER BY o.id")
    detections = {int(r[0]) for r in psql(args, "SELECT id FROM detections")}
    sent_digests = {int(r[0]) for r in psql(args, "SELECT id FROM digests WHERE status = 'sent'")}
    per_detection = Counter(int(r[3]) for r in rows if r[2] == "detection.created")
    per_digest = Counter(int(r[4]) for r in rows if r[2] == "digest.sent")
    problems = ["detection %d has %d deliveries" % (i, per_detection[i]) for i in sorted(detections)
                if per_detection[i] != 1]
    problems += ["sent digest %d has %d digest.sent deliveries" % (i, per_digest[i]) for i in sorted(sent_digests)
                 if per_digest[i] != 1]
    problems += ["delivery %s (%s) is %s after %s attempts" % (r[0], r[2], r[5], r[6]) for r in rows
                 if r[5] != "delivered"]
    with urllib.request.urlopen(args.receiver.rstrip("/") + "/_fake/deliveries", timeout=10) as r:
        requests = json.load(r)
    unverified = [q for q in requests if not q.get("verified")]
    accepted_at = {}
    for q in requests:
        if q.get("accepted") and q.get("webhookId") not in accepted_at:
            accepted_at[q["webhookId"]] = q["at"]
    ids = {r[1] for r in rows}
    problems += ["delivery %s (%s) was never accepted by the receiver" % (r[0], r[1]) for r in rows
                 if r[1] not in accepted_at]
    problems += ["the receiver accepted %s, which no delivery row names" % i for i in sorted(set(accepted_at) - ids)]
    problems += ["unverified request %s: %s" % (q.get("webhookId"), q.get("verifyError")) for q in unverified]
    by_member = defaultdict(list)
    for r in rows:
        if r[2] == "detection.created" and r[1] in accepted_at:
            by_member[r[7]].append((int(r[3]), accepted_at[r[1]]))
    out_of_order = []
    for member, events in by_member.items():
        times = [t for _, t in sorted(events)]
        if times != sorted(times):
            out_of_order.append("member %s: events first accepted out of detection order" % member)
    failed_answers = sum(1 for q in requests if q.get("verified") and not q.get("accepted"))
    repeats = len(requests) - failed_answers - len(accepted_at) - len(unverified)
    rep.check(
        "(f) every outbound webhook delivered, none lost, in order per member",
        not (problems or out_of_order) and len(rows) > 0,
        "%d deliveries (%d detection.created for %d detections, %d digest.sent for %d sent digests); receiver got "
        "%d requests: %d refused during its outage, %d webhook-ids accepted, %d repeats of an accepted id "
        "(at-least-once, allowed), %d unverified; %d members' events in order"
        % (len(rows), sum(per_detection.values()), len(detections), sum(per_digest.values()), len(sent_digests),
           len(requests), failed_answers, len(accepted_at), repeats, len(unverified), len(by_member)),
        problems + out_of_order,
    )
    counts["f"] = {"deliveries": len(rows), "requests": len(requests), "refused": failed_answers,
                   "accepted": len(accepted_at), "repeats": repeats}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", required=True)
    ap.add_argument("--psql", default="psql")
    ap.add_argument("--load-dir", required=True)
    ap.add_argument("--fake", required=True)
    ap.add_argument("--levels", required=True, help="JSON object title -> c_suite|vp|null")
    ap.add_argument("--reports", required=True, help="file with one requested report id per line")
    ap.add_argument("--supervisor", required=True, help="JSON: per service {killed, restarted, unexpected}")
    ap.add_argument("--receiver", help="URL of the outbound webhook receiver fake (check (f))")
    ap.add_argument("--json-out", help="write the counts here")
    args = ap.parse_args()

    levels = json.load(open(args.levels, encoding="utf-8"))
    sent = {r["key"]: r for r in read_jsonl(os.path.join(args.load_dir, "sent.jsonl"))}
    acks = read_jsonl(os.path.join(args.load_dir, "acks.jsonl"))
    load_summary = json.load(open(os.path.join(args.load_dir, "summary.json"), encoding="utf-8"))
    rep = Report()
    counts = {}

    # ---------------------------------------------------------------------------------------------- (a) webhooks
    rows = psql(args, "SELECT id, dedupe_key, user_id, value, status FROM events_raw ORDER BY id")
    by_key = defaultdict(list)
    for event_id, dedupe_key, user_id, value, status in rows:
        prefix = "community:id:"
        key = dedupe_key[len(prefix):] if dedupe_key.startswith(prefix) else dedupe_key
        by_key[key].append({"id": int(event_id), "user": user_id, "title": value, "status": status})
    deliveries = {k: int(e) for k, e in psql(args, "SELECT dedupe_key, event_id FROM webhook_deliveries")}

    acked_ids = {}  # key -> event id it was acknowledged with
    problems_a = []
    ignored_acks = 0
    for ack in acks:
        key = ack["key"]
        if ack["status"] == "ignored":
            ignored_acks += 1
            if sent[key]["field"] != "Favourite Color":
                problems_a.append("%s (a registered field) was answered ignored" % key)
            continue
        if ack["status"] not in ("accepted", "duplicate") or not isinstance(ack["eventId"], int):
            problems_a.append("%s: unexpected 2xx answer %s" % (key, ack))
            continue
        if key in acked_ids and acked_ids[key] != ack["eventId"]:
            problems_a.append("%s answered with two event ids: %s and %s" % (key, acked_ids[key], ack["eventId"]))
        acked_ids.setdefault(key, ack["eventId"])
    missing, doubled, wrong_id, wrong_title = [], [], [], []
    for key, event_id in acked_ids.items():
        stored = by_key.get(key, [])
        if not stored:
            missing.append("%s acknowledged as event %d: no events_raw row" % (key, event_id))
        elif len(stored) > 1:
            doubled.append("%s stored %d times (ids %s)" % (key, len(stored), [s["id"] for s in stored]))
        elif stored[0]["id"] != event_id:
            wrong_id.append("%s acknowledged as event %d, stored as %d" % (key, event_id, stored[0]["id"]))
        elif stored[0]["title"] != sent[key]["title"] or stored[0]["user"] != sent[key]["user"]:
            wrong_title.append("%s stored with another member/title" % key)
        if deliveries.get("community:id:" + key) != event_id:
            problems_a.append("%s: webhook_deliveries points at %s, not %d"
                              % (key, deliveries.get("community:id:" + key), event_id))
    ignored_stored = [k for k, r in sent.items() if r["field"] == "Favourite Color" and k in by_key]
    foreign = [k for k in by_key if k not in sent]
    unacked_sent = [k for k in sent if k not in acked_ids and sent[k]["field"] != "Favourite Color"]
    unacked_stored = [k for k in unacked_sent if k in by_key]
    for k in unacked_stored:
        if len(by_key[k]) > 1:
            doubled.append("%s (never acknowledged) stored %d times" % (k, len(by_key[k])))
    rep.check(
        "(a) every acknowledged webhook stored exactly once",
        not (missing or doubled or wrong_id or wrong_title or problems_a or ignored_stored or foreign),
        "%d deliveries acknowledged (%d answers, %d of them duplicate re-sends, %d ignored); %d events_raw rows; "
        "missing %d, stored twice %d, wrong id %d, wrong title %d, ignored-but-stored %d, unknown rows %d; "
        "%d sent but never acknowledged (%d of them stored)"
        % (len(acked_ids), len(acks), sum(a.get("resend", False) for a in acks), ignored_acks, len(rows),
           len(missing), len(doubled), len(wrong_id), len(wrong_title), len(ignored_stored), len(foreign),
           len(unacked_sent), len(unacked_stored)),
        missing + doubled + wrong_id + wrong_title + problems_a
        + ["%s: ignored field stored" % k for k in ignored_stored] + ["unknown row %s" % k for k in foreign],
    )
    counts["a"] = {"acknowledged": len(acked_ids), "answers": len(acks), "rows": len(rows), "missing": len(missing),
                   "doubled": len(doubled), "unacked": len(unacked_sent), "unackedStored": len(unacked_stored)}

    # -------------------------------------------------------------------------------------------- (b) detections
    per_user = defaultdict(list)
    for key, event_id in acked_ids.items():
        per_user[sent[key]["user"]].append((event_id, sent[key]["title"]))
    for key in unacked_stored:
        per_user[sent[key]["user"]].append((by_key[key][0]["id"], sent[key]["title"]))
    expected = {}  # event id -> (user, kind, seniority, previous)
    final_state = {}
    unknown_titles = set()
    for user, events in per_user.items():
        state = None
        for event_id, title in sorted(events):
            if title not in levels:
                unknown_titles.add(title)
            level = levels.get(title)
            if level is None:
                state = None
                continue
            if state is None:
                expected[event_id] = (user, "new", level, None)
            elif RANK[level] > RANK[state]:
                expected[event_id] = (user, "promotion", level, state)
            state = level
        if state is not None:
            final_state[user] = state
    actual = {}
    dup_detections = []
    det_rows = psql(args, "SELECT id, event_id, user_id, kind, seniority, previous_seniority FROM detections")
    detection_ids = []
    for det_id, event_id, user, kind, seniority, previous in det_rows:
        detection_ids.append(int(det_id))
        event_id = int(event_id)
        if event_id in actual:
            dup_detections.append("event %d has two detections" % event_id)
        actual[event_id] = (user, kind, seniority, previous or None)
    missing_d = ["event %d: expected %s" % (e, expected[e]) for e in sorted(expected) if e not in actual]
    extra_d = ["event %d: unexpected %s" % (e, actual[e]) for e in sorted(actual) if e not in expected]
    wrong_d = ["event %d: expected %s, got %s" % (e, expected[e], actual[e])
               for e in sorted(expected) if e in actual and actual[e] != expected[e]]
    kinds = Counter(v[1] for v in expected.values())
    rep.check(
        "(b) every expected detection exists exactly once",
        not (missing_d or extra_d or wrong_d or dup_detections or unknown_titles),
        "%d members, expected %d detections (%d new, %d promotion), table has %d; missing %d, extra %d, wrong %d"
        % (len(per_user), len(expected), kinds["new"], kinds["promotion"], len(det_rows), len(missing_d),
           len(extra_d), len(wrong_d)),
        missing_d + extra_d + wrong_d + dup_detections + ["title with no known level: %s" % t for t in unknown_titles],
    )
    states = {u: s for u, s in psql(args, "SELECT user_id, seniority FROM user_state")}
    state_problems = ["%s: expected %s, user_state has %s" % (u, final_state.get(u), states.get(u))
                      for u in sorted(set(states) | set(final_state)) if states.get(u) != final_state.get(u)]
    rep.check("(b) user_state holds exactly the current seniors", not state_problems,
              "expected %d seniors (%d c_suite, %d vp), user_state has %d"
              % (len(final_state), sum(s == "c_suite" for s in final_state.values()),
                 sum(s == "vp" for s in final_state.values()), len(states)), state_problems)
    counts["b"] = {"members": len(per_user), "expected": len(expected), "new": kinds["new"],
                   "promotion": kinds["promotion"], "table": len(det_rows), "missing": len(missing_d),
                   "extra": len(extra_d), "seniors": len(final_state)}

    # ----------------------------------------------------------------------------------------------- (c) digests
    digests = {int(i): {"channel": c, "status": s, "attempts": int(a), "count": int(n)}
               for i, c, s, a, n in psql(args, "SELECT id, channel, status, attempts, detection_count FROM digests")}
    items = psql(args, "SELECT digest_id, detection_id, channel FROM digest_items")
    per_channel = {"email": Counter(), "teams": Counter()}
    per_digest = Counter()
    for digest_id, detection_id, channel in items:
        per_channel[channel][int(detection_id)] += 1
        per_digest[int(digest_id)] += 1
    problems_c = []
    for channel, counter in per_channel.items():
        for det in detection_ids:
            if counter[det] != 1:
                problems_c.append("detection %d is in %d %s digests" % (det, counter[det], channel))
    for digest_id, d in digests.items():
        if d["status"] != "sent":
            problems_c.append("digest %d (%s) is %s after %d attempts" % (digest_id, d["channel"], d["status"],
                                                                          d["attempts"]))
        if per_digest[digest_id] != d["count"] or not 1 <= d["count"] <= 10:
            problems_c.append("digest %d holds %d items, says %d" % (digest_id, per_digest[digest_id], d["count"]))
    sent_rows = Counter()
    failed_rows = 0
    attempts_of = defaultdict(list)
    for digest_id, attempt, status, at in psql(
            args, "SELECT digest_id, attempt, status, to_char(at, 'HH24:MI:SS.MS') FROM digest_deliveries ORDER BY at"):
        attempts_of[int(digest_id)].append("attempt %s %s at %s" % (attempt, status, at))
        if status == "sent":
            sent_rows[int(digest_id)] += 1
        else:
            failed_rows += 1
    not_once = ["digest %d has %d successful delivery rows (%s)" % (i, sent_rows[i], "; ".join(attempts_of[i]))
                for i in digests if sent_rows[i] != 1]
    with urllib.request.urlopen(args.fake.rstrip("/") + "/_fake/deliveries", timeout=10) as r:
        recorded = json.load(r)
    seen = Counter((d.get("channel"), d.get("digestId")) for d in recorded)
    unseen = ["digest %d (%s) never reached the fake" % (i, d["channel"])
              for i, d in digests.items() if seen[(d["channel"], i)] == 0]
    repeated = sorted(i for i, d in digests.items() if seen[(d["channel"], i)] > 1)
    repeats = len(repeated)
    by_channel = Counter(d["channel"] for d in digests.values())
    rep.check(
        "(c) every digest delivered and marked sent once",
        not (problems_c or not_once or unseen),
        "%d digests (%d email via Control Room, %d teams via webhook) for %d detections; %d sent; %d failed "
        "attempts recorded and retried by themselves; fake recorded %d deliveries, every digest >= 1 (%d delivered "
        "more than once%s: at-least-once, allowed)"
        % (len(digests), by_channel["email"], by_channel["teams"], len(detection_ids),
           sum(d["status"] == "sent" for d in digests.values()), failed_rows, len(recorded), repeats,
           (", ids %s" % repeated[:10]) if repeated else ""),
        problems_c + not_once + unseen,
    )
    counts["c"] = {"digests": len(digests), "email": by_channel["email"], "teams": by_channel["teams"],
                   "failedAttempts": failed_rows, "fakeDeliveries": len(recorded), "repeats": repeats}

    # ----------------------------------------------------------------------------------------------- (d) reports
    requested = [int(line) for line in open(args.reports, encoding="utf-8") if line.strip()]
    reports = {int(r[0]): r[1:] for r in psql(
        args, "SELECT id, month, kind, status, coalesce(csv_uri,''), coalesce(html_uri,''), "
              "coalesce(detection_count,-1) FROM reports")}
    problems_d = []
    for rid in requested:
        if rid not in reports:
            problems_d.append("report %d requested but no row" % rid)
            continue
        month, kind, status, csv_uri, html_uri, _count = reports[rid]
        if status != "ready":
            problems_d.append("report %d is %s" % (rid, status))
        for uri in (csv_uri, html_uri):
            path = uri[len("file://"):] if uri.startswith("file://") else uri
            if not path or not os.path.isfile(path):
                problems_d.append("report %d: file %r missing" % (rid, uri))
    mtd_rows = [i for i, r in reports.items() if r[1] == "month_to_date"]
    extra_mtd = sorted(set(mtd_rows) - set(requested))
    month_end = Counter(r[0] for r in reports.values() if r[1] == "month_end")
    dup_months = [m for m, n in month_end.items() if n > 1]
    rep.check(
        "(d) reports ready, none duplicated",
        not (problems_d or extra_mtd or dup_months) and len(requested) > 0,
        "%d requested, %d ready with both files; %d month-to-date rows; month-end rows per month: %s"
        % (len(requested), sum(1 for i in requested if i in reports and reports[i][2] == "ready"), len(mtd_rows),
           dict(month_end) or "none"),
        problems_d + ["unrequested month-to-date row %d" % i for i in extra_mtd]
        + ["month %s has %d month-end rows" % (m, month_end[m]) for m in dup_months],
    )
    counts["d"] = {"requested": len(requested), "rows": len(reports)}

    # ------------------------------------------------------------------------------------- (f) outbound webhooks
    if args.receiver:
        check_outbound(args, rep, counts)

    # ---------------------------------------------------------------------------------------- (e) no manual step
    status_counts = {s: int(n) for s, n in psql(args, "SELECT status, count(*) FROM events_raw GROUP BY 1")}
    stuck_digests = sum(1 for d in digests.values() if d["status"] != "sent")
    stuck_reports = sum(1 for r in reports.values() if r[2] != "ready")
    supervisor = json.load(open(args.supervisor, encoding="utf-8"))
    unexpected = {s: v["unexpected"] for s, v in supervisor.items() if v["unexpected"]}
    load_violations = [describe_violation(v) for v in load_summary.get("violations", [])]
    if load_summary.get("bad503"):
        load_violations.append("%d answers 503 lacked Retry-After or the database-unavailable error code"
                               % load_summary["bad503"])
    rep.check(
        "(e) converged with no manual step",
        not (status_counts.get("pending") or status_counts.get("failed") or stuck_digests or stuck_reports
             or unexpected or load_violations),
        "events %s; digests not sent %d; reports not ready %d; processes that exited without being killed: %s; "
        "restarts by the supervisor: %d; no `pathfinder digests retry`, no SQL fix-ups"
        % (dict(status_counts), stuck_digests, stuck_reports, unexpected or "none",
           sum(v["restarted"] for v in supervisor.values())),
        ["webhook answer breaking the contract: %s" % v for v in load_violations],
    )
    counts["e"] = {"events": status_counts, "unexpectedExits": unexpected}

    print("\n".join(rep.lines))
    if args.json_out:
        with open(args.json_out, "w", encoding="utf-8") as f:
            json.dump(counts, f, indent=1)
    if rep.failures:
        print("CHAOS CHECKS FAILED: %s" % "; ".join(rep.failures))
        return 1
    print("CHAOS CHECKS PASSED")
    return 0


if __name__ == "__main__":
    sys.exit(main())
