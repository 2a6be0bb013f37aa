#!/usr/bin/env python3
"""A fake Discourse admin API, speaking what reconciliation reads (crates/classifier/src/reconcile/client.rs).

    python3 tests/fakes/discourse.py --port 9100 [--bind 127.0.0.1] [--api-key K] [--api-username U]
                                     [--field-id 1] [--users FILE] [--quiet]

--users FILE loads the members at start (the JSON list /_fake/users takes); docs/OPERATIONS.md "Day one" uses it.

Python 3 standard library only. Shapes and behaviour follow Discourse's source (discourse/discourse; line numbers
of the versions read: users_controller.rb at 00ec81dd, admin_user_list_serializer.rb at 000ef5e5,
admin_detailed_user_serializer.rb at 2499b565, the others at a recent main):

  GET /admin/users/list/active.json?page=N&order=created&asc=true
        config/routes.rb (admin namespace, resources :users, `get "list/:query" => "users#index"`);
        Admin::UsersController#index (app/controllers/admin/users_controller.rb lines 32-42) renders
        AdminUserIndexQuery#find_users(limit = 100) (lib/admin_user_index_query.rb lines 40-44: page is 1-based,
        offset (page - 1) * 100; query "active" adds no filter; order "created" + asc sorts by created_at ASC,
        lines 19-33 and 50-57) with AdminUserListSerializer (app/serializers/admin_user_list_serializer.rb lines
        4-28): a JSON array of users with id, username, active, admin, moderator, staged, trust_level,
        created_at, ... and no user_fields.
        The users' order here is their position in the list given to /_fake/users (= account creation order);
        system users (ids -1, -2) come first, as created first.
  GET /admin/users/{id}.json
        `get "users/:id.json" => "users#show"` (users_controller.rb lines 44-54): AdminDetailedUserSerializer,
        root false (app/serializers/admin_detailed_user_serializer.rb, user_fields at line 23): the user with
        user_fields {"<field id>": value or null} for every user field (User#user_fields, app/models/user.rb);
        404 for an unknown id
        ({"errors":["The requested URL or resource could not be found."],"error_type":"not_found"}).
  Authentication (lib/auth/default_current_user_provider.rb, HEADER_API_KEY / HEADER_API_USERNAME at lines
        29-30, lookup_api_user, invalid_api_credentials): headers Api-Key and Api-Username; a wrong key or
        username is answered 403 {"errors":["You are not permitted to view the requested resource. The API
        username or key is invalid."],"error_type":"invalid_access"}.
  Rate limit (app/controllers/application_controller.rb, rescue_from RateLimiter::LimitExceeded): 429 with
        headers Retry-After: <seconds> and Discourse-Rate-Limit-Error-Code: admin_api_key_rate_limit, body
        {"errors":["You’ve performed this action too many times. Please wait N seconds before trying again."],
         "error_type":"rate_limit","extras":{"wait_seconds":N}}; armed with /_fake/rate-limit below.

Control (no authentication):
  GET  /_fake/health                          200 {"status":"ok"}
  POST /_fake/users                           body: JSON list of {"id","username","title"?, "staged"?}; replaces
                                              the users (their order is the creation order)
  POST /_fake/rate-limit?after=N&wait=S       after N more API requests, the limit is hit: every API request of
                                              the next S seconds is answered 429 (Retry-After: the seconds left)
  POST /_fake/fail?page=N&status=500          list page N answers that status until /_fake/recover
  POST /_fake/recover                         ends /_fake/fail
  GET  /_fake/requests                        every API request: {"path","page","at" (epoch seconds),"status"}
"""

import argparse
import json
import math
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PAGE_SIZE = 100
INVALID_ACCESS = {
    "errors": ["You are not permitted to view the requested resource. The API username or key is invalid."],
    "error_type": "invalid_access",
}
NOT_FOUND = {"errors": ["The requested URL or resource could not be found."], "error_type": "not_found"}
SYSTEM_USERS = [{"id": -1, "username": "system"}, {"id": -2, "username": "discobot"}]


class State:
    def __init__(self, args):
        self.lock = threading.Lock()
        self.api_key = args.api_key
        self.api_username = args.api_username
        self.field_id = args.field_id
        self.users = list(SYSTEM_USERS)
        if args.users:
            with open(args.users, encoding="utf-8") as users:
                self.users += json.load(users)
        self.requests = []
        self.limit_after = None
        self.limit_wait = 0
        self.blocked_until = 0.0
        self.fail_page = None
        self.fail_status = 500


def list_entry(user):
    # AdminUserListSerializer's attributes (a subset that is always present), never user_fields.
    return {
        "id": user["id"],
        "username": user["username"],
        "name": None,
        "avatar_template": "/letter_avatar_proxy/v4/letter/a/8e7dd6/{size}.png",
        "active": True,
        "admin": user["id"] < 0,
        "moderator": user["id"] < 0,
        "last_seen_at": None,
        "last_emailed_at": None,
        "created_at": "2026-01-01T00:00:00.000Z",
        "last_seen_age": None,
        "last_emailed_age": None,
        "created_at_age": 1000.0,
        "trust_level": 1,
        "manual_locked_trust_level": None,
        "title": None,
        "time_read": 0,
        "staged": bool(user.get("staged", False)),
        "days_visited": 0,
        "posts_read_count": 0,
        "topics_entered": 0,
        "post_count": 0,
    }


def detail(user, field_id):
    body = list_entry(user)
    body.update({"can_be_deleted": True, "post_count": 0, "badge_count": 0, "groups": []})
    body["user_fields"] = {field_id: user.get("title"), "99": None}
    return body


def make_handler(state, quiet):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):
            if not quiet:
                super().log_message(fmt, *args)

        def answer(self, status, body, headers=None):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            with state.lock:
                if url.path == "/_fake/users":
                    state.users = list(SYSTEM_USERS) + json.loads(raw or b"[]")
                elif url.path == "/_fake/rate-limit":
                    state.limit_after = int(query.get("after", "0"))
                    state.limit_wait = float(query.get("wait", "2"))
                elif url.path == "/_fake/fail":
                    state.fail_page = int(query.get("page", "1"))
                    state.fail_status = int(query.get("status", "500"))
                elif url.path == "/_fake/recover":
                    state.fail_page = None
                else:
                    return self.answer(404, NOT_FOUND)
            self.answer(200, {"status": "ok"})

        def do_GET(self):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/_fake/health":
                return self.answer(200, {"status": "ok"})
            if url.path == "/_fake/requests":
                with state.lock:
                    return self.answer(200, list(state.requests))
            status, body, headers = self.api(url.path, query)
            with state.lock:
                state.requests.append(
                    {"path": url.path, "page": query.get("page"), "at": time.time(), "status": status}
                )
            self.answer(status, body, headers)

        def api(self, path, query):
            key = self.headers.get("Api-Key")
            username = (self.headers.get("Api-Username") or "").lower()
            if key != state.api_key or username != state.api_username.lower():
                return 403, INVALID_ACCESS, {}
            with state.lock:
                now = time.time()
                if now < state.blocked_until:
                    return self.rate_limited(state.blocked_until - now)
                if state.limit_after is not None:
                    if state.limit_after == 0:
                        state.limit_after = None
                        state.blocked_until = now + state.limit_wait
                        return self.rate_limited(state.limit_wait)
                    state.limit_after -= 1
                users = list(state.users)
                fail_page, fail_status = state.fail_page, state.fail_status
            if path == "/admin/users/list/active.json":
                page = max(int(query.get("page", "1") or 1), 1)
                if fail_page == page:
                    return fail_status, {"errors": ["internal error"], "error_type": "server_error"}, {}
                if query.get("order") == "created" and "asc" in query:
                    ordered = users
                else:  # Discourse's default for "active": last_seen_at DESC, unstable for paging
                    ordered = list(reversed(users))
                chunk = ordered[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
                return 200, [list_entry(u) for u in chunk], {}
            match = re.fullmatch(r"/admin/users/(-?\d+)\.json", path)
            if match:
                wanted = int(match.group(1))
                for user in users:
                    if user["id"] == wanted:
                        return 200, detail(user, state.field_id), {}
                return 404, NOT_FOUND, {}
            return 404, NOT_FOUND, {}

        @staticmethod
        def rate_limited(seconds_left):
            wait = max(1, math.ceil(seconds_left))
            body = {
                "errors": [
                    f"You’ve performed this action too many times. Please wait {wait} seconds before trying again."
                ],
                "error_type": "rate_limit",
                "extras": {"wait_seconds": wait},
            }
            headers = {"Retry-After": str(wait), "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit"}
            return 429, body, headers

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--api-key", default="test-admin-api-key")
    parser.add_argument("--api-username", default="system")
    parser.add_argument("--field-id", default="1")
    parser.add_argument("--users", help="a JSON list of members to start with")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    state = State(args)
    server = ThreadingHTTPServer((args.bind, args.port), make_handler(state, args.quiet))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
