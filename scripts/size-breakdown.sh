#!/usr/bin/env bash
# Where the bytes of the shipped library go: builds libgridpatrol_ffi with the `mobile` profile
# (as scripts/size-check.sh does), then prints
#   1. the stripped library's sections (code is only `.text`; tables sit in `.rodata`, unwind
#      tables for `panic = "unwind"` in `.eh_frame`),
#   2. `.text` per crate and 3. the largest functions, both from `cargo bloat`, which reads the
#      symbols that `strip = "debuginfo"` leaves in the unstripped build.
# Installs cargo-bloat (pinned) into build/tools/ (git-ignored) when it is not on PATH; a second
# run reuses it. Not part of scripts/test.sh: it only informs.
#   --crates N      crates to list (default 30)
#   --functions N   functions to list (default 30)
set -euo pipefail
GP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$GP_ROOT"
crates=30
functions=30
while [ $# -gt 0 ]; do
    case "$1" in
        --crates) crates=$2; shift ;;
        --functions) functions=$2; shift ;;
        *) echo "size-breakdown: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

BLOAT_VERSION=0.12.1
export PATH="$GP_ROOT/build/tools/bin:$PATH"
if ! cargo bloat --version >/dev/null 2>&1; then
    echo "size-breakdown: installing cargo-bloat $BLOAT_VERSION into build/tools" >&2
    cargo install --quiet --locked cargo-bloat --version "$BLOAT_VERSION" --root "$GP_ROOT/build/tools"
fi

bloat=(cargo bloat --quiet -p gridpatrol-ffi --lib --profile mobile)
# Builds (or reuses) target/mobile/libgridpatrol_ffi.so; the strip below measures the same
# file size-check.sh measures.
"${bloat[@]}" --crates -n "$crates" > build/size-crates.txt
lib=target/mobile/libgridpatrol_ffi.so
mkdir -p build/size
cp "$lib" build/size/libgridpatrol_ffi.so
strip --strip-all build/size/libgridpatrol_ffi.so
size=$(stat -c %s build/size/libgridpatrol_ffi.so)

echo "== stripped libgridpatrol_ffi.so: $size bytes ($(awk -v s="$size" 'BEGIN { printf "%.2f", s / 1e6 }') MB), sections over 10 kB"
size -A build/size/libgridpatrol_ffi.so | awk -v total="$size" \
    'NR > 2 && $2 > 10000 { printf "  %-22s %9d bytes  %5.1f%%\n", $1, $2, $2 * 100 / total }'
echo
echo "== .text per crate (cargo bloat --crates)"
cat build/size-crates.txt
echo
echo "== largest functions (cargo bloat)"
"${bloat[@]}" -n "$functions"
