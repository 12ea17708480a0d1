# Sourced by scripts/demo.sh, scripts/ci-smoke.sh, scripts/release.sh and scripts/test.sh: `quiet_build LOG [swift build args...]` runs
# `swift build` with its output in LOG, printing one line of progress (the current step every
# few seconds on a terminal); on failure it prints the end of the log and where the rest is.
quiet_build() {
    local log="$1"; shift
    mkdir -p "$(dirname "$log")"
    local started=$SECONDS
    printf 'building ldedge (swift build%s; log: %s)...' "${*:+ $*}" "$log" >&2
    swift build "$@" >"$log" 2>&1 &
    local pid=$!
    if [ -t 2 ]; then
        while kill -0 "$pid" 2>/dev/null; do
            local current
            current="$(grep -o '^\[[0-9]*/[0-9]*\]' "$log" 2>/dev/null | tail -1)"
            printf '\rbuilding ldedge %s %ds (log: %s)   ' "$current" $((SECONDS - started)) "$log" >&2
            sleep 2
        done
    fi
    if wait "$pid"; then
        if [ -t 2 ]; then
            printf '\rbuilding ldedge: done in %ds (log: %s)%*s\n' $((SECONDS - started)) "$log" 20 '' >&2
        else
            printf ' done in %ds\n' $((SECONDS - started)) >&2
        fi
    else
        printf '\n' >&2
        tail -n 60 "$log" >&2
        echo "swift build failed after $((SECONDS - started))s; the last 60 lines are above, the whole log is $log" >&2
        return 1
    fi
}

# `use_ldedge ROOT LOGNAME`: sets $ldedge to $LDEDGE_BINARY when given (a release binary from
# scripts/release.sh), else builds the debug binary (log in ROOT/.build/logs/LOGNAME-build.log).
use_ldedge() {
    if [ -n "${LDEDGE_BINARY:-}" ]; then
        ldedge="$LDEDGE_BINARY"
    else
        quiet_build "$1/.build/logs/$2-build.log"
        ldedge="$1/.build/debug/ldedge"
    fi
}
