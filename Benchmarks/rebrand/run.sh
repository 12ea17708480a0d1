#!/usr/bin/env bash
# Times the rebrand workflow against the local sandbox: full deploy from zero, a no-change
# redeploy (and its count of mutating AWS calls, which must be 0), and teardown. CloudFront's
# emulated deployment wait is set to 0.2 s and status polls to 0.2 s so the numbers measure ldedge,
# not configured waits. Usage: Benchmarks/rebrand/run.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
runs="${1:-3}"
swift build >/dev/null
ldedge="$root/.build/debug/ldedge"
work="$(mktemp -d)"
export LDEDGE_CF_DEPLOY_SECONDS=0.2 LDEDGE_REPLICA_SECONDS=0.2 LDEDGE_POLL_INTERVAL=0.2
source scripts/lib/local-sandbox.sh
trap 'stop_local_sandbox; rm -rf "$work"' EXIT
start_local_sandbox "$root"
mkdir -p "$work/project" && cp -R workflows templates "$work/project/" && cd "$work/project"

now() { python3 -c 'import time; print(time.monotonic())'; }
calls() { curl -s "$AWS_ENDPOINT_URL/ldedge-emulator/calls" | python3 -c 'import json,sys; c=json.load(sys.stdin); c=c.get("calls", c); print(sum(1 for x in c if x.get("mutating")))'; }
clear_calls() { curl -s -X DELETE "$AWS_ENDPOINT_URL/ldedge-emulator/calls" >/dev/null; }

printf 'run\tdeploy_s\tredeploy_s\tredeploy_mutating_calls\tteardown_s\n'
for run in $(seq "$runs"); do
    t0=$(now); "$ldedge" deploy workflows/rebrand.yaml --yes >/dev/null 2>&1; t1=$(now)
    clear_calls
    "$ldedge" deploy workflows/rebrand.yaml --yes >/dev/null 2>&1; t2=$(now)
    mutating=$(calls)
    t3=$(now)
    until "$ldedge" teardown --yes >/dev/null 2>&1; do sleep 0.2; done
    t4=$(now)
    rm -rf .ldedge
    python3 -c "print('$run\t%.2f\t%.2f\t$mutating\t%.2f' % ($t1-$t0, $t2-$t1, $t4-$t3))"
done
