#!/usr/bin/env python3
"""Create N boolean flags in a sandbox through the REST API, half of them on with a 50/50 rollout."""
import json
import sys
import urllib.request


def call(base, token, method, path, body=None, content_type="application/json"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Authorization": token, "Content-Type": content_type, "LD-API-Version": "20240415"})
    with urllib.request.urlopen(req) as resp:
        return json.loads(resp.read() or b"null")


def main():
    base, token, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    for i in range(count):
        flag = call(base, token, "POST", "/api/v2/flags/default", {"key": f"flag-{i:04d}", "name": f"Flag {i}", "tags": ["bench"]})
        if i % 2 == 0:
            ids = [v["_id"] for v in flag["variations"]]
            call(base, token, "PATCH", f"/api/v2/flags/default/flag-{i:04d}",
                 {"environmentKey": "production", "instructions": [
                     {"kind": "turnFlagOn"},
                     {"kind": "updateFallthroughVariationOrRollout", "rolloutWeights": {ids[0]: 50000, ids[1]: 50000},
                      "rolloutBucketBy": "key", "rolloutContextKind": "user"}]},
                 content_type="application/json; domain-model=launchdarkly.semanticpatch")
    print(f"seeded {count} flags", file=sys.stderr)


if __name__ == "__main__":
    main()
