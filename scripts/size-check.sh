#!/usr/bin/env bash
# Size check of the shipped library: builds libgridpatrol_ffi with the `mobile` profile, strips
# a copy (the apps ship stripped libraries), prints its size and fails above the budget in
# scripts/size-budget.txt (bytes, x86_64 Linux build as the stand-in for phone ABIs).
#   --no-build            check the last build only
#   --budget-bytes N      use N instead of the budget file (the test script uses this to prove
#                         that an over-budget library fails the check)
set -euo pipefail
GP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$GP_ROOT"
build=1
budget=$(grep -Eo '^[0-9]+' scripts/size-budget.txt | head -1)
while [ $# -gt 0 ]; do
    case "$1" in
        --no-build) build=0 ;;
        --budget-bytes) budget=$2; shift ;;
        *) echo "size-check: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
if [ "$build" = 1 ]; then
    cargo build --quiet -p gridpatrol-ffi --profile mobile
fi
lib=target/mobile/libgridpatrol_ffi.so
[ -f "$lib" ] || { echo "size-check: $lib is missing (build it first)" >&2; exit 1; }
mkdir -p build/size
cp "$lib" build/size/libgridpatrol_ffi.so
strip --strip-all build/size/libgridpatrol_ffi.so
size=$(stat -c %s build/size/libgridpatrol_ffi.so)
awk -v s="$size" -v b="$budget" 'BEGIN { printf "size-check: stripped libgridpatrol_ffi.so = %d bytes (%.2f MB), budget %d bytes (%.2f MB), %d%% used\n", s, s / 1e6, b, b / 1e6, s * 100 / b }'
if [ "$size" -gt "$budget" ]; then
    echo "size-check: FAIL: over budget by $((size - budget)) bytes" >&2
    exit 1
fi
echo "size-check: ok"
