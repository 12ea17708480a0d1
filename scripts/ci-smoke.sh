#!/usr/bin/env bash
# The CI set-up of docs/ci.md, end to end on the local sandbox: two fresh clones of one repository
# share S3 state (in the AWS emulator), as a merge job and a pull-request job on different runners.
#
#   1. "main" (clone A) deploys workflows/rebrand.yaml.
#   2. A pull request's plan on a fresh runner (clone B): exit 0, nothing changed.
#   3. The pull request changes the site: its plan exits 2 and is saved with --out.
#   4. "merge" (clone C, fresh, A's folder gone): applies exactly that saved plan.
#   5. A fresh plan after the merge: exit 0. Then teardown from yet another clone; nothing is left.
#
# Uses LDEDGE_BINARY when set (the release binary of scripts/release.sh, as CI downloads it),
# else builds the debug binary. Exits non-zero, saying which check failed, on any difference.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
./scripts/setup.sh
source scripts/lib/quiet-build.sh
use_ldedge "$root" ci-smoke
work="$(mktemp -d)"
source scripts/lib/local-sandbox.sh
trap 'stop_local_sandbox; rm -rf "$work"' EXIT
start_local_sandbox "$root"

say() { printf '\n\033[1mci-smoke: %s\033[0m\n' "$*" >&2; }
fail() { echo "ci-smoke: FAILED: $*" >&2; exit 1; }
run() { local dir="$1"; shift; printf '$ (%s) ldedge %s\n' "$(basename "$dir")" "$*" >&2; (cd "$dir" && "$ldedge" "$@"); }
# Teardown waits on the emulator's replica release (exit 3) and resumes.
teardown() { local status; until run "$1" teardown workflows/rebrand.yaml --yes; do status=$?; [ "$status" -eq 3 ] || return "$status"; sleep 2; done; }

# The shared state bucket (ldedge never creates it), with versioning, as docs/ci.md says.
python3 - <<'PY'
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
s3.create_bucket(Bucket="ldedge-ci-state")
s3.put_bucket_versioning(Bucket="ldedge-ci-state", VersioningConfiguration={"Status": "Enabled"})
PY
export LDEDGE_STATE="s3://ldedge-ci-state/edge"

# The team's repository: the rebrand workflow, its site and the handler templates.
seed="$work/seed"
mkdir -p "$seed"
cp -R workflows templates "$seed/"
git -C "$seed" init -q -b main
git -C "$seed" -c user.name=ci -c user.email=ci@example.com add -A
git -C "$seed" -c user.name=ci -c user.email=ci@example.com commit -qm "rebrand"
origin="$work/origin.git"
git clone -q --bare "$seed" "$origin"
clone() { git clone -q "$origin" "$work/$1"; echo "$work/$1"; }

say "1. main: clone A deploys"
a="$(clone a)"
run "$a" deploy workflows/rebrand.yaml --yes

say "2. pull request, fresh runner (clone B): plan --detailed-exitcode must exit 0"
b="$(clone b)"
status=0; run "$b" plan workflows/rebrand.yaml --detailed-exitcode >"$work/plan-b.txt" || status=$?
cat "$work/plan-b.txt"
[ "$status" -eq 0 ] || fail "a fresh runner's plan exited $status, expected 0 (nothing changed)"
rm -rf "$a"

say "3. the pull request changes the site: plan exits 2, saved with --out"
sed -i 's#</body>#<p>changed in a pull request</p></body>#' "$b/templates/site/index.html"
git -C "$b" -c user.name=ci -c user.email=ci@example.com commit -qam "site change"
git -C "$b" push -q origin HEAD:main
status=0; run "$b" plan workflows/rebrand.yaml --detailed-exitcode --out "$work/rebrand.plan" >"$work/plan-pr.txt" || status=$?
cat "$work/plan-pr.txt"
[ "$status" -eq 2 ] || fail "the pull request's plan exited $status, expected 2 (the site changed)"

say "4. merge: clone C (fresh) plans the merged commit with --out and applies exactly that plan"
c="$(clone c)"
status=0; run "$c" plan workflows/rebrand.yaml --detailed-exitcode --out "$work/merge.plan" >/dev/null || status=$?
[ "$status" -eq 2 ] || fail "the merge job's plan exited $status, expected 2 (the merged site change)"
run "$c" deploy "$work/merge.plan" --yes

say "5. after the merge: a fresh plan says no changes; then teardown from another fresh clone"
d="$(clone d)"
status=0; run "$d" plan workflows/rebrand.yaml --detailed-exitcode >/dev/null || status=$?
[ "$status" -eq 0 ] || fail "the plan after the merge exited $status, expected 0"
teardown "$d"
left="$(python3 - <<'PY'
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
keys = [o["Key"] for o in s3.list_objects_v2(Bucket="ldedge-ci-state", Prefix="edge/rebrand/copies/").get("Contents", [])]
print(" ".join(keys))
PY
)"
[ -z "$left" ] || fail "recovery copies left in the state prefix after teardown: $left"

say "6. pull-request preview (docs/ci.md): deploy --env pr-7 --ttl 72h, post the domain, close, nightly gc"
e="$(clone e)"
(cd "$e" && LDEDGE_ENV=pr-7 "$ldedge" deploy workflows/rebrand.yaml --ttl 72h --yes --json >"$work/preview.ndjson") || fail "the preview deploy failed"
domain="$(tail -n 1 "$work/preview.ndjson" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["outputs"]["cdn"]["domainName"])')"
[ -n "$domain" ] || fail "the preview deploy's summary has no cdn.domainName"
echo "preview address to post: https://$domain/" >&2
status=0; (cd "$e" && LDEDGE_ENV=pr-7 "$ldedge" teardown workflows/rebrand.yaml --yes --delete-flag) || status=$?
[ "$status" -eq 0 ] || [ "$status" -eq 3 ] || fail "closing the preview exited $status, expected 0 or 3"
f="$(clone f)"
for attempt in $(seq 30); do
    status=0; run "$f" gc workflows/rebrand.yaml || status=$?
    [ "$status" -eq 0 ] && break
    [ "$status" -eq 3 ] || fail "gc exited $status"
    sleep 2
done
[ "$status" -eq 0 ] || fail "gc did not finish the closed preview"
run "$f" envs workflows/rebrand.yaml --all --json | python3 -c 'import json,sys; e=json.load(sys.stdin)["environments"]; assert [x["status"] for x in e] == ["torn-down"], e' \
    || fail "the preview is not torn down"
say "all checks passed"
