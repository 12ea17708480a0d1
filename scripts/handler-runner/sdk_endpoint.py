#!/usr/bin/env python3
"""A minimal LaunchDarkly SDK endpoint for handler tests and benchmarks, until `ldedge sandbox`
takes over: polling (`GET /sdk/latest-all`, ETag aware) and an events sink (`POST /bulk`,
`POST /diagnostic`). The real `launchdarkly-server-sdk` talks to it.

    sdk_endpoint.py --data data.json [--sdk-key KEY] [--port 0]

`data.json` is `{"flags": {...}, "segments": {...}}` and is re-read on every request, so a test
changes a rollout by rewriting it. The first stdout line is `{"port": N}`. `GET /_stats` returns
the request counts.
"""

import argparse
import hashlib
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STATS = {"polls": 0, "events": 0, "unauthorized": 0}
LOCK = threading.Lock()


def make_handler(options):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet: tests read stdout
            pass

        def _send(self, status, body=b"", headers=None):
            self.send_response(status)
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def _authorized(self):
            key = self.headers.get("Authorization", "")
            if not key or (options.sdk_key and key != options.sdk_key):
                with LOCK:
                    STATS["unauthorized"] += 1
                self._send(401, b'{"code":"unauthorized","message":"invalid SDK key"}', {"Content-Type": "application/json"})
                return False
            return True

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            if path == "/_stats":
                with LOCK:
                    body = json.dumps(STATS).encode()
                return self._send(200, body, {"Content-Type": "application/json"})
            if path != "/sdk/latest-all":
                return self._send(404)
            if not self._authorized():
                return
            with open(options.data, "rb") as file:
                body = file.read()
            etag = '"%s"' % hashlib.sha1(body).hexdigest()
            with LOCK:
                STATS["polls"] += 1
            if self.headers.get("If-None-Match") == etag:
                return self._send(304, b"", {"ETag": etag})
            self._send(200, body, {"Content-Type": "application/json", "ETag": etag})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.split("?", 1)[0] not in ("/bulk", "/diagnostic"):
                return self._send(404)
            if not self._authorized():
                return
            try:
                count = len(json.loads(body or b"[]")) if self.path.startswith("/bulk") else 0
            except ValueError:
                count = 0
            with LOCK:
                STATS["events"] += count
            self._send(202)

    return Handler


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--sdk-key", default="")
    parser.add_argument("--port", type=int, default=0)
    options = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", options.port), make_handler(options))
    server.daemon_threads = True
    sys.stdout.write(json.dumps({"port": server.server_address[1]}) + "\n")
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
