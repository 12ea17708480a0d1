#!/usr/bin/env python3
"""Checks an NDJSON event stream (ldedge ... --json) against docs/events.schema.json.

Usage: validate-events.py SCHEMA [FILE]   (reads stdin without FILE)
Prints one line per event type seen and exits 1 on the first invalid line.
"""
import json
import sys

import jsonschema


def main() -> int:
    schema = json.load(open(sys.argv[1]))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    stream = open(sys.argv[2]) if len(sys.argv) > 2 else sys.stdin
    types = []
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except ValueError as error:
            print(f"line {number}: not JSON ({error}): {line[:200]}")
            return 1
        errors = sorted(validator.iter_errors(event), key=lambda e: e.path)
        if errors:
            print(f"line {number}: {errors[0].message} at {list(errors[0].path)}: {line[:300]}")
            return 1
        types.append(event["type"])
    print(" ".join(types))
    return 0


if __name__ == "__main__":
    sys.exit(main())
