#!/usr/bin/env python3
"""Proves the handler's small evaluator (templates/handler-python/ldedge_eval.py) identical to the
official LaunchDarkly SDK (`launchdarkly-server-sdk` from PyPI) on every flag shape ldedge writes:
off (with and without an off variation), a single variation, and percentage rollouts by key over
--weight-sets weight sets (plus a seeded rollout, an experiment rollout and a rollout keyed on
another context kind), each over --keys visitor keys.

The SDK side runs the SDK's own evaluator on the SDK's own flag model; a sample of keys per shape
also goes through a full `LDClient.variation` (file data source) to show both SDK paths agree.
Prints one JSON line: {"evaluations": N, "differences": N, "shapes": N, "clientChecks": N, ...}
and exits 1 on any difference.

    evaluator_equivalence.py [--keys 100000] [--weight-sets 20] [--client-sample 500]
"""

import argparse
import json
import os
import random
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(HERE)), "templates", "handler-python"))

import ldedge_eval  # noqa: E402
from ldclient import Context  # noqa: E402
from ldclient.client import LDClient  # noqa: E402
from ldclient.config import Config  # noqa: E402
from ldclient.impl.evaluator import Evaluator  # noqa: E402
from ldclient.impl.events.types import EventFactory  # noqa: E402
from ldclient.impl.model import FeatureFlag  # noqa: E402
from ldclient.integrations import Files  # noqa: E402


def weight_sets(count, rng):
    """Edge cases first (0/100, 100/0, 50/50, 1/99999 splits, three-way, sums off 100000), then random splits."""
    sets = [[0, 100000], [100000, 0], [50000, 50000], [1, 99999], [99999, 1], [10000, 90000], [25000, 75000],
            [33333, 33333, 33334], [20000, 30000, 50000], [50000, 40000]]
    while len(sets) < count:
        parts = rng.randint(2, 4)
        cuts = sorted(rng.randint(0, 100000) for _ in range(parts - 1))
        bounds = [0] + cuts + [100000]
        sets.append([bounds[i + 1] - bounds[i] for i in range(parts)])
    return sets


def shapes(count, rng):
    base = {"version": 3, "salt": "salt-of-the-flag", "variations": [False, True, "third", 4], "targets": [], "contextTargets": [],
            "rules": [], "prerequisites": [], "trackEvents": False}

    def flag(key, **fields):
        made = dict(base, key=key)
        made.update(fields)
        return made

    result = [
        flag("off-with-variation", on=False, offVariation=1, fallthrough={"variation": 0}),
        flag("off-without-variation", on=False, fallthrough={"variation": 1}),
        flag("off-bad-variation", on=False, offVariation=9, fallthrough={"variation": 1}),
        flag("single-true", on=True, offVariation=0, fallthrough={"variation": 1}),
        flag("single-false", on=True, offVariation=1, fallthrough={"variation": 0}),
    ]
    for index, weights in enumerate(weight_sets(count, rng)):
        variations = [{"variation": i % 4, "weight": w} for i, w in enumerate(weights)]
        result.append(flag("rollout-%d" % index, on=True, offVariation=0, salt="salt-%d" % index, fallthrough={"rollout": {"variations": variations}}))
    fifty = [{"variation": 0, "weight": 50000}, {"variation": 1, "weight": 50000}]
    result.append(flag("rollout-seeded", on=True, offVariation=0, fallthrough={"rollout": {"variations": fifty, "seed": 61}}))
    result.append(flag("rollout-experiment", on=True, offVariation=0,
                       fallthrough={"rollout": {"kind": "experiment", "variations": fifty + [{"variation": 2, "weight": 0, "untracked": True}]}}))
    result.append(flag("rollout-other-kind", on=True, offVariation=0, fallthrough={"rollout": {"variations": fifty, "contextKind": "device"}}))
    result.append(flag("rollout-bucket-by-key", on=True, offVariation=0, fallthrough={"rollout": {"variations": fifty, "bucketBy": "key"}}))
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--keys", type=int, default=100000)
    parser.add_argument("--weight-sets", type=int, default=20)
    parser.add_argument("--client-sample", type=int, default=500)
    options = parser.parse_args()
    rng = random.Random(20261201)
    flags = shapes(options.weight_sets, rng)
    not_simple = [f["key"] for f in flags if not ldedge_eval.is_simple(f)]
    if not_simple:
        print(json.dumps({"error": "shapes the evaluator refuses: %s" % not_simple}))
        return 1

    keys = ["%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)) for _ in range(options.keys // 2)]
    keys += ["visitor-%d" % i for i in range(options.keys - len(keys))]
    models = {f["key"]: FeatureFlag(f) for f in flags}
    evaluator = Evaluator(lambda key: models.get(key), lambda key: None, lambda key: (None, "NOT_CONFIGURED"))
    events = EventFactory(False)

    started = time.perf_counter()
    evaluations = differences = 0
    examples = []
    contexts = [Context.builder(key).kind("user").build() for key in keys]
    for raw in flags:
        model = models[raw["key"]]
        for key, context in zip(keys, contexts):
            ours = ldedge_eval.evaluate(raw, key, "user")
            theirs = evaluator.evaluate(model, context, events).detail.value
            evaluations += 1
            if ours != theirs or type(ours) is not type(theirs):
                differences += 1
                if len(examples) < 5:
                    examples.append({"flag": raw["key"], "key": key, "ours": ours, "sdk": theirs})

    # The SDK's public client agrees with its evaluator (and so with ours) on a sample.
    folder = tempfile.mkdtemp(prefix="ldedge-eval-")
    path = os.path.join(folder, "flags.json")
    with open(path, "w") as handle:
        json.dump({"flags": {f["key"]: f for f in flags}, "segments": {}}, handle)
    client = LDClient(Config("sdk-equivalence", update_processor_class=Files.new_data_source(paths=[path]), send_events=False), start_wait=5)
    client_checks = 0
    for raw in flags:
        for key in keys[:options.client_sample // 2] + keys[-options.client_sample // 2:]:
            theirs = client.variation(raw["key"], Context.builder(key).kind("user").build(), None)
            client_checks += 1
            if theirs != ldedge_eval.evaluate(raw, key, "user"):
                differences += 1
                if len(examples) < 5:
                    examples.append({"flag": raw["key"], "key": key, "ours": ldedge_eval.evaluate(raw, key, "user"), "client": theirs})
    client.close()

    rollouts = [f for f in flags if f["key"].startswith("rollout-") and f["key"][8:].isdigit()]
    print(json.dumps({"evaluations": evaluations, "differences": differences, "shapes": len(flags), "weightSets": len(rollouts),
                      "keys": len(keys), "clientChecks": client_checks, "seconds": round(time.perf_counter() - started, 1),
                      "examples": examples}))
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
