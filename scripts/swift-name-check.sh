#!/usr/bin/env bash
# The Swift demo's calls against the generated Swift bindings (no Swift compiler runs here).
#
# Generates the Swift bindings from the same library the Kotlin tests use (kotlin-bindings.sh),
# then checks with swift_name_check.py that every core name ios-demo's Swift sources use exists
# there — methods on the core object with their argument labels, record initialisers, types,
# enum cases, fields, free functions. Then proves the check can fail: a copy of the sources with
# one core call misspelt, and one with a wrong argument label, must both be refused.
# Ends with "swift-name-check: ok" or the problems found, and exits non-zero on any.
set -euo pipefail
GP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$GP_ROOT"
if [ -z "${GP_BINDINGS_READY:-}" ]; then
    source scripts/kotlin-bindings.sh
    build_kotlin_bindings >/dev/null
fi
GEN="$GP_ROOT/build/kotlin/generated"
mapfile -t generated < <(find "$GEN" -name '*.swift' | sort)
mapfile -t demo < <(find ios-demo -name '*.swift' -not -path '*/Sources/GridPatrolCore/*' -not -name Package.swift | sort)
[ "${#generated[@]}" -gt 0 ] || { echo "swift-name-check: no generated Swift in $GEN" >&2; exit 1; }
[ "${#demo[@]}" -gt 0 ] || { echo "swift-name-check: no Swift sources in ios-demo" >&2; exit 1; }

python3 scripts/swift_name_check.py ios-demo/sdk-names.txt "${demo[@]}" -- "${generated[@]}"

# The check must be able to fail.
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
broken="$scratch/App.swift"
sed -e 's/core\.createDraft(/core.createDrafts(/' ios-demo/App/AppModel.swift > "$broken"
grep -q 'core.createDrafts(' "$broken" || { echo "swift-name-check: self-test could not plant a misspelt call" >&2; exit 1; }
if python3 scripts/swift_name_check.py ios-demo/sdk-names.txt "$broken" -- "${generated[@]}" >/dev/null; then
    echo "swift-name-check: FAIL: a misspelt core method was not caught" >&2; exit 1
fi
sed -e 's/core\.submit(draftId:/core.submit(id:/' ios-demo/App/AppModel.swift > "$broken"
grep -q 'core.submit(id:' "$broken" || { echo "swift-name-check: self-test could not plant a wrong label" >&2; exit 1; }
if python3 scripts/swift_name_check.py ios-demo/sdk-names.txt "$broken" -- "${generated[@]}" >/dev/null; then
    echo "swift-name-check: FAIL: a wrong argument label was not caught" >&2; exit 1
fi
echo "swift-name-check: ok (and a misspelt method and a wrong label are caught)"
