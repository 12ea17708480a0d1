#!/usr/bin/env bash
# Plugin overhead: a 20-step workflow of no-op external plugin steps against the same workflow of
# no-op built-in steps (run: "true" with undo: "true"), timed in one run, per command:
# plan (1 plugin call per step), deploy (plan + re-plan + apply: 3 calls per step) and teardown
# (1 call per step). Prints the overhead per step per phase (target: <= 50 ms).
#   Benchmarks/plugins/run.sh [REPEATS]     (builds ldedge first when needed)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPEATS="${1:-5}"
STEPS=20
LDEDGE="${LDEDGE_BINARY:-$PWD/.build/debug/ldedge}"
[ -x "$LDEDGE" ] || swift build --product ldedge
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cp Benchmarks/plugins/noop-plugin.py "$WORK/noop-plugin.py"

python3 - "$WORK" "$STEPS" <<'PY'
import sys
work, steps = sys.argv[1], int(sys.argv[2])
with open(f"{work}/builtin.yaml", "w") as f:
    f.write("name: bench-builtin\nsteps:\n")
    for i in range(steps):
        f.write(f"  - id: s{i}\n    uses: run\n    with: {{run: \"true\", undo: \"true\"}}\n")
with open(f"{work}/plugin.yaml", "w") as f:
    f.write("name: bench-plugin\nsteps:\n")
    for i in range(steps):
        f.write(f"  - id: s{i}\n    uses: ./noop-plugin.py\n    with: {{n: {i}}}\n")
PY

python3 - "$WORK" "$STEPS" "$REPEATS" "$LDEDGE" <<'PY'
import os, resource, statistics, subprocess, sys, time
work, steps, repeats, ldedge = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
env = dict(os.environ, NO_COLOR="1")

def timed(*args):
    """Wall seconds and CPU seconds (ldedge and every plugin process it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run([ldedge, *args], cwd=work, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"ldedge {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu

phases = {"plan": [], "deploy": [], "teardown": []}
samples = {(kind, phase): [] for kind in ("builtin", "plugin") for phase in phases}
for _ in range(repeats):
    for kind in ("builtin", "plugin"):   # interleaved, so both see the same machine load
        samples[(kind, "plan")].append(timed("plan", f"{kind}.yaml"))
        samples[(kind, "deploy")].append(timed("deploy", f"{kind}.yaml", "--yes"))
        samples[(kind, "teardown")].append(timed("teardown", f"bench-{kind}", "--yes"))

calls = {"plan": 1, "deploy": 3, "teardown": 1}
print(f"{steps} steps, median of {repeats} runs per command; load average {os.getloadavg()[0]:.1f}")
for index, clock in enumerate(("wall", "cpu")):
    print(f"\n{clock} seconds per command")
    print(f"{'phase':<10}{'built-in':>10}{'plugin':>10}{'ratio':>8}{'overhead/step':>16}{'per call':>12}")
    for phase in phases:
        builtin = statistics.median(sample[index] for sample in samples[("builtin", phase)])
        plugin = statistics.median(sample[index] for sample in samples[("plugin", phase)])
        per_step = (plugin - builtin) / steps * 1000
        print(f"{phase:<10}{builtin:>10.3f}{plugin:>10.3f}{plugin / builtin:>7.1f}x{per_step:>13.1f} ms{per_step / calls[phase]:>9.1f} ms")

# The plugin process alone (interpreter start + one answer), without ldedge: what each call costs
# no matter who hosts it, so the rest of "per call" is ldedge's own overhead.
request = '{"jsonrpc":"2.0","id":1,"method":"plan","params":{"id":"s","inputs":{},"resources":[]}}\n'
alone = []
for _ in range(steps):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([f"{work}/noop-plugin.py"], input=request, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    alone.append((time.perf_counter() - start, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)))
print(f"\nthe no-op plugin run directly (no ldedge), median of {steps}: "
      f"{statistics.median(a[0] for a in alone) * 1000:.1f} ms wall, {statistics.median(a[1] for a in alone) * 1000:.1f} ms cpu per call")
print("\ntarget: <= 50 ms plugin overhead per step per phase (a phase here is one command; deploy makes 3 calls per step)")
PY
