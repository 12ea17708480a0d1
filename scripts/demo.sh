#!/usr/bin/env bash
# The main job on the local sandbox, from nothing: install what is needed, build ldedge, start
# the local AWS emulator (moto, patched for CloudFront/Lambda@Edge) and `ldedge sandbox`, deploy
# workflows/rebrand.yaml, send 1,000 simulated visitors through the real packaged handler and the
# real LaunchDarkly SDK, raise the rollout to 100%, and tear everything down. Stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
./scripts/setup.sh
# LDEDGE_BINARY runs a given ldedge (a release binary from scripts/release.sh) instead of building one.
source scripts/lib/quiet-build.sh
use_ldedge "$root" demo
work="$(mktemp -d)"
source scripts/lib/local-sandbox.sh
trap 'stop_local_sandbox; rm -rf "$work"' EXIT
start_local_sandbox "$root"

# A scratch copy of the project, so the demo's state never mixes with yours.
mkdir -p "$work/project"
cp -R workflows templates "$work/project/"
cd "$work/project"

step() { printf '\n\033[1m$ ldedge %s\033[0m\n' "$*" >&2; "$ldedge" "$@"; }
step plan workflows/rebrand.yaml
step deploy workflows/rebrand.yaml --yes
step invoke workflows/rebrand.yaml --ips 1000
step rollout workflows/rebrand.yaml --percent 100 --yes
step invoke workflows/rebrand.yaml --ips 1000
# CloudFront keeps replicas of a Lambda@Edge function for a while after the association is
# removed (hours on AWS, seconds here): teardown exits 3 and resumes where it stopped.
until step teardown --yes; do
    status=$?
    [ "$status" -eq 3 ] || exit "$status"
    echo "demo: waiting for CloudFront to release the function's replicas, then resuming teardown" >&2
    sleep 2
done
step status
