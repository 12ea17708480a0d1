#!/usr/bin/env bash
# Builds the release archive CI jobs download instead of compiling ldedge in every run:
#
#   dist/ldedge-VERSION-linux-ARCH.tar.gz         bin/ldedge (release build, Swift runtime and Foundation
#                                                  linked statically), templates/ (the handler templates)
#                                                  and scripts/handler-runner/ (what `ldedge invoke` runs)
#   dist/ldedge-VERSION-linux-ARCH.tar.gz.sha256   its SHA-256, in `sha256sum -c` form
#
# The binary needs no Swift toolchain, only the shared libraries libgit2, libarchive and libcurl
# (Debian: apt-get install libgit2-1.5 libarchive13 libcurl4; Foundation linked statically needs
# libcurl, which the build links against with libcurl4-openssl-dev). Check a download with
# `sha256sum -c ldedge-*.tar.gz.sha256`. Usage: scripts/release.sh [OUTPUT_DIR] (default dist/).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
out="${1:-$root/dist}"
./scripts/setup.sh
if ! dpkg -s libcurl4-openssl-dev >/dev/null 2>&1; then
    echo "release: installing libcurl4-openssl-dev with apt-get (static Foundation links libcurl)" >&2
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libcurl4-openssl-dev >/dev/null
fi
source scripts/lib/quiet-build.sh
# A build folder of its own: the release build never waits on (or invalidates) a debug build.
scratch="$root/.build-release"
quiet_build "$root/.build/logs/release-build.log" -c release --product ldedge --static-swift-stdlib --scratch-path "$scratch"
binary="$(swift build -c release --product ldedge --static-swift-stdlib --scratch-path "$scratch" --show-bin-path)/ldedge"
version="$("$binary" --version)"
arch="$(uname -m)"
name="ldedge-$version-linux-$arch"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name/bin" "$stage/$name/scripts"
cp "$binary" "$stage/$name/bin/ldedge"
strip "$stage/$name/bin/ldedge" 2>/dev/null || true
cp -R templates "$stage/$name/templates"
cp -R scripts/handler-runner "$stage/$name/scripts/handler-runner"
find "$stage/$name" -name '__pycache__' -prune -exec rm -rf {} +
# Only system libraries (libgit2, libarchive, libcurl, the C library) may be needed at run time:
# no Swift runtime library.
if ldd "$stage/$name/bin/ldedge" | grep -E 'libswift|libFoundation|libdispatch|libBlocksRuntime' >&2; then
    echo "release: the binary still links the Swift runtime dynamically (above)" >&2
    exit 1
fi

mkdir -p "$out"
archive="$out/$name.tar.gz"
# Reproducible archive: sorted names, fixed owner and modification time.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2026-01-01 00:00:00Z' -C "$stage" -cf - "$name" | gzip -n >"$archive"
(cd "$out" && sha256sum "$name.tar.gz" >"$name.tar.gz.sha256")
echo "release: $archive ($(du -h "$archive" | cut -f1)), $(cut -d' ' -f1 "$archive.sha256")" >&2
echo "$archive"
