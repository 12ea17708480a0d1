#!/usr/bin/env bash
# Benchmark: `ldedge logs` (every enabled region looked up concurrently, pages merged by time) against
# what a user does by hand: `aws logs filter-log-events` region after region, on the same emulator.
# Seeds /aws/lambda/us-east-1.FUNCTION in REGIONS regions with EVENTS events each, runs both RUNS
# times, prints the median wall times and the ratio ldedge / aws CLI, and checks both saw every event.
#
#   Benchmarks/logs/run.sh [REGIONS] [EVENTS] [RUNS]      (defaults 6 500 3)
#
# Uses the debug build tests use (swift build first).
set -euo pipefail

cd "$(dirname "$0")/../.."
regions="${1:-6}"
events="${2:-500}"
runs="${3:-3}"
root="$(pwd)"
ldedge="$root/.build/debug/ldedge"
[[ -x "$ldedge" ]] || { echo "build ldedge first: swift build" >&2; exit 1; }
command -v aws >/dev/null || { echo "the aws CLI is missing: python3 -m pip install -r scripts/requirements.txt" >&2; exit 1; }

work="$(mktemp -d)"
fifo="$work/stdin"
mkfifo "$fifo"
cleanup() {
    exec 3>&- 2>/dev/null || true
    [[ -n "${emulator_pid:-}" ]] && kill "$emulator_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

python3 scripts/aws-emulator/server.py --port 0 --exit-on-stdin-eof --cloudfront-deploy-seconds 0.1 --lambda-ready-seconds 0.05 \
    <"$fifo" >"$work/emulator.out" 2>"$work/emulator.err" &
emulator_pid=$!
exec 3>"$fifo"
for _ in $(seq 1 600); do
    grep -q '^LISTENING ' "$work/emulator.out" 2>/dev/null && break
    sleep 0.1
done
port="$(awk '/^LISTENING/ {print $2; exit}' "$work/emulator.out")"
[[ -n "$port" ]] || { echo "emulator did not start:" >&2; cat "$work/emulator.err" >&2; exit 1; }
export AWS_ACCESS_KEY_ID=AKIABENCHEXAMPLE AWS_SECRET_ACCESS_KEY=bench-secret-key-example AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_PAGER="" AWS_CLI_AUTO_PROMPT=off HOME="$work" NO_COLOR=1

# A deployed edge workflow, so that ldedge knows its function from the recorded state.
mkdir -p "$work/project/site/beta"
cd "$work/project"
echo '<h1>old</h1>' > site/index.html
echo '<h1>new</h1>' > site/beta/index.html
python3 - <<'PY'
import zipfile
with zipfile.ZipFile("handler.zip", "w") as z:
    z.writestr(zipfile.ZipInfo("handler.py", (2020, 1, 1, 0, 0, 0)), "def handler(event, context):\n    return event['Records'][0]['cf']['request']\n")
PY
cat > bench.yaml <<'YAML'
name: bench
steps:
  - id: site
    uses: upload-site
    with: {source: site, bucket: ldedge-logs-bench}
  - id: cdn
    uses: edge-distribution
    with: {bucket: "${steps.site.outputs.bucket}", pollInterval: 0.1}
  - id: edge
    uses: attach-trigger
    with: {zip: handler.zip, functionName: bench-edge, distribution: "${steps.cdn.outputs.id}", pollInterval: 0.1}
YAML
git init -q . && git add -A && git -c user.email=b@b -c user.name=b commit -qm bench
"$ldedge" deploy bench.yaml --yes >/dev/null 2>"$work/deploy.err" || { cat "$work/deploy.err" >&2; exit 1; }

group="/aws/lambda/us-east-1.bench-edge"
all_regions="$(aws ec2 describe-regions --query 'Regions[].RegionName' --output text | tr '\t' '\n' | sort)"
python3 - "$group" "$regions" "$events" $all_regions <<'PY'
import sys, time, botocore.session
group, count, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
regions = sys.argv[4:4 + count]
session = botocore.session.get_session()
now = int(time.time() * 1000) - 600_000
for region in regions:
    logs = session.create_client("logs", region_name=region)
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    batch = [{"timestamp": now + i * 10, "message": f"START RequestId: 6f1c2b9e-1d2a-4c3b-9e8f-{i:012d} Version: 1"} for i in range(per)]
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=batch)
print(f"seeded {len(regions)} regions x {per} events: {regions}", file=sys.stderr)
print(session.create_client("logs", region_name=regions[0]).describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["logGroupName"], file=sys.stderr)
PY
expected=$((regions * events))

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now_ms() { python3 -c 'import time; print(int(time.time()*1000))'; }

ldedge_times=()
aws_times=()
for _ in $(seq 1 "$runs"); do
    start=$(now_ms)
    lines=$("$ldedge" logs bench --since 1h | wc -l)
    ldedge_times+=($(( $(now_ms) - start )))
    [[ "$lines" -eq "$expected" ]] || { echo "ldedge printed $lines lines, expected $expected" >&2; exit 1; }

    start=$(now_ms)
    lines=0
    since=$(( $(now_ms) - 3600000 ))
    for region in $all_regions; do
        n=$(aws logs filter-log-events --region "$region" --log-group-name "$group" --start-time "$since" \
              --query 'events[].message' --output text 2>/dev/null | tr '\t' '\n' | grep -c . || true)
        lines=$((lines + n))
    done
    aws_times+=($(( $(now_ms) - start )))
    [[ "$lines" -eq "$expected" ]] || { echo "aws CLI saw $lines events, expected $expected" >&2; exit 1; }
done

l=$(printf '%s\n' "${ldedge_times[@]}" | median)
a=$(printf '%s\n' "${aws_times[@]}" | median)
echo "regions enabled: $(echo "$all_regions" | wc -l), with logs: $regions, events: $expected, runs: $runs"
echo "ldedge logs (all regions, concurrent, merged):      ${l} ms (median; runs: ${ldedge_times[*]})"
echo "aws logs filter-log-events, region by region:       ${a} ms (median; runs: ${aws_times[*]})"
python3 -c "print(f'ratio ldedge / aws CLI: {$l / $a:.2f}')"
