#!/usr/bin/env python3
"""Steady webhook load for scripts/chaos.sh, recording every answer (Python 3 standard library only).

    load.py --url http://127.0.0.1:PORT [--url ...] --out DIR [--rate 80] [--threads 8] [--seed N]

Runs until SIGTERM/SIGINT (or --duration seconds), then lets every thread finish the delivery it is on (retrying it
until it is acknowledged, for at most --drain-secs) and exits.

Each thread plays members one after another. A member follows one scenario (a list of titles sent in order, see
SCENARIOS); each step is one delivery with its own `webhook-id` (the dedupe key), retried like a platform does
(same id, same body) until a 2xx answer, and the member's next step is sent only after the previous one was
acknowledged, so a member's acknowledged event ids increase with the steps. The "dup" scenario re-sends an
acknowledged delivery (same id and body) and expects 200 duplicate with the same event id.

Output in DIR (each line flushed as it happens, so a killed generator leaves complete lines):
  sent.jsonl     {"key","user","step","field","title"} once per delivery, before its first attempt
  acks.jsonl     {"key","user","step","field","title","http","status","eventId","t","resend"} per 2xx answer
  summary.json   at exit: attempts by HTTP status, acknowledged deliveries, duplicates, unacknowledged keys, ...
"""

import argparse
import http.client
import json
import os
import random
import signal
import sys
import threading
import time
from urllib.parse import urlparse

# Titles whose level is unambiguous (scripts/chaos.sh checks them with `pathfinder classify` before the run).
C_SUITE = ["Chief Executive Officer", "Chief Financial Officer", "Chief Technology Officer"]
VP = ["VP of Sales", "Vice President of Marketing", "VP Engineering"]
NONE = ["Software Engineer", "Account Manager", "Product Designer"]

# name: (weight, steps); a step is "C", "V", "N" (a title of that level) or "X" (an unregistered field: ignored).
SCENARIOS = {
    "new-c-suite": (20, ["C"]),
    "new-vp": (14, ["V"]),
    "promotion": (16, ["V", "C"]),
    "not-senior": (14, ["N"]),
    "becomes-senior": (10, ["N", "C"]),
    "dup": (12, ["V"]),  # the delivery is sent again after its acknowledgement
    "demotion": (5, ["C", "V"]),
    "churn": (5, ["V", "N", "V"]),
    "ignored-field": (4, ["X"]),
}

STOP = threading.Event()


class Recorder:
    def __init__(self, out_dir):
        self.lock = threading.Lock()
        self.sent = open(os.path.join(out_dir, "sent.jsonl"), "a", encoding="utf-8")
        self.acks = open(os.path.join(out_dir, "acks.jsonl"), "a", encoding="utf-8")
        self.attempts = {}  # http status (or "error") -> count
        self.acked = 0
        self.duplicates = 0
        self.ignored = 0
        self.members = 0
        self.unacked = []  # keys never acknowledged (the drain deadline passed)
        self.violations = []  # answers that break the contract outright
        self.first_503 = None
        self.last_503 = None
        self.bad_503 = 0  # 503 answers without Retry-After or without the database-unavailable error body

    def write(self, stream, record):
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self.lock:
            stream.write(line)
            stream.flush()

    def attempt(self, status):
        with self.lock:
            self.attempts[str(status)] = self.attempts.get(str(status), 0) + 1
            if status == 503:
                now = time.time()
                self.first_503 = self.first_503 or now
                self.last_503 = now


class Client:
    """One keep-alive connection per ingest-api URL, per thread."""

    def __init__(self, urls, timeout):
        self.targets = [urlparse(u) for u in urls]
        self.timeout = timeout
        self.conns = {}
        self.turn = random.randrange(len(self.targets))

    def post(self, path, body, headers):
        self.turn = (self.turn + 1) % len(self.targets)
        target = self.targets[self.turn]
        conn = self.conns.get(self.turn)
        if conn is None:
            conn = http.client.HTTPConnection(target.hostname, target.port, timeout=self.timeout)
            self.conns[self.turn] = conn
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            retry_after = response.getheader("Retry-After")
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
                self.conns.pop(self.turn, None)
            return response.status, data, retry_after
        except (OSError, http.client.HTTPException):
            conn.close()
            self.conns.pop(self.turn, None)
            return None, b"", None


def title_for(level, rng):
    return rng.choice({"C": C_SUITE, "V": VP, "N": NONE, "X": ["Chief Executive Officer"]}[level])


def deliver(client, recorder, key, record, body, drain_deadline, resend=False):
    """Sends one delivery until a 2xx answer; returns the parsed answer, or None when it gave up."""
    headers = {"Content-Type": "application/json", "webhook-id": key}
    pause = 0.2
    while True:
        status, data, retry_after = client.post("/webhooks/community", body, headers)
        recorder.attempt(status if status is not None else "error")
        if status == 503:
            try:
                code = json.loads(data)["error"]["code"]
            except (ValueError, KeyError, TypeError):
                code = None
            if not (retry_after and retry_after.isdigit()) or code != "database-unavailable":
                with recorder.lock:
                    recorder.bad_503 += 1
        if status is not None and 200 <= status < 300:
            try:
                answer = json.loads(data)
            except ValueError:
                answer = {}
            ack = dict(record, http=status, status=answer.get("status"), eventId=answer.get("eventId"),
                       t=round(time.time(), 3), resend=resend)
            recorder.write(recorder.acks, ack)
            return ack
        if status is not None and status not in (503, 502, 504, 429):
            # A 4xx (or another 5xx) for a well-formed webhook is a bug; record it and stop retrying this one.
            recorder.violations.append({"key": key, "http": status, "body": data[:300].decode("utf-8", "replace")})
            return None
        if STOP.is_set() and time.time() > drain_deadline():
            return None
        # A platform honours Retry-After; we cap it so the run keeps moving (the answer's value is checked to exist).
        wait = pause
        if retry_after and retry_after.isdigit():
            wait = min(float(retry_after), 1.0)
        time.sleep(wait * (0.5 + random.random()))
        pause = min(pause * 2, 1.0)


def worker(n, args, recorder, drain_deadline):
    rng = random.Random(args.seed * 1000 + n)
    client = Client(args.url, timeout=args.timeout)
    names = list(SCENARIOS)
    weights = [SCENARIOS[s][0] for s in names]
    interval = args.threads / args.rate
    member = 0
    while not STOP.is_set():
        member += 1
        scenario = rng.choices(names, weights)[0]
        user = "chaos-%s-%d-%d" % (args.run_id, n, member)
        with recorder.lock:
            recorder.members += 1
        for step, level in enumerate(SCENARIOS[scenario][1]):
            if STOP.is_set() and step > 0:
                break  # a member's remaining steps are simply never sent
            field = "Favourite Color" if level == "X" else rng.choice(["Job Title", "Title", "Position"])
            title = title_for(level, rng)
            key = "%s-s%d" % (user, step)
            record = {"key": key, "user": user, "step": step, "field": field, "title": title,
                      "scenario": scenario}
            recorder.write(recorder.sent, record)
            body = json.dumps({"userId": user, "username": user, "profileField": field, "value": title,
                               "oldValue": None}).encode()
            started = time.time()
            ack = deliver(client, recorder, key, record, body, drain_deadline)
            if ack is None:
                with recorder.lock:
                    recorder.unacked.append(key)
                return
            with recorder.lock:
                recorder.acked += 1
                recorder.ignored += ack["status"] == "ignored"
            if scenario == "dup":
                again = deliver(client, recorder, key, record, body, drain_deadline, resend=True)
                if again is None:
                    return
                with recorder.lock:
                    recorder.duplicates += 1
                if again["status"] != "duplicate" or again["eventId"] != ack["eventId"]:
                    recorder.violations.append({"key": key, "first": ack, "resend": again,
                                                "problem": "a re-sent delivery was not answered duplicate "
                                                           "with the same eventId"})
            # Pace: about args.rate deliveries per second over all threads.
            spent = time.time() - started
            if interval > spent:
                time.sleep((interval - spent) * (0.5 + rng.random()))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", action="append", required=True, help="ingest-api base URL (repeat for replicas)")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--rate", type=float, default=80.0, help="deliveries per second over all threads")
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--duration", type=float, default=0, help="seconds to run (0: until SIGTERM)")
    parser.add_argument("--drain-secs", type=float, default=90, help="after stop, keep retrying unacknowledged "
                                                                       "deliveries this long")
    parser.add_argument("--timeout", type=float, default=20, help="HTTP timeout of one request")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--run-id", default="r")
    parser.add_argument("--print-titles", action="store_true",
                        help="print the titles used, one per line as LEVEL<TAB>title (C, V or N), and exit")
    if "--print-titles" in sys.argv[1:]:
        for level, titles in (("C", C_SUITE), ("V", VP), ("N", NONE)):
            for title in titles:
                print("%s\t%s" % (level, title))
        return 0
    args = parser.parse_args()

    os.makedirs(args.out, exist_ok=True)
    recorder = Recorder(args.out)
    stop_at = [None]

    def request_stop(*_):
        if not STOP.is_set():
            stop_at[0] = time.time()
            STOP.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    def drain_deadline():
        return (stop_at[0] or time.time()) + args.drain_secs

    started = time.time()
    threads = [threading.Thread(target=worker, args=(n, args, recorder, drain_deadline), daemon=True)
               for n in range(args.threads)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        if args.duration and time.time() - started > args.duration:
            request_stop()
        time.sleep(0.2)
    summary = {
        "seconds": round((stop_at[0] or time.time()) - started, 1),
        "members": recorder.members,
        "attempts": recorder.attempts,
        "acked": recorder.acked,
        "ignored": recorder.ignored,
        "duplicatesResent": recorder.duplicates,
        "unacked": recorder.unacked,
        "violations": recorder.violations,
        "bad503": recorder.bad_503,
        "first503": recorder.first_503,
        "last503": recorder.last_503,
    }
    with open(os.path.join(args.out, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: v for k, v in summary.items() if k not in ("unacked", "violations")}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
