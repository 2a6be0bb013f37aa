"""Signs and verifies Standard Webhooks deliveries with the official library (PyPI `standardwebhooks`), for
ingest-api's interoperability test (crates/ingest-api/tests/api/standard_webhooks.rs).

Runs in the project's .venv (scripts/test.sh creates it). Reads one JSON object on stdin:
  {"sign":   [{"secret", "id", "timestamp", "body"}, ...],
   "verify": [{"secret", "headers": {...}, "body"}, ...]}
and writes {"signatures": ["v1,...", ...], "verified": [true|false, ...]} on stdout.
"""

import json
import sys
from datetime import datetime, timezone

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main() -> None:
    request = json.load(sys.stdin)
    signatures = [
        Webhook(v["secret"]).sign(v["id"], datetime.fromtimestamp(v["timestamp"], tz=timezone.utc), v["body"])
        for v in request.get("sign", [])
    ]
    verified = []
    for v in request.get("verify", []):
        try:
            Webhook(v["secret"]).verify(v["body"], v["headers"], json_parse=False)
            verified.append(True)
        except WebhookVerificationError:
            verified.append(False)
    json.dump({"signatures": signatures, "verified": verified}, sys.stdout)


if __name__ == "__main__":
    main()
