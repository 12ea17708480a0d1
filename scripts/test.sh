#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test (the tests start their own
# emulators: moto through scripts/aws-emulator, ldedge sandbox in-process), then builds and
# tests Examples/custom-step, a separate package that depends on this one by path. The build logs
# go to .build/logs/ (shown on failure); the complete test log is printed and kept in
# .build/logs/test.log.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/lib/quiet-build.sh
quiet_build .build/logs/test-build.log --build-tests
swift test --skip-build 2>&1 | tee .build/logs/test.log
# The example shares this package's build folder, so only its own modules are compiled (its
# dependencies are this package's, already built). Its `ldedge` executable replaces ours in
# .build/debug (a superset: every built-in step plus publish-parameter), so it runs last.
# Drop this package's cached build plan first, so SwiftPM plans the example (not this package).
rm -f .build/debug.yaml .build/*/debug/description.json
quiet_build .build/logs/example-build.log --package-path Examples/custom-step --scratch-path .build --build-tests
CUSTOM_STEP_LDEDGE="$PWD/.build/debug/ldedge" swift test --package-path Examples/custom-step --scratch-path .build --skip-build 2>&1 | tee .build/logs/example-test.log
# SwiftPM caches the build plan of the last root package in the shared folder; drop the
# example's so the next `swift build` here plans this package again (and relinks our ldedge).
rm -f .build/debug.yaml .build/*/debug/description.json
