#!/usr/bin/env bash
# A no-change redeploy of workflows/rebrand.yaml with S3 state (a versioned bucket on the AWS
# emulator) against the same redeploy with local state (.ldedge/), in one run, plus the number of
# S3 requests the lock costs (acquire + release; must be exactly 2) and all state requests.
# Target: S3 state at most 1.5x the local-state wall time.  Usage: Benchmarks/state-s3/run.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
runs="${1:-5}"
swift build >/dev/null
ldedge="$root/.build/debug/ldedge"
work="$(mktemp -d)"
export LDEDGE_CF_DEPLOY_SECONDS=0.2 LDEDGE_REPLICA_SECONDS=0.2 LDEDGE_POLL_INTERVAL=0.2
source scripts/lib/local-sandbox.sh
trap 'stop_local_sandbox; rm -rf "$work"' EXIT
start_local_sandbox "$root"
mkdir -p "$work/project" && cp -R workflows templates "$work/project/" && cd "$work/project"
bucket="ldedge-bench-state"
aws s3api create-bucket --bucket "$bucket" >/dev/null
aws s3api put-bucket-versioning --bucket "$bucket" --versioning-configuration Status=Enabled

now() { python3 -c 'import time; print(time.monotonic())'; }
clear_calls() { curl -s -X DELETE "$AWS_ENDPOINT_URL/ldedge-emulator/calls" >/dev/null; }
# Requests whose path contains $1.
count_calls() { curl -s "$AWS_ENDPOINT_URL/ldedge-emulator/calls" | python3 -c "import json,sys; c=json.load(sys.stdin)['calls']; print(sum(1 for x in c if '$1' in x['path']))"; }

# Times `runs` no-change redeploys; prints the median seconds.
redeploys() {
    local times=()
    for _ in $(seq "$runs"); do
        local t0 t1
        t0=$(now); "$ldedge" deploy workflows/rebrand.yaml --yes >/dev/null 2>&1; t1=$(now)
        times+=("$(python3 -c "print($t1-$t0)")")
    done
    python3 -c "import statistics,sys; print('%.3f' % statistics.median(map(float, sys.argv[1:])))" "${times[@]}"
}

"$ldedge" deploy workflows/rebrand.yaml --yes >/dev/null 2>&1
local_s=$(redeploys)
until "$ldedge" teardown --yes >/dev/null 2>&1; do sleep 0.2; done
rm -rf .ldedge

export LDEDGE_STATE="s3://$bucket/bench"
"$ldedge" deploy workflows/rebrand.yaml --yes >/dev/null 2>&1
s3_s=$(redeploys)
clear_calls
"$ldedge" deploy workflows/rebrand.yaml --yes >/dev/null 2>&1
lock_requests=$(count_calls "/bench/rebrand/lock.json")
state_requests=$(count_calls "/$bucket/")
until "$ldedge" teardown --yes rebrand >/dev/null 2>&1; do sleep 0.2; done

printf 'runs\tlocal_redeploy_s\ts3_redeploy_s\tratio\tlock_requests\tstate_requests_per_redeploy\n'
python3 -c "print('$runs\t$local_s\t$s3_s\t%.2f\t$lock_requests\t$state_requests' % ($s3_s/$local_s))"
