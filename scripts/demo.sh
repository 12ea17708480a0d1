#!/usr/bin/env bash
# Installs what ldedge needs, builds it, and runs the main job on the local sandbox:
# deploy the demo workflow, show its state, tear it down.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build
ldedge=".build/debug/ldedge"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp workflows/demo.yaml "$work/"
cd "$work"
"$OLDPWD/$ldedge" plan demo.yaml
"$OLDPWD/$ldedge" deploy demo.yaml --yes
"$OLDPWD/$ldedge" status
"$OLDPWD/$ldedge" teardown --yes
