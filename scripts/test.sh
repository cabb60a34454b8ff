#!/usr/bin/env bash
# The one test command: everything CI runs, in the order a developer wants to see failures.
# Installs what it needs when missing (JNA and a JDK via apt, kotlinc via npm, schemathesis via
# pip; see tools.sh), then runs: cargo fmt --check, clippy -D warnings, cargo test --workspace,
# the API fuzzer against a live platform (api-fuzz.sh), the Kotlin tests on the JVM (which also
# generate the Swift bindings), the app layer's tests on the JVM (app-tests.sh), the Swift demo's
# names against the generated Swift (swift-name-check.sh), and the library size check.
# Ends with one line "N passed, N failed" (tests, plus one per check) and exits non-zero on
# any failure.
set -uo pipefail
GP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$GP_ROOT"
export CARGO_TERM_COLOR=never
# A CI clone builds once and is thrown away: incremental caches would only take disk space,
# which is shared on these machines and has run out mid-build before.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
source scripts/tools.sh

passed=0
failed=0
failures=()
log_dir="$GP_ROOT/build/test-logs"
mkdir -p "$log_dir"

# check NAME COMMAND...: one pass or one fail.
check() {
    local name=$1; shift
    echo "== $name"
    if "$@" 2>&1 | tee "$log_dir/$name.log"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1)); failures+=("$name")
    fi
}

# counted NAME PATTERN COMMAND...: adds the pass/fail counts the runner prints; a runner that
# fails without counting a failure (a build error) counts as one failure.
counted() {
    local name=$1 pattern=$2; shift 2
    echo "== $name"
    "$@" 2>&1 | tee "$log_dir/$name.log"
    local status=${PIPESTATUS[0]}
    local p f
    read -r p f < <(grep -E "$pattern" "$log_dir/$name.log" |
        sed -E 's/.* ([0-9]+) passed[;,] ([0-9]+) failed.*/\1 \2/' | awk '{p += $1; f += $2} END {print p + 0, f + 0}')
    passed=$((passed + p)); failed=$((failed + f))
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        failed=$((failed + 1))
    fi
    if [ "$status" -ne 0 ] || [ "$f" -ne 0 ]; then failures+=("$name"); fi
}

over_budget_fails() {
    # The size check must fail when the library is over budget: check the last build against 1 byte.
    ! scripts/size-check.sh --no-build --budget-bytes 1 >/dev/null 2>&1
}

ensure_kotlin_tools
check fmt cargo fmt --all -- --check
check clippy cargo clippy --workspace --all-targets --quiet -- -D warnings
counted cargo-test '^test result:' cargo test --workspace --no-fail-fast
check api-fuzz scripts/api-fuzz.sh
counted kotlin '^kotlin: [0-9]+ passed, [0-9]+ failed' scripts/kotlin-tests.sh
counted app '^app: [0-9]+ passed, [0-9]+ failed' scripts/app-tests.sh
check swift-names scripts/swift-name-check.sh
check size scripts/size-check.sh
check size-budget-enforced over_budget_fails

echo
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed: ${failures[*]} (logs in build/test-logs/)"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
