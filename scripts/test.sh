#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test (the tests start their own
# emulators: moto through scripts/aws-emulator, ldedge sandbox in-process).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
swift build
swift test
