# Sourced by scripts/demo.sh and Benchmarks/rebrand/run.sh: starts the local AWS emulator (moto,
# patched for CloudFront/Lambda@Edge) and `ldedge sandbox` on free loopback ports, exports what
# points ldedge and the handler at them, and stops both on exit.
# Needs: $ldedge (the built executable), $work (a scratch folder).

local_sandbox_pids=()

stop_local_sandbox() {
    for pid in "${local_sandbox_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}

start_local_sandbox() {
    local root="$1"
    python3 "$root/scripts/aws-emulator/server.py" --port 0 --cloudfront-deploy-seconds "${LDEDGE_CF_DEPLOY_SECONDS:-2}" \
        --replica-release-seconds "${LDEDGE_REPLICA_SECONDS:-3}" >"$work/aws.log" 2>&1 &
    local_sandbox_pids+=($!)
    local port=""
    for _ in $(seq 200); do
        port="$(sed -n 's/.*LISTENING \([0-9]*\).*/\1/p' "$work/aws.log" 2>/dev/null | head -1)"
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { cat "$work/aws.log" >&2; echo "the AWS emulator did not start (scripts/setup.sh installs moto)" >&2; return 1; }

    "$ldedge" sandbox --port 0 --in-memory >"$work/ld.log" 2>&1 &
    local_sandbox_pids+=($!)
    for _ in $(seq 200); do grep -q '^export LD_BASE_URI' "$work/ld.log" 2>/dev/null && break; sleep 0.1; done
    grep -q '^export LD_BASE_URI' "$work/ld.log" || { cat "$work/ld.log" >&2; echo "ldedge sandbox did not start" >&2; return 1; }
    eval "$(grep '^export' "$work/ld.log")"

    export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local-secret AWS_REGION=us-east-1
    export LDEDGE_POLL_INTERVAL="${LDEDGE_POLL_INTERVAL:-1}"
    echo "local sandbox: AWS emulator at $AWS_ENDPOINT_URL, LaunchDarkly sandbox at $LD_BASE_URI" >&2
}
