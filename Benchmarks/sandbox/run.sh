#!/usr/bin/env bash
# Benchmark `ldedge sandbox`: /sdk/latest-all throughput with wrk and resident memory with 1,000 flags.
#
#   Benchmarks/sandbox/run.sh                 # uses .build/release/ldedge, else .build/debug/ldedge
#   LDEDGE_BIN=/path/to/ldedge DURATION=10s CONNECTIONS=32 Benchmarks/sandbox/run.sh
#
# Scenarios: 1 flag (a rebrand-sized payload), 1,000 flags full payload, and 1,000 flags with
# If-None-Match (what a polling SDK sends when nothing changed: 304). Memory is VmRSS / VmHWM
# from /proc after seeding 1,000 flags and after the load.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN="${LDEDGE_BIN:-}"
if [[ -z "$BIN" ]]; then
  for candidate in .build/release/ldedge .build/debug/ldedge; do
    [[ -x "$candidate" ]] && { BIN="$candidate"; break; }
  done
fi
[[ -x "$BIN" ]] || { echo "build ldedge first (swift build -c release --product ldedge) or set LDEDGE_BIN" >&2; exit 1; }
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-32}"
THREADS="${THREADS:-2}"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }

OUT="$(mktemp)"
"$BIN" sandbox --port 0 --in-memory >"$OUT" 2>/dev/null &
PID=$!
trap 'kill -INT $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -f "$OUT"' EXIT
for _ in $(seq 1 100); do grep -q LD_SDK_KEY "$OUT" && break; sleep 0.1; done
eval "$(grep '^export ' "$OUT")"
echo "binary: $BIN   sandbox: $LD_BASE_URI   pid: $PID"

mem() { awk '/VmRSS|VmHWM|RssAnon|RssFile/ {printf "%s %.1f MB  ", $1, $2/1024}' /proc/$PID/status; echo; }
bench() {
  local label="$1"; shift
  echo "== $label"
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$@" "$LD_BASE_URI/sdk/latest-all" | grep -E 'Requests/sec|Latency|Transfer/sec|Non-2xx|requests in'
}

echo "memory at start: $(mem)"
python3 Benchmarks/sandbox/seed_flags.py "$LD_BASE_URI" "$LD_ACCESS_TOKEN" 1 >/dev/null 2>&1
bench "1 flag, full payload ($(curl -s -H "Authorization: $LD_SDK_KEY" "$LD_BASE_URI/sdk/latest-all" | wc -c) bytes)" -H "Authorization: $LD_SDK_KEY"

# The first flag exists already; seed_flags creates flag-0000..; recreate from 1.
python3 - "$LD_BASE_URI" "$LD_ACCESS_TOKEN" <<'PY'
import sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/api/v2/flags/default/flag-0000", method="DELETE", headers={"Authorization": sys.argv[2]})
urllib.request.urlopen(req)
PY
python3 Benchmarks/sandbox/seed_flags.py "$LD_BASE_URI" "$LD_ACCESS_TOKEN" 1000
echo "memory with 1,000 flags: $(mem)"
SIZE=$(curl -s -H "Authorization: $LD_SDK_KEY" "$LD_BASE_URI/sdk/latest-all" | wc -c)
ETAG=$(curl -s -D - -o /dev/null -H "Authorization: $LD_SDK_KEY" "$LD_BASE_URI/sdk/latest-all" | awk -F': ' 'tolower($1)=="etag" {print $2}' | tr -d '\r')
bench "1,000 flags, full payload ($SIZE bytes)" -H "Authorization: $LD_SDK_KEY"
bench "1,000 flags, If-None-Match -> 304" -H "Authorization: $LD_SDK_KEY" -H "If-None-Match: $ETAG"
echo "memory after load: $(mem)"
