#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test (the tests start their own
# emulators: moto through scripts/aws-emulator, ldedge sandbox in-process), then builds and
# tests Examples/custom-step, a separate package that depends on this one by path.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build
swift test
swift build --package-path Examples/custom-step --build-tests
swift test --package-path Examples/custom-step --skip-build
