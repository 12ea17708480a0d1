#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test (the tests start their own
# emulators: moto through scripts/aws-emulator, ldedge sandbox in-process). The build log goes
# to .build/logs/test-build.log (shown on failure); the complete test log is printed and kept in
# .build/logs/test.log.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
source scripts/lib/quiet-build.sh
quiet_build .build/logs/test-build.log --build-tests
swift test --skip-build 2>&1 | tee .build/logs/test.log
