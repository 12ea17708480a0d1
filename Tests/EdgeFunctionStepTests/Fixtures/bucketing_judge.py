#!/usr/bin/env python3
"""The CloudFront Function's bucketing against the official LaunchDarkly SDK (launchdarkly-server-sdk).

For every case (a flag: off / single variation / percentage rollout over many weight sets, salts,
seeds and value orders) and every key, the real function code (templates/edge-function) runs in
Node.js on the compact KeyValueStore record ldedge writes for that flag, and the SDK's evaluator
evaluates the flag itself; a visitor goes to the new site exactly when the SDK's value is `true`.

Usage: bucketing_judge.py --flags-only N CASES.json writes the flags and N keys; the Swift test
(BucketingEquivalenceTests) adds each flag's record as FlagRecord makes it; bucketing_judge.py
CASES.json then compares. bucketing_judge.py --generate N CASES.json builds the records in Python
(the same format) for running without Swift. Prints a JSON summary with
"differences" (0 expected).
"""

import json
import os
import random
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))

WEIGHT_SETS = [
    [50000, 50000], [0, 100000], [100000, 0], [1, 99999], [99999, 1], [10000, 90000], [25000, 75000],
    [33333, 66667], [45000, 55000], [70000, 30000], [12345, 87655], [99000, 1000], [500, 99500],
    [20000, 30000, 50000], [33333, 33333, 33334], [10000, 10000, 10000, 70000], [60000, 30000],
    [40000, 40000], [0, 0], [49999, 50001], [5000, 5000, 5000, 5000, 80000], [100000],
]


def flags(keys_seed=7):
    rng = random.Random(keys_seed)
    cases = []
    for index, weights in enumerate(WEIGHT_SETS):
        variations = [{"variation": (i % 2) if index % 3 else ((i + 1) % 2), "weight": w} for i, w in enumerate(weights)]
        rollout = {"variations": variations}
        if index % 7 == 3:
            rollout["seed"] = rng.randint(-2**31, 2**31 - 1)
        if index % 11 == 5:
            rollout["kind"] = "experiment"
            rollout["seed"] = rng.randint(0, 2**31 - 1)
        if index % 9 == 4:
            rollout["contextKind"] = "org"  # visitors are "user": the SDK puts them in the first bucket
        cases.append(flag(True, 1, {"rollout": rollout}, salt="s%x" % rng.getrandbits(64), values=[True, False] if index % 2 else [False, True]))
    cases.append(flag(False, 0, {"variation": 1}))
    cases.append(flag(False, 1, {"variation": 0}))
    cases.append(flag(False, None, {"variation": 0}))
    cases.append(flag(False, 1, {"variation": 0}, values=[False, True]))
    cases.append(flag(True, 1, {"variation": 0}))
    cases.append(flag(True, 0, {"variation": 1}))
    cases.append(flag(True, 1, {"variation": 0}, values=[False, True]))
    cases.append(flag(True, 0, {"variation": 1}, values=[False, True]))
    return cases


def flag(on, off, fallthrough, salt="abcdef", values=(True, False)):
    return {"key": "rebrand", "version": 3, "on": on, "salt": salt, "variations": list(values), "offVariation": off,
            "fallthrough": fallthrough, "targets": [], "contextTargets": [], "rules": [], "prerequisites": [],
            "trackEvents": False, "deleted": False}


def python_record(flag_json):
    """The record the step writes (FlagRecord in Swift), for standalone runs."""
    record = {"v": flag_json["version"], "on": flag_json["on"], "off": flag_json.get("offVariation"), "vals": flag_json["variations"]}
    fallthrough = flag_json["fallthrough"]
    if fallthrough.get("variation") is not None:
        record["fall"] = fallthrough["variation"]
    else:
        rollout = fallthrough["rollout"]
        r = {"salt": flag_json.get("salt") or "", "w": [[v["variation"], v["weight"]] for v in rollout["variations"]]}
        if rollout.get("seed") is not None:
            r["seed"] = rollout["seed"]
        if rollout.get("contextKind"):
            r["kind"] = rollout["contextKind"]
        record["r"] = r
    return json.dumps(record, separators=(",", ":"))


def keys(count):
    rng = random.Random(2024)
    return ["%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)) for _ in range(count)]


def generate(count, path, records=True):
    with open(os.path.join(ROOT, "templates", "edge-function", "viewer-request.js")) as handle:
        code = handle.read()
    document = {"code": code, "recordKey": "rebrand", "keys": keys(count),
                "cases": [{"flag": f, "record": python_record(f) if records else None} for f in flags()]}
    with open(path, "w") as handle:
        json.dump(document, handle)


def sdk_results(document):
    from ldclient import Context
    from ldclient.impl.evaluator import Evaluator
    from ldclient.impl.events.types import EventFactory
    from ldclient.impl.model import FeatureFlag

    evaluator = Evaluator(lambda key: None, lambda key: None, lambda key: (None, None), None)
    events = EventFactory(False)
    contexts = [Context.builder(key).kind("user").build() for key in document["keys"]]
    results = []
    for case in document["cases"]:
        model = FeatureFlag(case["flag"])
        results.append("".join("1" if evaluator.evaluate(model, context, events).detail.value is True else "0" for context in contexts))
    return results


def main():
    args = sys.argv[1:]
    if args[:1] == ["--flags-only"]:
        generate(int(args[1]), args[2], records=False)
        return
    if args[:1] == ["--generate"]:
        generate(int(args[1]), args[2])
        args = args[2:]
    path = args[0]
    with open(path) as handle:
        document = json.load(handle)
    started = time.time()
    node = subprocess.Popen(["node", os.path.join(HERE, "evaluate_keys.mjs"), path], stdout=subprocess.PIPE)
    sdk = sdk_results(document)
    sdk_seconds = time.time() - started
    out, _ = node.communicate()
    if node.returncode != 0:
        print(json.dumps({"error": "node failed", "status": node.returncode}))
        sys.exit(1)
    function = json.loads(out)
    differences = 0
    examples = []
    for index, (theirs, ours) in enumerate(zip(sdk, function["results"])):
        for position, (a, b) in enumerate(zip(theirs, ours)):
            if a != b:
                differences += 1
                if len(examples) < 5:
                    examples.append({"case": index, "key": document["keys"][position], "sdk": a, "function": b})
    new_share = [round(r.count("1") / max(1, len(r)), 4) for r in function["results"]]
    print(json.dumps({
        "cases": len(document["cases"]), "keys": len(document["keys"]), "evaluations": function["evaluations"],
        "differences": differences, "examples": examples, "newShare": new_share,
        "functionMicrosPerEvaluation": round(function["micros"] / max(1, function["evaluations"]), 3),
        "sdkSeconds": round(sdk_seconds, 1),
    }))
    sys.exit(0 if differences == 0 else 1)


if __name__ == "__main__":
    main()
