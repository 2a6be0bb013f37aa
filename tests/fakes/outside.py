#!/usr/bin/env python3
"""A fake of the outside systems digest-sender talks to, speaking their protocol as our transports use it.

    python3 tests/fakes/outside.py --port 9000 [--bind 127.0.0.1] [--record FILE]
                                   [--aa-username U] [--aa-api-key K] [--quiet]

Python 3 standard library only. One threading HTTP server answers:

Automation Anywhere Control Room (crates/digest-sender/src/transport/aa.rs)
  POST /v1/authentication      {"username","apiKey"} -> 200 {"token": "...", "user": {...}}; 401 on wrong credentials
                               (credentials: --aa-username / --aa-api-key, defaults below).
  POST /v3/automations/deploy  needs header X-Authorization with a token this fake issued (else 401), body
                               {"fileId", "runAsUserIds", "botInput": {"digestId": {"type":"STRING","string":"42"},
                               "channel": {...}, ...}} -> 200 {"deploymentId": "<uuid>"}; records the digest id and
                               the channel.
Microsoft Teams (crates/digest-sender/src/transport/teams.rs), body
{"type":"message","attachments":[{"content": <Adaptive Card>}]}, at most --teams-max-bytes (default 28 KB):
  POST /teams                  as a legacy incoming webhook (Office 365 connector) answers: 200, body "1"; errors are
                               200 too, the code inside the body: a message over the limit gets 200 "Webhook message
                               delivery failed with error: Microsoft Teams endpoint returned HTTP error 413 with
                               ContextId ..." and is not recorded.
  POST /teams/workflows        as a Teams Workflows (Power Automate) webhook answers: 202 with an empty body; a
                               message over the limit gets 413.
                               The card carries no digest id field; our template's summary line ends in
                               "digest #<id>", which is recorded as the digest id. When it is absent, the delivery is
                               recorded with digestId null and the SHA-256 of the body (correlate by counting).
Control (never failing)
  GET  /_fake/health           200 {"status":"ok"}
  POST /_fake/fail?seconds=N&status=503[&retry_after=S]
                               every protocol endpoint above fails for N seconds (default 60): status 503 (with
                               Retry-After: S, default 1), 500, 429 (with Retry-After), "hang" (the request is held
                               until the failure ends, at most 120 s, then the connection is closed unanswered), or
                               "slow" (the request is held as long, then processed and recorded normally: the
                               client has timed out by then, so it did happen although the client saw a failure).
  POST /_fake/recover[?revoke_tokens=1]
                               ends the failure now; with revoke_tokens=1 every Control Room token issued so far
                               is refused from now on (401, as after a Control Room restart), so clients log in again.
  GET  /_fake/deliveries       JSON list of recorded deliveries:
                               {"channel","digestId","deploymentId","at","transport","bodySha256"}
                               (channel is the bot input's "channel" for AA, "teams" for /teams).
  GET  /_fake/state            {"failing": bool, "failStatus", "failRemainingSecs", "failedRequests", "deliveries",
                               "authentications", "tokensRefused"}
  POST /_fake/reset            forgets deliveries and counters (tokens stay valid).

With --record FILE every delivery is also appended to FILE as one JSON object per line.
"""

import argparse
import hashlib
import json
import re
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

DEFAULT_AA_USERNAME = "pathfinder-bot"
DEFAULT_AA_API_KEY = "fake-aa-api-key"
MAX_BODY = 8 * 1024 * 1024
TEAMS_MAX_BYTES = 28 * 1024
DIGEST_IN_CARD = re.compile(r"digest #(\d+)")


def now_iso():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class State:
    """Everything the fake remembers, behind one lock."""

    def __init__(self, username, api_key, record_path):
        self.lock = threading.Lock()
        self.username = username
        self.api_key = api_key
        self.tokens = set()
        self.deliveries = []
        self.fail_until = 0.0
        self.fail_status = "503"
        self.fail_retry_after = 1
        self.failed_requests = 0
        self.authentications = 0
        self.tokens_refused = 0
        self.record_path = record_path
        self.record_file = open(record_path, "a", encoding="utf-8") if record_path else None

    def failing(self):
        """(status, remaining seconds) while a failure is on, else None."""
        with self.lock:
            remaining = self.fail_until - time.monotonic()
            if remaining > 0:
                self.failed_requests += 1
                return self.fail_status, remaining, self.fail_retry_after
            return None

    def record(self, delivery):
        with self.lock:
            self.deliveries.append(delivery)
            if self.record_file:
                self.record_file.write(json.dumps(delivery, separators=(",", ":")) + "\n")
                self.record_file.flush()


class Handler(BaseHTTPRequestHandler):
    server_version = "OutsideFake/1.0"
    protocol_version = "HTTP/1.1"

    # --- plumbing ---------------------------------------------------------------------------------------------------

    @property
    def state(self):
        return self.server.state

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            sys.stderr.write("[outside-fake] %s %s\n" % (self.address_string(), fmt % args))

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def send(self, status, body, content_type="application/json", headers=None):
        if isinstance(body, (dict, list)):
            body = json.dumps(body, separators=(",", ":"))
        data = body.encode("utf-8") if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, message, headers=None):
        self.send(status, {"code": status, "message": message}, headers=headers)

    def json_body(self, raw):
        try:
            return json.loads(raw.decode("utf-8")) if raw else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            return None

    # Applies a configured failure; returns True when the request was answered (or dropped) by it.
    def injected_failure(self):
        failure = self.state.failing()
        if failure is None:
            return False
        status, remaining, retry_after = failure
        if status == "slow":
            time.sleep(min(remaining, 120.0))
            return False
        if status == "hang":
            # Hold the request until the outage ends (the client's timeout fires first), then drop it.
            time.sleep(min(remaining, 120.0))
            self.close_connection = True
            try:
                self.connection.shutdown(2)
            except OSError:
                pass
            return True
        code = int(status)
        headers = {"Retry-After": str(retry_after)} if code in (429, 503) else None
        self.error(code, "injected failure (outside fake)", headers=headers)
        return True

    # --- routes -----------------------------------------------------------------------------------------------------

    def do_GET(self):
        path = urlparse(self.path).path
        if path == "/_fake/health":
            self.send(200, {"status": "ok"})
        elif path == "/_fake/deliveries":
            with self.state.lock:
                deliveries = list(self.state.deliveries)
            self.send(200, deliveries)
        elif path == "/_fake/state":
            with self.state.lock:
                remaining = max(0.0, self.state.fail_until - time.monotonic())
                body = {
                    "failing": remaining > 0,
                    "failStatus": self.state.fail_status if remaining > 0 else None,
                    "failRemainingSecs": round(remaining, 1),
                    "failedRequests": self.state.failed_requests,
                    "deliveries": len(self.state.deliveries),
                    "authentications": self.state.authentications,
                    "tokensRefused": self.state.tokens_refused,
                }
            self.send(200, body)
        else:
            self.error(404, "no such route")

    def do_POST(self):
        url = urlparse(self.path)
        raw = self.read_body()
        if raw is None:
            self.error(413, "body too large")
            return
        routes = {
            "/_fake/fail": self.control_fail,
            "/_fake/recover": self.control_recover,
            "/_fake/reset": self.control_reset,
            "/v1/authentication": self.aa_authenticate,
            "/v3/automations/deploy": self.aa_deploy,
            "/teams": self.teams,
            "/teams/workflows": self.teams_workflows,
        }
        handler = routes.get(url.path)
        if handler is None:
            self.error(404, "no such route")
            return
        if not url.path.startswith("/_fake/") and self.injected_failure():
            return
        handler(parse_qs(url.query), raw)

    def control_fail(self, query, _raw):
        try:
            seconds = float(query.get("seconds", ["60"])[0])
            status = query.get("status", ["503"])[0]
            retry_after = int(query.get("retry_after", ["1"])[0])
        except ValueError:
            self.error(400, "seconds and retry_after must be numbers")
            return
        if status not in ("hang", "slow") and not (status.isdigit() and 400 <= int(status) <= 599):
            self.error(400, "status must be an HTTP error status (e.g. 503, 500, 429), hang or slow")
            return
        with self.state.lock:
            self.state.fail_until = time.monotonic() + max(0.0, seconds)
            self.state.fail_status = status
            self.state.fail_retry_after = max(0, retry_after)
        self.send(200, {"failing": True, "seconds": seconds, "status": status})

    def control_recover(self, query, _raw):
        revoke = query.get("revoke_tokens", ["0"])[0] in ("1", "true", "yes")
        with self.state.lock:
            self.state.fail_until = 0.0
            revoked = len(self.state.tokens) if revoke else 0
            if revoke:
                self.state.tokens.clear()
        self.send(200, {"failing": False, "tokensRevoked": revoked})

    def control_reset(self, _query, _raw):
        with self.state.lock:
            self.state.deliveries.clear()
            self.state.failed_requests = 0
            self.state.authentications = 0
            self.state.tokens_refused = 0
        self.send(200, {"reset": True})

    def aa_authenticate(self, _query, raw):
        body = self.json_body(raw)
        if not isinstance(body, dict):
            self.error(400, "body must be a JSON object")
            return
        if body.get("username") != self.state.username or body.get("apiKey") != self.state.api_key:
            self.error(401, "invalid credentials")
            return
        token = uuid.uuid4().hex + uuid.uuid4().hex
        with self.state.lock:
            self.state.tokens.add(token)
            self.state.authentications += 1
        self.send(200, {"token": token, "user": {"id": 1, "username": self.state.username}, "tenantUuid": "fake"})

    def aa_deploy(self, _query, raw):
        token = self.headers.get("X-Authorization")
        with self.state.lock:
            valid = token in self.state.tokens
            if not valid:
                self.state.tokens_refused += 1
        if not valid:
            self.error(401, "missing or unknown X-Authorization token")
            return
        body = self.json_body(raw)
        if not isinstance(body, dict) or "fileId" not in body or not isinstance(body.get("botInput"), dict):
            self.error(400, "body must be {fileId, runAsUserIds, botInput}")
            return

        def bot_input(name):
            value = body["botInput"].get(name)
            return value.get("string") if isinstance(value, dict) else None

        digest_id = bot_input("digestId")
        deployment = str(uuid.uuid4())
        self.state.record(
            {
                "channel": bot_input("channel"),
                "digestId": int(digest_id) if digest_id and digest_id.isdigit() else digest_id,
                "deploymentId": deployment,
                "at": now_iso(),
                "transport": "aa",
                "fileId": body.get("fileId"),
                "bodySha256": hashlib.sha256(raw).hexdigest(),
            }
        )
        self.send(200, {"deploymentId": deployment})

    def teams(self, _query, raw):
        if len(raw) > self.server.teams_max_bytes:
            # Legacy connectors report the failure inside a 200.
            self.send(
                200,
                "Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413 with "
                "ContextId tcid=0,server=outside-fake,cv=%s.0" % uuid.uuid4().hex,
                content_type="text/plain; charset=utf-8",
            )
            return
        if self.record_teams(raw, "teams-webhook"):
            self.send(200, "1", content_type="text/plain; charset=utf-8")

    def teams_workflows(self, _query, raw):
        if len(raw) > self.server.teams_max_bytes:
            self.error(413, "The request content length exceeds the maximum allowed")
            return
        if self.record_teams(raw, "teams-workflows"):
            self.send(202, b"", content_type="text/plain; charset=utf-8")

    # Records a Teams message; False (answered 400) when the body is not one.
    def record_teams(self, raw, transport):
        body = self.json_body(raw)
        if not isinstance(body, dict) or not isinstance(body.get("attachments"), list):
            self.error(400, "body must be a Teams message with attachments")
            return False
        match = DIGEST_IN_CARD.search(json.dumps(body.get("attachments")))
        self.state.record(
            {
                "channel": "teams",
                "digestId": int(match.group(1)) if match else None,
                "deploymentId": None,
                "at": now_iso(),
                "transport": transport,
                "bodySha256": hashlib.sha256(raw).hexdigest(),
            }
        )
        return True


def main(argv=None):
    parser = argparse.ArgumentParser(description="Fake Automation Anywhere Control Room and Teams webhook.")
    parser.add_argument("--port", type=int, default=9000, help="port to listen on (default 9000)")
    parser.add_argument("--bind", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    parser.add_argument("--record", help="append every delivery to this file (JSON Lines)")
    parser.add_argument("--aa-username", default=DEFAULT_AA_USERNAME, help="Control Room user accepted")
    parser.add_argument("--aa-api-key", default=DEFAULT_AA_API_KEY, help="API key accepted for that user")
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    parser.add_argument(
        "--teams-max-bytes", type=int, default=TEAMS_MAX_BYTES, help="largest Teams message accepted (default 28 KB)"
    )
    args = parser.parse_args(argv)

    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.aa_username, args.aa_api_key, args.record)
    server.quiet = args.quiet
    server.teams_max_bytes = args.teams_max_bytes
    sys.stderr.write(
        "[outside-fake] listening on %s:%d (Control Room: /v1/authentication, /v3/automations/deploy; Teams: /teams;"
        " control: /_fake/*)\n" % (args.bind, server.server_address[1])
    )
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
