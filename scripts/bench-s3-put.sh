#!/usr/bin/env bash
# Benchmark: PUT 1,000 small objects to the local AWS emulator with ldedge's S3
# client (bounded concurrency) and with `aws s3 cp --recursive`, on the same
# files and the same emulator process, and print both wall times and the ratio.
#
#   scripts/bench-s3-put.sh [COUNT] [CONCURRENCY]
#
# BENCH_CONFIG=debug uses a debug build (default: release); BENCH_SCRATCH sets --scratch-path.
set -euo pipefail

cd "$(dirname "$0")/.."
count="${1:-1000}"
concurrency="${2:-10}"   # the AWS CLI's default max_concurrent_requests is 10
config="${BENCH_CONFIG:-release}"

command -v aws >/dev/null || { echo "the aws CLI is missing: python3 -m pip install -r scripts/requirements.txt" >&2; exit 1; }
python3 -c 'import moto' 2>/dev/null || { echo "moto is missing: python3 -m pip install -r scripts/requirements.txt" >&2; exit 1; }

# BENCH_SCRATCH=.build-release keeps a release build from locking the main .build.
scratch=()
[[ -n "${BENCH_SCRATCH:-}" ]] && scratch=(--scratch-path "$BENCH_SCRATCH")
echo "building aws-s3-put-bench ($config)..." >&2
swift build -c "$config" "${scratch[@]}" --product aws-s3-put-bench >&2
bench="$(swift build -c "$config" "${scratch[@]}" --show-bin-path)/aws-s3-put-bench"

work="$(mktemp -d)"
fifo="$work/stdin"
mkfifo "$fifo"
cleanup() {
    exec 3>&- 2>/dev/null || true
    [[ -n "${emulator_pid:-}" ]] && kill "$emulator_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Start the emulator on a free port; it exits when fd 3 closes.
python3 scripts/aws-emulator/server.py --port 0 --exit-on-stdin-eof <"$fifo" >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
exec 3>"$fifo"
for _ in $(seq 1 600); do
    grep -q '^LISTENING ' "$work/emulator.out" 2>/dev/null && break
    sleep 0.1
done
port="$(awk '/^LISTENING/ {print $2; exit}' "$work/emulator.out")"
[[ -n "$port" ]] || { echo "emulator did not start:" >&2; cat "$work/emulator.err" >&2; exit 1; }

export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_PAGER="" AWS_CLI_AUTO_PROMPT=off

# 1,000 small files (200 B - 4 KiB) in a site-like tree.
python3 - "$work/site" "$count" <<'PY'
import os, random, sys
root, count = sys.argv[1], int(sys.argv[2])
random.seed(7)
for i in range(count):
    folder = os.path.join(root, f"section{i % 20:02d}", f"page{i // 20:03d}")
    os.makedirs(folder, exist_ok=True)
    ext = ("html", "css", "js", "json")[i % 4]
    with open(os.path.join(folder, f"file{i:04d}.{ext}"), "wb") as handle:
        handle.write(os.urandom(random.randint(200, 4096)))
PY

aws s3 mb s3://bench-cli >/dev/null
start=$(date +%s.%N)
aws s3 cp --recursive --only-show-errors "$work/site" s3://bench-cli/
end=$(date +%s.%N)
cli_seconds=$(python3 -c "print(f'{$end - $start:.3f}')")
cli_listed=$(aws s3 ls --recursive s3://bench-cli/ | wc -l)

swift_output="$("$bench" --endpoint "$AWS_ENDPOINT_URL" --bucket bench-swift --dir "$work/site" --concurrency "$concurrency")"
echo "$swift_output" | grep -v '^SECONDS'
swift_seconds="$(echo "$swift_output" | awk '/^SECONDS/ {print $2}')"

echo "aws s3 cp --recursive: $count objects ($cli_listed listed) in $cli_seconds s (default max_concurrent_requests 10)"
python3 -c "
s, c = $swift_seconds, $cli_seconds
print(f'ratio aws-cli / ldedge = {c / s:.2f}x  ({\"ldedge faster\" if s < c else \"aws cli faster\"})')"
