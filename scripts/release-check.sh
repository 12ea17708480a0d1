#!/usr/bin/env bash
# Proves the release archive stands alone: builds it with scripts/release.sh (or takes the archive
# given as $1), checks its SHA-256, unpacks it, and with no Swift toolchain on PATH runs
# `ldedge --version`, `ldedge validate workflows/rebrand.yaml` and the whole sandbox demo
# (scripts/demo.sh with LDEDGE_BINARY). Not part of scripts/test.sh: a release build from scratch
# takes about 10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
archive="${1:-}"
if [ -z "$archive" ]; then archive="$(./scripts/release.sh "$root/dist" | tail -1)"; fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$(dirname "$archive")" && sha256sum -c "$(basename "$archive").sha256")
tar -xzf "$archive" -C "$work"
binary="$(echo "$work"/ldedge-*/bin/ldedge)"
no_swift_path="$(echo "$PATH" | tr ':' '\n' | grep -v -i swift | paste -sd:)"
run() { env PATH="$no_swift_path" "$@"; }
if run bash -c 'command -v swift' >/dev/null; then echo "release-check: swift is still on PATH" >&2; exit 1; fi
echo "release-check: $(run "$binary" --version)" >&2
run "$binary" validate workflows/rebrand.yaml
run env LDEDGE_BINARY="$binary" NO_COLOR=1 ./scripts/demo.sh
echo "release-check: the release binary ran --version, validate and the sandbox demo without a Swift toolchain" >&2
