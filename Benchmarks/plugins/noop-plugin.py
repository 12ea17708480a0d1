#!/usr/bin/env -S python3 -S
"""A no-op ldedge step plugin for the benchmark: plans one 'run' change, owns one resource."""
import json
import sys


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def call(method, params):
    send({"jsonrpc": "2.0", "id": "p1", "method": method, "params": params})
    return json.loads(sys.stdin.readline())


request = json.loads(sys.stdin.readline())
method, params = request["method"], request.get("params", {})
if method == "describe":
    result = {"kind": "noop", "summary": "does nothing", "inputs": {"type": "object", "properties": {"n": {"type": "integer"}}}, "outputs": []}
elif method == "plan":
    owned = bool(params["resources"])
    result = {"changes": [{"action": "none" if owned else "run", "resource": "noop"}]}
elif method == "apply":
    call("state.own", {"type": "noop", "id": params["id"]})
    result = {"outputs": {}}
elif method == "teardown":
    for resource in params["resources"]:
        call("state.release", {"type": resource["type"], "id": resource["id"]})
    result = {}
else:
    result = {}
send({"jsonrpc": "2.0", "id": request["id"], "result": result})
