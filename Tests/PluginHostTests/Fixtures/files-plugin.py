#!/usr/bin/env python3
"""Test fixture: an ldedge step plugin that creates files, misbehaving on request.

Inputs: dir (folder for the files and calls.jsonl), files (names to create), mode (how to
misbehave, in which method), secret (echoed to stderr and into the undo payload: ldedge must
mask it), count (only for schema checks). Every call is appended to DIR/calls.jsonl.
"""
import json
import os
import signal
import subprocess
import sys
import time


class RPCError(Exception):
    def __init__(self, error):
        super().__init__(error.get("message"))
        self.code = error.get("code")


def send(message):
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


_ids = [100]


def request(method, params):
    _ids[0] += 1
    send({"jsonrpc": "2.0", "id": _ids[0], "method": method, "params": params})
    reply = json.loads(sys.stdin.readline())
    if "error" in reply:
        raise RPCError(reply["error"])
    return reply["result"]


def log(inputs, method, params):
    folder = inputs.get("dir")
    if folder:
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "calls.jsonl"), "a") as handle:
            handle.write(json.dumps({"method": method, "params": params}) + "\n")


DESCRIBE = {
    "kind": "files",
    "summary": "Create files in a folder (test fixture)",
    "inputs": {
        "type": "object",
        "properties": {
            "dir": {"type": "string", "description": "folder for the files"},
            "files": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
            "mode": {"type": "string", "description": "how to misbehave"},
            "secret": {"type": "string", "writeOnly": True},
            "count": {"type": "integer", "minimum": 1, "maximum": 10},
        },
        "required": ["dir", "files"],
        "additionalProperties": False,
    },
    "outputs": [{"name": "created", "description": "the files created, comma-separated"}],
}


def plan(params):
    inputs = params["inputs"]
    mode = inputs.get("mode", "ok")
    if mode == "intent-in-plan":
        try:
            request("journal.intent", {"action": "create", "resource": "file:sneaky", "undo": None})
        except RPCError as error:
            print(f"journal.intent refused: {error.code}", file=sys.stderr)
    print(f"planning {len(inputs['files'])} files", file=sys.stderr)
    changes = []
    for name in inputs["files"]:
        path = os.path.join(inputs["dir"], name)
        changes.append({"action": "none" if os.path.exists(path) else "create", "resource": f"file:{name}", "detail": path})
    return {"changes": changes, "outputs": {}, "data": {"count": len(changes)}}


def apply(params):
    inputs = params["inputs"]
    mode = inputs.get("mode", "ok")
    secret = inputs.get("secret")
    if secret:
        print(f"using token {secret}", file=sys.stderr)
    if mode == "garbage":
        print("hello, this is not JSON-RPC")
        sys.stdout.flush()
        time.sleep(5)
    created = []
    for name in inputs["files"]:
        path = os.path.join(inputs["dir"], name)
        if os.path.exists(path):
            continue
        undo = {"path": path}
        if secret:
            undo["token"] = secret
        request("journal.intent", {"action": "create", "resource": f"file:{name}", "undo": undo})
        with open(path, "w") as handle:
            handle.write(secret or name)
        if mode == "kill-ldedge":
            print("killing ldedge now", file=sys.stderr)
            sys.stderr.flush()
            os.kill(os.getppid(), signal.SIGKILL)
            time.sleep(2)
        request("journal.done", {"resource": f"file:{name}"})
        request("state.own", {"type": "file", "id": path, "attributes": {"name": name}})
        created.append(name)
        if mode == "exit1":
            print("disk on fire", file=sys.stderr)
            sys.exit(1)
        if mode == "hang":
            child = subprocess.Popen(["sleep", "1000"])
            with open(os.path.join(inputs["dir"], "child.pid"), "w") as handle:
                handle.write(str(child.pid))
            print("hanging now", file=sys.stderr)
            sys.stderr.flush()
            time.sleep(1000)
    return {"outputs": {"created": ",".join(created)}}


def rollback(params):
    for record in params["undo"]:
        path = (record.get("undo") or {}).get("path")
        if path and os.path.exists(path):
            os.remove(path)
    return {}


def teardown(params):
    for resource in params["resources"]:
        if os.path.exists(resource["id"]):
            os.remove(resource["id"])
        request("state.release", {"type": resource["type"], "id": resource["id"]})
    return {}


def main():
    message = json.loads(sys.stdin.readline())
    method, params = message["method"], message.get("params", {})
    if method == "describe":
        send({"jsonrpc": "2.0", "id": message["id"], "result": DESCRIBE})
        return
    inputs = params.get("inputs", {})
    log(inputs, method, params)
    handlers = {"plan": plan, "apply": apply, "rollback": rollback, "teardown": teardown}
    if method not in handlers:
        send({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32601, "message": f"no method {method}"}})
        return
    try:
        result = handlers[method](params)
    except RPCError as error:
        send({"jsonrpc": "2.0", "id": message["id"], "error": {"code": -32000, "message": f"refused: {error}"}})
        return
    send({"jsonrpc": "2.0", "id": message["id"], "result": result})


if __name__ == "__main__":
    main()
