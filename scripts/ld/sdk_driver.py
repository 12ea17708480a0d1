#!/usr/bin/env python3
"""Drive the official LaunchDarkly Python server SDK against a LaunchDarkly-compatible server.

evaluate: initialise (polling or streaming), evaluate FLAG for N user contexts, print
          {"initialized": bool, "values": {contextKey: value}, "reasons": {...}} as JSON.
watch:    initialise with streaming, print "READY <value>" once, then print
          "CHANGED <value> <epoch seconds>" when FLAG's value for CONTEXT becomes EXPECTED.

All SDK URIs (base, stream, events) are --uri, as for an ldedge sandbox. With --mode daemon the SDK
reads flags only from the DynamoDB table --dynamodb-table (the Relay Proxy's store, through the SDK's
own DynamoDB integration and boto3, which honours AWS_ENDPOINT_URL) and never contacts --uri.
"""
import argparse
import json
import logging
import sys
import time

import ldclient
from ldclient import Context
from ldclient.config import Config


def make_client(args, stream):
    if args.mode == "daemon":
        from ldclient.feature_store import CacheConfig
        from ldclient.integrations import DynamoDB
        store = DynamoDB.new_feature_store(args.dynamodb_table, prefix=args.dynamodb_prefix, caching=CacheConfig.disabled())
        config = Config(args.sdk_key, use_ldd=True, feature_store=store, send_events=False,
                        base_uri=args.uri, stream_uri=args.uri, events_uri=args.uri)
        return ldclient.client.LDClient(config=config, start_wait=args.start_wait)
    config = Config(
        args.sdk_key,
        base_uri=args.uri,
        stream_uri=args.uri,
        events_uri=args.uri,
        stream=stream,
        send_events=not args.no_events,
        initial_reconnect_delay=0.2,
    )
    return ldclient.client.LDClient(config=config, start_wait=args.start_wait)


def context(key, kind):
    return Context.builder(key).kind(kind).build()


def evaluate(args):
    client = make_client(args, stream=(args.mode == "streaming"))
    try:
        initialized = client.is_initialized()
        values, reasons = {}, {}
        keys = [f"{args.prefix}{i}" for i in range(args.count)]
        for key in keys:
            detail = client.variation_detail(args.flag, context(key, args.kind), args.default)
            values[key] = detail.value
            if args.reasons:
                reasons[key] = detail.reason
        client.flush()
        print(json.dumps({"initialized": initialized, "values": values, "reasons": reasons}))
    finally:
        client.close()
    return 0


def watch(args):
    client = make_client(args, stream=True)
    expected = json.loads(args.expected)
    ctx = context(args.context, args.kind)
    try:
        if not client.is_initialized():
            print("NOT_INITIALIZED", flush=True)
            return 2
        print(f"READY {json.dumps(client.variation(args.flag, ctx, args.default))}", flush=True)
        deadline = time.time() + args.timeout
        while time.time() < deadline:
            value = client.variation(args.flag, ctx, args.default)
            if value == expected:
                print(f"CHANGED {json.dumps(value)} {time.time():.6f}", flush=True)
                return 0
            time.sleep(0.005)
        print("TIMEOUT", flush=True)
        return 1
    finally:
        client.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["evaluate", "watch"])
    parser.add_argument("--uri", required=True)
    parser.add_argument("--sdk-key", required=True)
    parser.add_argument("--flag", required=True)
    parser.add_argument("--mode", choices=["polling", "streaming", "daemon"], default="polling")
    parser.add_argument("--dynamodb-table")
    parser.add_argument("--dynamodb-prefix")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--prefix", default="user-")
    parser.add_argument("--kind", default="user")
    parser.add_argument("--default", type=json.loads, default=None)
    parser.add_argument("--reasons", action="store_true")
    parser.add_argument("--context", default="user-0")
    parser.add_argument("--expected", default="true")
    parser.add_argument("--timeout", type=float, default=10)
    parser.add_argument("--start-wait", type=float, default=5)
    parser.add_argument("--no-events", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    return evaluate(args) if args.command == "evaluate" else watch(args)


if __name__ == "__main__":
    sys.exit(main())
