#!/usr/bin/env bash
# Issue 19: a no-change deploy of workflows/rebrand.yaml by a fresh CI runner (a new clone with no
# .ldedge/, sharing S3 state) against the same machine's no-change redeploy, in one run, alternating
# the two so the machine's load hits both alike; plus a no-change redeploy with local state, and the
# state objects each no-change run writes (PUT/DELETE under the state bucket) and the requests it
# makes outside the state bucket that change something (must be 0).
#
#   Benchmarks/fresh-runner/run.sh [runs]        (default 5; medians)
#
# Targets: fresh runner <= 1.2x the same-machine redeploy; a no-change redeploy < 0.5 s.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
runs="${1:-5}"
swift build --product ldedge >/dev/null
ldedge="$root/.build/debug/ldedge"
work="$(mktemp -d)"
export LDEDGE_CF_DEPLOY_SECONDS=0.2 LDEDGE_REPLICA_SECONDS=0.2 LDEDGE_POLL_INTERVAL=0.2 NO_COLOR=1
source scripts/lib/local-sandbox.sh
trap 'stop_local_sandbox; rm -rf "$work"' EXIT
start_local_sandbox "$root"
bucket="ldedge-bench-fresh"
python3 - "$bucket" <<'PY'
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
s3.create_bucket(Bucket=sys.argv[1])
s3.put_bucket_versioning(Bucket=sys.argv[1], VersioningConfiguration={"Status": "Enabled"})
PY

now() { python3 -c 'import time; print(time.monotonic())'; }
project() { mkdir -p "$work/$1" && cp -R workflows templates "$work/$1/"; echo "$work/$1"; }
clear_calls() { curl -s -X DELETE "$AWS_ENDPOINT_URL/ldedge-emulator/calls" >/dev/null; }
# "state_writes outside_mutations" of the calls since the last clear.
calls() {
    curl -s "$AWS_ENDPOINT_URL/ldedge-emulator/calls" | python3 -c "
import json, sys
calls = json.load(sys.stdin)['calls']
state = [c for c in calls if c['path'].startswith('/$bucket/')]
writes = sum(1 for c in state if c['method'] in ('PUT', 'POST', 'DELETE'))
outside = sum(1 for c in calls if c.get('mutating') and not c['path'].startswith('/$bucket/'))
print(writes, outside)"
}
timed() { local t0 t1; t0=$(now); (cd "$1" && shift && "$ldedge" "$@" >/dev/null 2>&1); t1=$(now); python3 -c "print($t1-$t0)"; }
median() { python3 -c "import statistics,sys; print('%.3f' % statistics.median(map(float, sys.argv[1:])))" "$@"; }

# Local state: a no-change redeploy.
local_project="$(project local)"
(cd "$local_project" && "$ldedge" deploy workflows/rebrand.yaml --yes >/dev/null 2>&1)
local_times=()
for _ in $(seq "$runs"); do local_times+=("$(timed "$local_project" deploy workflows/rebrand.yaml --yes)"); done
(cd "$local_project" && until "$ldedge" teardown --yes >/dev/null 2>&1; do sleep 0.2; done)

# Shared S3 state: machine A deploys; then A's no-change redeploys alternate with fresh runners.
export LDEDGE_STATE="s3://$bucket/team"
a="$(project a)"
(cd "$a" && "$ldedge" deploy workflows/rebrand.yaml --yes >/dev/null 2>&1)
same_times=(); fresh_times=()
for i in $(seq "$runs"); do
    clear_calls
    same_times+=("$(timed "$a" deploy workflows/rebrand.yaml --yes)")
    read -r same_writes same_outside <<<"$(calls)"
    fresh="$(project "fresh-$i")"
    clear_calls
    fresh_times+=("$(timed "$fresh" deploy workflows/rebrand.yaml --yes)")
    read -r fresh_writes fresh_outside <<<"$(calls)"
done
(cd "$a" && until "$ldedge" teardown --yes >/dev/null 2>&1; do sleep 0.2; done)

local_s=$(median "${local_times[@]}"); same_s=$(median "${same_times[@]}"); fresh_s=$(median "${fresh_times[@]}")
printf 'runs\tlocal_redeploy_s\ts3_same_machine_s\ts3_fresh_runner_s\tfresh/same\tstate_writes_same\tstate_writes_fresh\tmutations_outside_state\n'
python3 -c "print('$runs\t$local_s\t$same_s\t$fresh_s\t%.2f\t$same_writes\t$fresh_writes\t%d' % ($fresh_s/$same_s, $same_outside + $fresh_outside))"
