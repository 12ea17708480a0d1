#!/usr/bin/env bash
# The main job on the local sandbox, from nothing: install what is needed, build ldedge, start
# the local AWS emulator (moto, patched for CloudFront/Lambda@Edge) and `ldedge sandbox`, deploy
# workflows/rebrand.yaml, send 1,000 simulated visitors through the real packaged handler and the
# real LaunchDarkly SDK, raise the rollout to 100%, and tear everything down. Stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
./scripts/setup.sh
swift build
ldedge="$root/.build/debug/ldedge"

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The local AWS emulator on a free port.
python3 scripts/aws-emulator/server.py --port 0 --cloudfront-deploy-seconds 2 --replica-release-seconds 3 >"$work/aws.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q LISTENING "$work/aws.log" 2>/dev/null && break; sleep 0.1; done
aws_port="$(sed -n 's/.*LISTENING \([0-9]*\).*/\1/p' "$work/aws.log" | head -1)"
[ -n "$aws_port" ] || { cat "$work/aws.log" >&2; echo "demo: the AWS emulator did not start" >&2; exit 1; }

# The local LaunchDarkly sandbox on a free port; it prints the export lines to use.
"$ldedge" sandbox --port 0 --in-memory >"$work/ld.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q '^export LD_BASE_URI' "$work/ld.log" 2>/dev/null && break; sleep 0.1; done
eval "$(grep '^export' "$work/ld.log")"

export AWS_ENDPOINT_URL="http://127.0.0.1:$aws_port" AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo-secret AWS_REGION=us-east-1
export LDEDGE_POLL_INTERVAL=1
echo "demo: AWS emulator at $AWS_ENDPOINT_URL, LaunchDarkly sandbox at $LD_BASE_URI" >&2

# A scratch copy of the project, so the demo's state never mixes with yours.
mkdir -p "$work/project"
cp -R workflows templates "$work/project/"
cd "$work/project"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; "$@"; }
step "$ldedge" plan workflows/rebrand.yaml
step "$ldedge" deploy workflows/rebrand.yaml --yes
step "$ldedge" invoke workflows/rebrand.yaml --ips 1000
step "$ldedge" rollout workflows/rebrand.yaml --percent 100 --yes
step "$ldedge" invoke workflows/rebrand.yaml --ips 1000
step "$ldedge" teardown --yes
step "$ldedge" status
