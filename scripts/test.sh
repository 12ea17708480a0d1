#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test (the tests start their own
# emulators: moto through scripts/aws-emulator, ldedge sandbox in-process), then builds and
# tests Examples/custom-step, a separate package that depends on this one by path.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build
swift test
# The example shares this package's build folder, so only its own modules are compiled (its
# dependencies are this package's, already built). Its `ldedge` executable replaces ours in
# .build/debug (a superset: every built-in step plus publish-parameter), so it runs last.
swift build --package-path Examples/custom-step --scratch-path .build --build-tests
CUSTOM_STEP_LDEDGE="$PWD/.build/debug/ldedge" swift test --package-path Examples/custom-step --scratch-path .build --skip-build
# SwiftPM caches the build plan of the last root package in the shared folder; drop the
# example's so the next `swift build` here plans this package again (and relinks our ldedge).
rm -f .build/debug.yaml .build/*/debug/description.json
