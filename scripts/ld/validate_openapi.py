#!/usr/bin/env python3
"""Validate JSON documents against schemas of the official LaunchDarkly OpenAPI spec.

Input (stdin or --input FILE): JSON lines, each {"schema": "FeatureFlag", "instance": {...}, "label": "..."}.
Output: one JSON object {"checked": N, "failures": [{"label", "schema", "errors": [...]}]}; exit 1 on failures.

The 87k-line YAML spec takes ~15 s to parse, so its components are cached as JSON
(keyed by the spec's size and mtime) under $TMPDIR.
"""
import argparse
import hashlib
import json
import os
import sys
import tempfile

DEFAULT_SPEC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "reference", "launchdarkly-openapi.yaml")


def load_components(spec_path):
    st = os.stat(spec_path)
    tag = hashlib.sha1(f"{os.path.abspath(spec_path)}:{st.st_size}:{st.st_mtime_ns}".encode()).hexdigest()[:16]
    cache = os.path.join(tempfile.gettempdir(), f"ldedge-openapi-{tag}.json")
    if os.path.exists(cache):
        with open(cache) as f:
            return json.load(f)
    import yaml
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(spec_path) as f:
        spec = yaml.load(f, Loader=loader)
    components = {"components": {"schemas": spec["components"]["schemas"]}}
    tmp = cache + f".{os.getpid()}"
    with open(tmp, "w") as f:
        json.dump(components, f, default=str)
    os.replace(tmp, cache)
    return components


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--spec", default=os.environ.get("LD_OPENAPI_SPEC", DEFAULT_SPEC))
    parser.add_argument("--input")
    args = parser.parse_args()
    from openapi_schema_validator import OAS30Validator

    components = load_components(args.spec)
    schemas = components["components"]["schemas"]
    stream = open(args.input) if args.input else sys.stdin
    failures, checked = [], 0
    for line in stream:
        line = line.strip()
        if not line:
            continue
        item = json.loads(line)
        name = item["schema"]
        checked += 1
        if name not in schemas:
            failures.append({"label": item.get("label", ""), "schema": name, "errors": [f"no schema named {name}"]})
            continue
        # Refs are '#/components/schemas/X', so validate with the components next to the schema.
        schema = dict(schemas[name])
        schema["components"] = components["components"]
        validator = OAS30Validator(schema)
        errors = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(item["instance"])]
        if errors:
            failures.append({"label": item.get("label", ""), "schema": name, "errors": errors[:20]})
    print(json.dumps({"checked": checked, "failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
