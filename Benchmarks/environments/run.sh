#!/usr/bin/env bash
# Issue 23: what environments cost a plan. Every plan of an environment reads the recorded state of
# the workflow's other environments (the check that no two environments change one flag), so the
# baseline is the same no-change plan with no other environment; measured in one run, alternating,
# with local state and with S3 state (each sibling: one LIST of its journal and one GET per object).
#
#   Benchmarks/environments/run.sh [siblings] [runs]     (default 50 siblings, 5 runs; medians)
#
# Target: a plan beside 50 environments <= 1.5x the plan beside none (S3 on the local emulator).
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
siblings="${1:-50}"
runs="${2:-5}"
swift build --product ldedge >/dev/null
ldedge="$root/.build/debug/ldedge"
work="$(mktemp -d)"
export LDEDGE_CF_DEPLOY_SECONDS=0.2 LDEDGE_REPLICA_SECONDS=0.2 LDEDGE_POLL_INTERVAL=0.2 NO_COLOR=1
source scripts/lib/local-sandbox.sh
trap 'stop_local_sandbox; rm -rf "$work"' EXIT
start_local_sandbox "$root"

now() { python3 -c 'import time; print(time.monotonic())'; }
timed() { local t0 t1; t0=$(now); (cd "$1" && shift && "$ldedge" "$@" >/dev/null 2>&1); t1=$(now); python3 -c "print($t1-$t0)"; }
median() { python3 -c "import statistics,sys; print('%.3f' % statistics.median(map(float, sys.argv[1:])))" "$@"; }
ratio() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) / float(sys.argv[1])))" "$1" "$2"; }

# Copies of environment `bench`'s state as `s-1` ... `s-N`, each claiming its own flag (rebrand-s-I).
make_local_siblings() {
    local envs="$1/.ldedge/rebrand/env"
    for i in $(seq "$siblings"); do
        mkdir -p "$envs/s-$i"
        for file in state.json journal.jsonl; do sed "s/rebrand-bench/rebrand-s-$i/g" "$envs/bench/$file" >"$envs/s-$i/$file"; done
    done
}
make_s3_siblings() {
    python3 - "$siblings" <<'PY'
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
prefix = "team/rebrand/env/bench/"
keys = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="ldedge-bench-envs", Prefix=prefix) for o in page.get("Contents", [])]
for i in range(1, int(sys.argv[1]) + 1):
    for key in keys:
        if "/copies/" in key: continue
        body = s3.get_object(Bucket="ldedge-bench-envs", Key=key)["Body"].read().replace(b"rebrand-bench", b"rebrand-s-%d" % i)
        s3.put_object(Bucket="ldedge-bench-envs", Key=key.replace("/env/bench/", "/env/s-%d/" % i), Body=body, ServerSideEncryption="AES256")
PY
}

measure() {  # measure NAME PROJECT: alternating plans, alone then beside the siblings
    local name="$1" dir="$2" alone=() beside=()
    (cd "$dir" && "$ldedge" deploy workflows/rebrand.yaml --env bench --yes >/dev/null 2>&1)
    (cd "$dir" && "$ldedge" plan workflows/rebrand.yaml --env bench --detailed-exitcode >/dev/null 2>&1) || { echo "$name: the no-change plan did not exit 0" >&2; exit 1; }
    # "alone" and "beside" differ only in the siblings' presence: move them aside and back.
    "make_${name}_siblings" "$dir"
    for _ in $(seq "$runs"); do
        hide_siblings "$name" "$dir"; alone+=("$(timed "$dir" plan workflows/rebrand.yaml --env bench)")
        show_siblings "$name" "$dir"; beside+=("$(timed "$dir" plan workflows/rebrand.yaml --env bench)")
    done
    local listed; listed="$(cd "$dir" && "$ldedge" envs workflows/rebrand.yaml --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["environments"]))')"
    local a b; a="$(median "${alone[@]}")"; b="$(median "${beside[@]}")"
    printf '%-6s plan beside 0 environments: %s s   beside %s: %s s   ratio %s\n' "$name" "$a" "$((listed - 1))" "$b" "$(ratio "$a" "$b")"
    # The same names are used by the next measurement: tear this one down (it resumes past replica waits).
    hide_siblings "$name" "$dir"
    until (cd "$dir" && "$ldedge" teardown workflows/rebrand.yaml --env bench --yes --delete-flag >/dev/null 2>&1); do sleep 0.3; done
}
hide_siblings() {
    if [ "$1" = local ]; then mkdir -p "$2/.aside" && find "$2/.ldedge/rebrand/env" -mindepth 1 -maxdepth 1 -name 's-*' -exec mv {} "$2/.aside/" \; ; else s3_rename env aside; fi
}
show_siblings() {
    if [ "$1" = local ]; then find "$2/.aside" -mindepth 1 -maxdepth 1 -exec mv {} "$2/.ldedge/rebrand/env/" \; ; else s3_rename aside env; fi
}
s3_rename() {  # moves team/rebrand/FROM/s-* to team/rebrand/TO/s-* (not timed)
    python3 - "$1" "$2" <<'PY'
import os, sys, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
src, dst = sys.argv[1], sys.argv[2]
for page in s3.get_paginator("list_objects_v2").paginate(Bucket="ldedge-bench-envs", Prefix=f"team/rebrand/{src}/s-"):
    for o in page.get("Contents", []):
        s3.copy_object(Bucket="ldedge-bench-envs", Key=o["Key"].replace(f"/{src}/", f"/{dst}/", 1),
                       CopySource={"Bucket": "ldedge-bench-envs", "Key": o["Key"]}, ServerSideEncryption="AES256")
        s3.delete_object(Bucket="ldedge-bench-envs", Key=o["Key"])
PY
}

mkdir -p "$work/local" && cp -R workflows templates "$work/local/"
measure local "$work/local"

python3 - <<'PY'
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
s3.create_bucket(Bucket="ldedge-bench-envs")
s3.put_bucket_versioning(Bucket="ldedge-bench-envs", VersioningConfiguration={"Status": "Enabled"})
PY
export LDEDGE_STATE="s3://ldedge-bench-envs/team"
mkdir -p "$work/s3" && cp -R workflows templates "$work/s3/"
measure s3 "$work/s3"
