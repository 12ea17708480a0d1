#!/usr/bin/env bash
# Issue 14: a no-change redeploy of workflows/rebrand.yaml, before and after, in one run, and the
# number of package zips each binary builds per deploy.
#
#   Benchmarks/redeploy/run.sh [runs] [before-commit]
#
# "before" is ldedge at `before-commit` (default: the last commit before issue 14), built once in a
# git worktree under .build-bench/ (a clean build: 10-20 minutes the first time, cached after);
# "after" is this checkout. Both run against the same local sandbox (moto + ldedge sandbox).
# Zips are counted with gdb: every zip build opens one libarchive zip writer per worker thread
# (archive_write_set_format_zip), so builds = breakpoint hits / workers.
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
runs="${1:-5}"
before_commit="${2:-c23d481}"
bench="$root/.build-bench"
mkdir -p "$bench"

swift build --product ldedge >/dev/null
after="$root/.build/debug/ldedge"
if [ ! -d "$bench/before" ]; then git worktree add --detach "$bench/before" "$before_commit" >/dev/null; fi
echo "building ldedge at $before_commit (first run only: a clean build) ..." >&2
(cd "$bench/before" && swift build --product ldedge >"$bench/before-build.log" 2>&1) || { tail -30 "$bench/before-build.log"; exit 1; }
before="$bench/before/.build/debug/ldedge"

work="$(mktemp -d)"
export LDEDGE_CF_DEPLOY_SECONDS=0.2 LDEDGE_REPLICA_SECONDS=0.2 LDEDGE_POLL_INTERVAL=0.2 NO_COLOR=1
ldedge="$after"
source scripts/lib/local-sandbox.sh
trap 'stop_local_sandbox; rm -rf "$work"' EXIT
start_local_sandbox "$root"
workers=$(python3 -c "import os; print(min(os.cpu_count() or 1, 4))")

now() { python3 -c 'import time; print(time.monotonic())'; }

# Zip builds during one `ldedge deploy` (run under gdb, counting zip writers).
cat >"$work/count-zips.gdb" <<'GDB'
set pagination off
set breakpoint pending on
break archive_write_set_format_zip
commands
silent
continue
end
run
info breakpoints
GDB
zips() {
    local binary="$1" hits
    hits=$(gdb -q -batch -x "$work/count-zips.gdb" --args "$binary" deploy workflows/rebrand.yaml --yes 2>/dev/null |
        sed -n 's/.*breakpoint already hit \([0-9]*\) time.*/\1/p' | head -1)
    python3 -c "print(${hits:-0} // $workers)"
}

# Zips on the first deploy and on a no-change redeploy, for one binary in a project of its own
# (torn down again: the workflow's AWS names are fixed, so one deployment at a time).
count() {
    local binary="$1" project="$work/$2" first again
    mkdir -p "$project" && cp -R workflows templates "$project/" && cd "$project"
    first=$(zips "$binary")
    again=$(zips "$binary")
    until "$binary" teardown --yes >/dev/null 2>&1; do sleep 0.2; done
    cd "$root"
    echo "$first $again"
}

# One timed no-change redeploy of the shared project, in seconds.
redeploy() {
    local binary="$1" t0 t1
    t0=$(now); "$binary" deploy workflows/rebrand.yaml --yes >/dev/null 2>&1; t1=$(now)
    python3 -c "print($t1-$t0)"
}

read -r before_first before_again <<<"$(count "$before" before)"
read -r after_first after_again <<<"$(count "$after" after)"

# Timing: one deployment (the state format did not change), redeployed by the two binaries in
# turn, so drift in the emulator or the machine's load hits both alike.
mkdir -p "$work/shared" && cp -R workflows templates "$work/shared/" && cd "$work/shared"
"$after" deploy workflows/rebrand.yaml --yes >/dev/null 2>&1
before_times=() after_times=()
for _ in $(seq "$runs"); do
    before_times+=("$(redeploy "$before")")
    after_times+=("$(redeploy "$after")")
done
until "$after" teardown --yes >/dev/null 2>&1; do sleep 0.2; done
cd "$root"
median() { python3 -c "import statistics,sys; print('%.3f' % statistics.median(map(float, sys.argv[1:])))" "$@"; }
before_s=$(median "${before_times[@]}")
after_s=$(median "${after_times[@]}")

printf 'binary\tzips_first_deploy\tzips_no_change_redeploy\tno_change_redeploy_s (median of %s)\n' "$runs"
printf 'before (%s)\t%s\t%s\t%s\n' "$before_commit" "$before_first" "$before_again" "$before_s"
printf 'after\t%s\t%s\t%s\n' "$after_first" "$after_again" "$after_s"
python3 -c "print('ratio after/before: %.2f' % ($after_s/$before_s))"
