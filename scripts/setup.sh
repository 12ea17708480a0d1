#!/usr/bin/env bash
# Installs what ldedge, its tests and its demo need on Debian: libgit2, libarchive, zip tools
# (apt) and the Python peers (moto, the LaunchDarkly SDK, botocore, awscli) from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(libgit2-dev libarchive-dev pkg-config zip unzip wrk curl git)
missing=()
for package in "${apt_packages[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]} with apt-get" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c 'import moto, ldclient, botocore, openapi_schema_validator, jsonschema, yaml, awscli, parliament, policy_sentry, awscrt' 2>/dev/null; then
    echo "setup: installing Python packages from scripts/requirements.txt" >&2
    python3 -m pip install -q --disable-pip-version-check -r scripts/requirements.txt 2>/dev/null \
        || python3 -m pip install -q --disable-pip-version-check --break-system-packages -r scripts/requirements.txt
fi
