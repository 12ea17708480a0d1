#!/usr/bin/env bash
# Benchmark: the upload-site sync against `aws s3 sync`, on the same emulator process and the same
# 1,000-file folder: a first sync into an empty bucket, then a no-change re-sync. Prints both wall
# times and the ratios (issue 6 target: ldedge <= 0.5x the first sync, <= 0.3x the re-sync).
#
#   Benchmarks/site-sync/run.sh [COUNT]
#
# BENCH_CONFIG=release uses a release build (default: debug, the build tests use);
# BENCH_SCRATCH=.build-release keeps that build out of the main .build; BENCH_CONCURRENCY sets
# upload-site's parallel uploads (default 16); BENCH_TRACE=1 prints the engine's events with times.
set -euo pipefail

cd "$(dirname "$0")/../.."
count="${1:-1000}"
config="${BENCH_CONFIG:-debug}"

command -v aws >/dev/null || { echo "the aws CLI is missing: python3 -m pip install -r scripts/requirements.txt" >&2; exit 1; }
python3 -c 'import moto' 2>/dev/null || { echo "moto is missing: python3 -m pip install -r scripts/requirements.txt" >&2; exit 1; }

scratch=()
[[ -n "${BENCH_SCRATCH:-}" ]] && scratch=(--scratch-path "$BENCH_SCRATCH")
echo "building site-sync-bench ($config)..." >&2
swift build -c "$config" "${scratch[@]}" --product site-sync-bench >&2
bench="$(swift build -c "$config" "${scratch[@]}" --show-bin-path)/site-sync-bench"

work="$(mktemp -d)"
fifo="$work/stdin"
mkfifo "$fifo"
cleanup() {
    exec 3>&- 2>/dev/null || true
    [[ -n "${emulator_pid:-}" ]] && kill "$emulator_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

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
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_PAGER="" AWS_CLI_AUTO_PROMPT=off HOME="$work"

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

now() { python3 -c 'import time; print(f"{time.time():.3f}")'; }
aws s3 mb s3://bench-cli >/dev/null
start=$(now); aws s3 sync --only-show-errors "$work/site" s3://bench-cli/; end=$(now)
cli_first=$(python3 -c "print(f'{$end - $start:.3f}')")
start=$(now); aws s3 sync --only-show-errors "$work/site" s3://bench-cli/; end=$(now)
cli_again=$(python3 -c "print(f'{$end - $start:.3f}')")
cli_listed=$(aws s3 ls --recursive s3://bench-cli/ | wc -l)

output="$("$bench" "$work/site" bench-ldedge "$work/state" 2)"
[[ -n "${BENCH_PLAN_ONLY:-}" ]] && "$bench" "$work/site" bench-ldedge "$work/state" 0 || true
[[ -n "${BENCH_PLAN_ONLY:-}" ]] && { s=$(now); aws s3api list-objects-v2 --bucket bench-ldedge >/dev/null; e=$(now); echo "aws list-objects-v2: $(python3 -c "print($e - $s)")"; } || true
echo "$output"
ld_first=$(echo "$output" | awk '/^RUN 1/ {print $3}')
ld_again=$(echo "$output" | awk '/^RUN 2/ {print $3}')
ld_listed=$(aws s3 ls --recursive s3://bench-ldedge/ | wc -l)

echo "files: $count (aws s3 sync stored $cli_listed, upload-site stored $ld_listed)"
echo "first sync:    aws s3 sync $cli_first s, upload-site $ld_first s"
echo "no-change:     aws s3 sync $cli_again s, upload-site $ld_again s"
python3 -c "
f, a = $ld_first / $cli_first, $ld_again / $cli_again
print(f'ratio upload-site / aws s3 sync: first {f:.2f}x (target <= 0.5x), re-sync {a:.2f}x (target <= 0.3x)')"
