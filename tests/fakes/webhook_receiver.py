#!/usr/bin/env python3
"""A receiver of our outbound webhooks (Standard Webhooks), as a CRM, Zapier or n8n would run one.

    python3 tests/fakes/webhook_receiver.py [--port 0] [--bind 127.0.0.1] [--secret whsec_...] [--record FILE]
                                            [--quiet]

Prints "listening on <port>" as its first line on stdout (so --port 0 works), then serves:

  POST <any other path>        a webhook. Verified with the official Standard Webhooks library (PyPI
                               `standardwebhooks`, `Webhook(secret).verify(body, headers)`: webhook-id,
                               webhook-timestamp within 5 minutes, a matching `v1,` signature) against every secret
                               given; when the library is not installed (the chaos suite's bare python3), by the same
                               algorithm with the standard library (recorded as verifiedBy "stdlib"). A request that
                               does not verify is answered 401 and recorded with verified false. While a failure is
                               on, a matching request is answered with the failure's status (recorded, not accepted);
                               otherwise 204, recorded as accepted.
Control (never failing):
  GET  /_fake/health           200 {"status":"ok"}
  POST /_fake/secrets          body ["whsec_...", ...]: the secrets to verify with (replaces the list)
  POST /_fake/fail?seconds=N|count=N[&status=503][&match=TEXT][&retry_after=S]
                               fail for N seconds, or the next N matching requests (status 503 by default, "hang"
                               holds the request until the client gives up); with match, only requests whose body
                               contains TEXT fail
  POST /_fake/recover          ends the failure now
  GET  /_fake/deliveries       every request recorded: {"path","webhookId","webhookTimestamp","signature","verified",
                               "verifiedBy","verifyError","answered","accepted","at","body"}
  POST /_fake/reset            forgets the requests

With --record FILE every recorded request is also appended to FILE as one JSON object per line.
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

try:  # the official library, when installed (the project's .venv has it: tests/python-requirements.txt)
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    VERIFIED_BY = "standardwebhooks"
except ImportError:  # pragma: no cover - the chaos suite runs with the system python3
    Webhook = None
    VERIFIED_BY = "stdlib"

MAX_BODY = 1024 * 1024
TOLERANCE_SECS = 5 * 60


def verify_stdlib(secret, body, headers):
    """The Standard Webhooks algorithm, as the library implements it (for a python3 without the library)."""
    msg_id, stamp, signatures = headers.get("webhook-id"), headers.get("webhook-timestamp"), headers.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise ValueError("Missing required headers")
    if abs(time.time() - float(stamp)) > TOLERANCE_SECS:
        raise ValueError("Message timestamp outside the tolerance")
    key = base64.b64decode(secret.removeprefix("whsec_") + "==")
    expected = hmac.new(key, f"{msg_id}.{int(float(stamp))}.".encode() + body, hashlib.sha256).digest()
    for versioned in signatures.split(" "):
        version, _, signature = versioned.partition(",")
        if version == "v1" and hmac.compare_digest(expected, base64.b64decode(signature)):
            return
    raise ValueError("No matching signature found")


def verify(secrets, body, headers):
    """(verified, error): verified when any secret verifies the request."""
    if not secrets:
        return False, "no secret configured (POST /_fake/secrets)"
    error = None
    for secret in secrets:
        try:
            if Webhook is not None:
                Webhook(secret).verify(body, headers)
            else:
                verify_stdlib(secret, body, headers)
            return True, None
        except Exception as failure:  # WebhookVerificationError, or a malformed header
            error = str(failure) or type(failure).__name__
    return False, error


class State:
    def __init__(self, secrets, record_path):
        self.lock = threading.Lock()
        self.secrets = list(secrets)
        self.requests = []
        self.fail_until = 0.0
        self.fail_count = 0
        self.fail_status = "503"
        self.fail_match = None
        self.fail_retry_after = None
        self.record_file = open(record_path, "a", encoding="utf-8") if record_path else None

    def failure_for(self, body):
        """The failure status for this request, or None."""
        with self.lock:
            if self.fail_match is not None and self.fail_match.encode() not in body:
                return None
            if time.monotonic() < self.fail_until:
                return self.fail_status
            if self.fail_count > 0:
                self.fail_count -= 1
                return self.fail_status
            return None

    def record(self, entry):
        with self.lock:
            self.requests.append(entry)
            if self.record_file:
                self.record_file.write(json.dumps(entry, separators=(",", ":")) + "\n")
                self.record_file.flush()


class Handler(BaseHTTPRequestHandler):
    server_version = "WebhookReceiverFake/1.0"
    protocol_version = "HTTP/1.1"

    @property
    def state(self):
        return self.server.state

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            sys.stderr.write("[webhook-receiver] %s %s\n" % (self.address_string(), fmt % args))

    def send(self, status, body=None, headers=None):
        data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def do_GET(self):
        path = urlparse(self.path).path
        if path == "/_fake/health":
            return self.send(200, {"status": "ok"})
        if path == "/_fake/deliveries":
            with self.state.lock:
                return self.send(200, list(self.state.requests))
        return self.send(404, {"error": "no such route"})

    def do_POST(self):
        url = urlparse(self.path)
        body = self.read_body()
        if body is None:
            return self.send(413, {"error": "too large"})
        if url.path.startswith("/_fake/"):
            return self.control(url, body)
        return self.webhook(url.path, body)

    def control(self, url, body):
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        state = self.state
        if url.path == "/_fake/secrets":
            with state.lock:
                state.secrets = list(json.loads(body or b"[]"))
            return self.send(200, {"secrets": len(state.secrets)})
        if url.path == "/_fake/fail":
            with state.lock:
                state.fail_status = query.get("status", "503")
                state.fail_match = query.get("match")
                state.fail_retry_after = query.get("retry_after")
                state.fail_until = time.monotonic() + float(query["seconds"]) if "seconds" in query else 0.0
                state.fail_count = int(query.get("count", "0"))
            return self.send(200, {"failing": True})
        if url.path == "/_fake/recover":
            with state.lock:
                state.fail_until, state.fail_count, state.fail_match = 0.0, 0, None
            return self.send(200, {"failing": False})
        if url.path == "/_fake/reset":
            with state.lock:
                state.requests = []
            return self.send(200, {"reset": True})
        return self.send(404, {"error": "no such route"})

    def webhook(self, path, body):
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.state.lock:
            secrets = list(self.state.secrets)
        verified, error = verify(secrets, body, headers)
        failure = self.state.failure_for(body) if verified else None
        if not verified:
            answered = 401
        elif failure == "hang":
            answered = 0
        elif failure is not None:
            answered = int(failure)
        else:
            answered = 204
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        self.state.record({
            "path": path,
            "webhookId": headers.get("webhook-id"),
            "webhookTimestamp": headers.get("webhook-timestamp"),
            "signature": headers.get("webhook-signature"),
            "verified": verified,
            "verifiedBy": VERIFIED_BY,
            "verifyError": error,
            "answered": answered,
            "accepted": answered == 204,
            "at": time.time(),
            "body": parsed,
        })
        if answered == 0:
            time.sleep(120)
            self.close_connection = True
            return None
        if answered == 401:
            return self.send(401, {"error": error})
        if answered != 204:
            extra = {"Retry-After": self.state.fail_retry_after} if self.state.fail_retry_after else None
            return self.send(answered, {"error": "failing on purpose"}, headers=extra)
        return self.send(204)


def main(argv=None):
    parser = argparse.ArgumentParser(description="Receiver of Standard Webhooks, verifying with the official library.")
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0: any free one, printed)")
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--secret", action="append", default=[], help="a secret to verify with (repeatable)")
    parser.add_argument("--record", help="append every request to this file (JSON Lines)")
    parser.add_argument("--quiet", action="store_true", help="do not log every request")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.bind, args.port), Handler)
    server.daemon_threads = True
    server.state = State(args.secret, args.record)
    server.quiet = args.quiet
    print("listening on %d" % server.server_address[1], flush=True)
    sys.stderr.write("[webhook-receiver] listening on %s:%d, verifying with %s\n"
                     % (args.bind, server.server_address[1], VERIFIED_BY))
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
