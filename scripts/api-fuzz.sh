#!/usr/bin/env bash
# The property-based API fuzzer: schemathesis generates requests from platform/openapi.yaml
# (valid ones and ones that break the schema) and checks every answer against it: no server
# error, every status declared, every content type and body as declared (problem+json for
# errors), negative data refused, valid data accepted, 405 with Allow for undeclared methods,
# 401 without credentials. Configuration: scripts/schemathesis.toml.
#
# Runs against a live `gridpatrol serve` built from this tree, on a free 127.0.0.1 port with a
# temporary data directory, as an enrolled device (its real access token) and with the admin
# token. Bounded: at most GP_FUZZ_EXAMPLES cases per operation and phase, GP_FUZZ_TIMEOUT_S
# seconds in all. The seed is fixed (GP_FUZZ_SEED) so a run is reproducible; set another to
# explore. One worker: with two, hypothesis' lambda-source parsing (Python 3.11 `ast`) raced and
# failed a run with an internal error; one worker is as fast here (the platform answers in
# about a millisecond, generation is the cost). Exits non-zero on any failure or error.
# Installs schemathesis when missing (tools.sh).
set -euo pipefail
GP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$GP_ROOT"
source scripts/tools.sh

examples=${GP_FUZZ_EXAMPLES:-50}
timeout_s=${GP_FUZZ_TIMEOUT_S:-240}
seed=${GP_FUZZ_SEED:-20261202}

ensure_fuzz_tools
cargo build --quiet -p gridpatrol-cli --bin gridpatrol
gridpatrol="${CARGO_TARGET_DIR:-$GP_ROOT/target}/debug/gridpatrol"

work=$(mktemp -d)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

enrollment_code=$("$FUZZ_VENV/bin/python" -c 'import secrets; print("fuzz-enroll-" + secrets.token_hex(16))')
admin_token=$("$FUZZ_VENV/bin/python" -c 'import secrets; print("fuzz-admin-" + secrets.token_hex(16))')
"$gridpatrol" serve --addr 127.0.0.1:0 --data "$work/platform" --json \
    --enrollment-code "$enrollment_code" --admin-token "$admin_token" \
    >"$work/serve.json" 2>"$work/serve.log" &
server_pid=$!

# The start-up line names the port actually bound.
url=""
for _ in $(seq 1 100); do
    if [ -s "$work/serve.json" ]; then
        url=$("$FUZZ_VENV/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["url"])' <"$work/serve.json")
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$url" ]; then
    echo "api-fuzz: gridpatrol serve did not start" >&2
    cat "$work/serve.log" >&2
    exit 1
fi

# Enroll one device over HTTP, as a phone would: its access token is the fuzzer's credential.
device_token=$(URL="$url" CODE="$enrollment_code" "$FUZZ_VENV/bin/python" - <<'PY'
import json, os, urllib.request
request = urllib.request.Request(
    os.environ["URL"] + "/v1/enroll",
    data=json.dumps({"enrollment_code": os.environ["CODE"], "label": "api fuzzer"}).encode(),
    headers={"Content-Type": "application/json"},
    method="POST",
)
with urllib.request.urlopen(request, timeout=10) as answer:
    assert answer.status == 201, answer.status
    print(json.load(answer)["access_token"])
PY
)

echo "api-fuzz: $url, seed $seed, at most $examples cases per operation and phase, ${timeout_s}s"
started=$(date +%s)
status=0
GP_FUZZ_DEVICE_TOKEN="$device_token" GP_FUZZ_ADMIN_TOKEN="$admin_token" \
    timeout --kill-after=10 "$timeout_s" \
    "$FUZZ_VENV/bin/schemathesis" --config-file scripts/schemathesis.toml run \
    platform/openapi.yaml --url "$url" \
    --checks all \
    --phases examples,coverage,fuzzing \
    --max-examples "$examples" --seed "$seed" \
    --workers 1 --request-timeout 10 \
    --generation-database none \
    --no-color || status=$?
elapsed=$(($(date +%s) - started))

if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "api-fuzz: timed out after ${timeout_s}s" >&2
fi
if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "api-fuzz: the platform died during the run; its log:" >&2
    tail -n 50 "$work/serve.log" >&2
    status=1
fi
echo "api-fuzz: schemathesis exit $status after ${elapsed}s"
exit "$status"
