#!/usr/bin/env bash
# The edge-function target (CloudFront Functions + KeyValueStore, workflows/rebrand-cff.yaml)
# against the Lambda@Edge target (workflows/rebrand.yaml) on the local sandbox, in one run:
#   - per-request evaluation of the deployed CloudFront Function in Node.js (store read included), p50/p99;
#   - the Lambda@Edge handler's warm p50/p99 (`ldedge invoke --ips`) and its cold start (handler load);
#   - the function's code size (GetFunction LIVE) and the handler's zip size;
#   - teardown time of both targets (the emulator's CloudFront deploy wait 1 s and replica release 3 s,
#     the same for both: on AWS, Lambda@Edge replicas take hours, a CloudFront Function none).
# Usage: Benchmarks/edge-function/run.sh [requests]   (default 100000 function evaluations)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
requests="${1:-100000}"
swift build >/dev/null
ldedge="$root/.build/debug/ldedge"
work="$(mktemp -d)"
export LDEDGE_CF_DEPLOY_SECONDS=1 LDEDGE_REPLICA_SECONDS=3 LDEDGE_POLL_INTERVAL=0.2
source scripts/lib/local-sandbox.sh
trap 'stop_local_sandbox; rm -rf "$work"' EXIT
start_local_sandbox "$root"
mkdir -p "$work/project" && cp -R workflows templates "$work/project/" && cd "$work/project"
now() { python3 -c 'import time; print(time.monotonic())'; }

"$ldedge" deploy workflows/rebrand.yaml --yes >/dev/null 2>"$work/deploy-lambda.log" || { cat "$work/deploy-lambda.log"; exit 1; }
"$ldedge" deploy workflows/rebrand-cff.yaml --yes >/dev/null 2>"$work/deploy-cff.log" || { cat "$work/deploy-cff.log"; exit 1; }

# CloudFront Function: the deployed LIVE code and store, evaluated in Node.js.
python3 - "$work/function.json" <<'PY'
import json, sys, botocore.session, botocore.config, os
session = botocore.session.get_session()
endpoint = os.environ["AWS_ENDPOINT_URL"]
cf = session.create_client("cloudfront", endpoint_url=endpoint, region_name="us-east-1")
state = json.load(open(".ldedge/rebrand-cff/state.json"))
edge = state["steps"]["edge"]
name = next(r["id"] for r in edge["resources"] if r["type"] == "cloudfront-function")
code = cf.get_function(Name=name, Stage="LIVE")["FunctionCode"].read().decode()
kvs = session.create_client("cloudfront-keyvaluestore", endpoint_url="http://localhost", region_name="us-east-1",
                            config=botocore.config.Config(proxies={"http": endpoint}))
items = {i["Key"]: i["Value"] for i in kvs.list_keys(KvsARN=edge["outputs"]["storeArn"]).get("Items", [])}
json.dump({"code": code, "kvs": items, "requests": int(sys.argv[2]) if len(sys.argv) > 2 else 0}, open(sys.argv[1], "w"))
PY
python3 -c "import json,sys; d=json.load(open('$work/function.json')); d['requests']=$requests; json.dump(d, open('$work/function.json','w'))"
function_result="$(node "$root/Benchmarks/edge-function/function_eval.mjs" "$work/function.json")"

# Lambda@Edge handler: warm p50/p99 over 1,000 invocations, cold start as the runner reports it.
lambda_json="$("$ldedge" invoke workflows/rebrand.yaml --ips 1000 --seed 1 --json 2>"$work/invoke.log")"
cold_ms="$(sed -n 's/.*handler loaded in \([0-9.]*\) ms.*/\1/p' "$work/invoke.log" | head -1)"
zip_bytes="$(python3 -c "import json; s=json.load(open('.ldedge/rebrand/state.json')); import os; print(os.path.getsize(s['steps']['package']['outputs']['zip']))")"

t0=$(now); until "$ldedge" teardown rebrand-cff --yes >/dev/null 2>&1; do sleep 0.2; done; t1=$(now)
until "$ldedge" teardown rebrand --yes >/dev/null 2>&1; do sleep 0.2; done; t2=$(now)

python3 - "$function_result" "$lambda_json" "$cold_ms" "$zip_bytes" "$t0" "$t1" "$t2" <<'PY'
import json, sys
function, handler = json.loads(sys.argv[1]), json.loads(sys.argv[2])
cold, zip_bytes, t0, t1, t2 = float(sys.argv[3] or 0), int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6]), float(sys.argv[7])
print("| | CloudFront Function (edge-function) | Lambda@Edge handler (attach-trigger) |")
print("| --- | --- | --- |")
print(f"| per-request p50 (warm) | {function['p50Ms'] * 1000:.1f} us | {handler['p50Ms'] * 1000:.1f} us |")
print(f"| per-request p99 (warm) | {function['p99Ms'] * 1000:.1f} us | {handler['p99Ms'] * 1000:.1f} us |")
print(f"| cold start | none (no container) | {cold:.0f} ms |")
print(f"| code size | {function['codeBytes']} bytes (limit 10,240) | {zip_bytes} bytes zipped (limit 1 MB) |")
print(f"| teardown on the sandbox | {t1 - t0:.1f} s | {t2 - t1:.1f} s |")
print(f"| requests measured | {function['requests']} (new site {function['newShare'] * 100:.1f}%) | {handler['count']} (new site {handler['newSite'] / max(1, handler['count']) * 100:.1f}%) |")
PY
