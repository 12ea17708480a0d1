#!/usr/bin/env bash
# package-zip's writer (libarchive + deterministic framing) against Info-ZIP `zip -r -q -X` at the
# same compression level, in the same run, on (1) the Python handler folder and (2) a tree of
# about 9,000 files / 100 MB. Prints median wall times and the ratio (target <= 1.0x).
#
#   Benchmarks/zip/run.sh [HANDLER_DIR] [RUNS]
#
# HANDLER_DIR defaults to a freshly assembled Python handler (template + pip dependencies).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
runs="${2:-5}"
work="${LDEDGE_BENCH_DIR:-/tmp/ldedge-zip-bench}"
mkdir -p "$work"

echo "building ZipBench (release)..." >&2
(cd "$repo" && swift build -c release --product ZipBench >&2)
bench="$(cd "$repo" && swift build -c release --product ZipBench --show-bin-path)/ZipBench"

handler="${1:-}"
if [ -z "$handler" ]; then
  handler="$work/handler"
  if [ ! -f "$handler/handler.py" ]; then
    rm -rf "$handler" && mkdir -p "$handler"
    cp "$repo/templates/handler-python/handler.py" "$handler/"
    python3 -m pip install --quiet --disable-pip-version-check --target "$handler" --platform manylinux2014_x86_64 \
      --implementation cp --only-binary=:all: --python-version 3.12 --no-compile -r "$repo/templates/handler-python/requirements.txt"
    find "$handler" -name __pycache__ -prune -exec rm -rf {} +
    rm -rf "$handler/bin" "$handler"/*.dist-info/RECORD
  fi
fi
tree="$work/tree"
if [ ! -d "$tree" ]; then python3 "$here/make_tree.py" "$tree" 9000 $((100 * 1024 * 1024)) >&2; fi

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s.%N; }

measure() {
  local label="$1" dir="$2"
  local infozip=() ours=() single=()
  for _ in $(seq "$runs"); do
    rm -f "$work/i.zip"; local t0; t0=$(now)
    (cd "$dir" && zip -r -q -X -6 "$work/i.zip" .)
    infozip+=("$(echo "$(now) - $t0" | bc)")
    rm -f "$work/o.zip"; ours+=("$("$bench" "$dir" "$work/o.zip" --level 6 | cut -d' ' -f1)")
    rm -f "$work/s.zip"; single+=("$("$bench" "$dir" "$work/s.zip" --level 6 --threads 1 | cut -d' ' -f1)")
  done
  local mi mo ms
  mi=$(printf '%s\n' "${infozip[@]}" | median)
  mo=$(printf '%s\n' "${ours[@]}" | median)
  ms=$(printf '%s\n' "${single[@]}" | median)
  local files; files=$(find "$dir" -type f | wc -l)
  local bytes; bytes=$(du -sb "$dir" | cut -f1)
  printf '%s: %d files, %.1f MB; median of %d runs\n' "$label" "$files" "$(echo "$bytes / 1048576" | bc -l)" "$runs"
  printf '  zip -r -q -X -6        %8.3f s  %10d bytes\n' "$mi" "$(stat -c %s "$work/i.zip")"
  printf '  ldedge (%d threads)     %8.3f s  %10d bytes  ratio %.2fx\n' "$(nproc)" "$mo" "$(stat -c %s "$work/o.zip")" "$(echo "$mo / $mi" | bc -l)"
  printf '  ldedge (1 thread)      %8.3f s  %10d bytes  ratio %.2fx\n' "$ms" "$(stat -c %s "$work/s.zip")" "$(echo "$ms / $mi" | bc -l)"
  cmp -s "$work/o.zip" "$work/s.zip" && echo "  identical bytes with 1 and $(nproc) threads" || echo "  WARNING: thread count changed the bytes"
  unzip -tq "$work/o.zip" >/dev/null && echo "  unzip -t: ok"
}

measure "Python handler" "$handler"
measure "9,000-file tree" "$tree"
