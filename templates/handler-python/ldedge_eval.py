"""A small evaluator for exactly the flag shapes ldedge writes, identical to the official
LaunchDarkly SDK on them (Tests/InvokeTests/evaluator_equivalence.py proves it over 100,000 keys):

- the flag is off: its off variation (or the default when it has none);
- on, without targets, rules or prerequisites, and the fallthrough is a single variation;
- on, likewise, and the fallthrough is a percentage rollout by context key (optionally with a
  seed, a rollout context kind, or an experiment rollout).

`is_simple(flag)` says whether a flag has one of these shapes; the handler gives every other flag
to the SDK. The cost is one standard-library import (hashlib), so a cold container does not pay
the SDK's ~350 ms import before its first answer.
"""

from hashlib import sha1

_LONG_SCALE = float(0xFFFFFFFFFFFFFFF)


def _rollout_is_simple(rollout):
    if not isinstance(rollout, dict):
        return False
    variations = rollout.get("variations")
    if not isinstance(variations, list) or not variations:
        return False
    for weighted in variations:
        if not isinstance(weighted, dict) or type(weighted.get("variation")) is not int or type(weighted.get("weight")) is not int:
            return False
    bucket_by = rollout.get("bucketBy")
    seed = rollout.get("seed")
    kind = rollout.get("contextKind")
    return (bucket_by in (None, "key", "/key") or rollout.get("kind") == "experiment") \
        and (seed is None or type(seed) is int) and (kind is None or isinstance(kind, str))


def is_simple(flag):
    """True when `evaluate` gives exactly what the SDK gives for this flag (see the module doc)."""
    if not isinstance(flag, dict) or not isinstance(flag.get("variations"), list) or flag.get("deleted"):
        return False
    if not isinstance(flag.get("key"), str) or not isinstance(flag.get("salt", ""), (str, type(None))):
        return False
    off = flag.get("offVariation")
    if off is not None and type(off) is not int:
        return False
    if not flag.get("on"):
        return True
    if flag.get("prerequisites") or flag.get("targets") or flag.get("contextTargets") or flag.get("rules"):
        return False
    fallthrough = flag.get("fallthrough")
    if not isinstance(fallthrough, dict):
        return False
    variation = fallthrough.get("variation")
    if variation is not None:
        return type(variation) is int
    return _rollout_is_simple(fallthrough.get("rollout"))


def _value(flag, index):
    variations = flag["variations"]
    if index is None or index < 0 or index >= len(variations):
        return None
    return variations[index]


def bucket(flag, rollout, key, kind):
    """The context's bucket in [0, 1), as the SDK computes it; -1 when the rollout's context kind
    is not the visitor's."""
    if (rollout.get("contextKind") or "user") != kind:
        return -1
    seed = rollout.get("seed")
    prefix = str(seed) if seed is not None else "%s.%s" % (flag["key"], flag.get("salt") or "")
    digest = sha1(("%s.%s" % (prefix, key)).encode("utf-8")).hexdigest()
    return int(digest[:15], 16) / _LONG_SCALE


def evaluate(flag, key, kind="user"):
    """The flag's value for a context of `kind` with `key`; None where the SDK returns the default.
    Only for flags where `is_simple(flag)` is true."""
    if not flag.get("on"):
        return _value(flag, flag.get("offVariation"))
    fallthrough = flag["fallthrough"]
    if fallthrough.get("variation") is not None:
        return _value(flag, fallthrough["variation"])
    rollout = fallthrough["rollout"]
    position = bucket(flag, rollout, key, kind)
    total = 0.0
    for weighted in rollout["variations"]:
        total += weighted["weight"] / 100000.0
        if position < total:
            return _value(flag, weighted["variation"])
    return _value(flag, rollout["variations"][-1]["variation"])
