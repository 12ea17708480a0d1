#!/usr/bin/env python3
"""A local Lambda-like runner for a packaged Python handler (used by `ldedge invoke`, tests and
benchmarks).

Like a Lambda container, it imports the handler module once (the init phase, where the
LaunchDarkly client starts) and then serves many invocations, so the SDK stays warm.

Protocol, one JSON document per line:
  stdout  {"type": "ready", "initMs": N}            after the import
          {"type": "error", "error": "..."}         when the import fails (then exits 1)
  stdin   {"event": {...}}                          one invocation
  stdout  {"type": "result", "response": {...}, "durationMs": N, "timedOut": bool}
          {"type": "error", "error": "...", "durationMs": N}
The handler's own prints and logs go to stderr, never into the protocol.

Run it as `python3 -I -S runner.py --dir PACKAGE` for what Lambda's /var/task gives a handler:
the package and the standard library only (plus --runtime-path folders, Lambda's boto3).
"""

import argparse
import importlib
import json
import os
import sys
import time
import traceback
import uuid


class LambdaContext:
    def __init__(self, name, timeout):
        self.function_name = name
        self.function_version = "1"
        self.memory_limit_in_mb = 128
        self.aws_request_id = str(uuid.uuid4())
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:%s:1" % name
        self._deadline = time.monotonic() + timeout

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True, help="the unzipped package")
    parser.add_argument("--handler", default="handler.handler", help="module.function")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds, the viewer-request limit")
    parser.add_argument("--name", default="ldedge-handler")
    parser.add_argument("--runtime-path", action="append", default=[],
                        help="a folder of packages the Lambda runtime provides (boto3), after the package on sys.path")
    options = parser.parse_args()

    # The protocol owns the real stdout; whatever the handler prints goes to stderr.
    protocol = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(message):
        protocol.write(json.dumps(message, separators=(",", ":")) + "\n")
        protocol.flush()

    sys.path.insert(0, options.dir)
    sys.path.extend(options.runtime_path)
    os.chdir(options.dir)
    module_name, _, function_name = options.handler.rpartition(".")
    started = time.perf_counter()
    try:
        function = getattr(importlib.import_module(module_name), function_name)
    except Exception:  # noqa: BLE001
        send({"type": "error", "error": traceback.format_exc()})
        return 1
    send({"type": "ready", "initMs": (time.perf_counter() - started) * 1000})

    for line in sys.stdin:
        if not line.strip():
            continue
        event = json.loads(line)["event"]
        started = time.perf_counter()
        try:
            response = function(event, LambdaContext(options.name, options.timeout))
            duration = (time.perf_counter() - started) * 1000
            send({"type": "result", "response": response, "durationMs": duration, "timedOut": duration > options.timeout * 1000})
        except Exception:  # noqa: BLE001
            send({"type": "error", "error": traceback.format_exc(), "durationMs": (time.perf_counter() - started) * 1000})
    return 0


if __name__ == "__main__":
    sys.exit(main())
