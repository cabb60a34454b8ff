#!/usr/bin/env bash
# Builds the native library for the Android demo and generates its Kotlin bindings:
#   android-demo/app/src/main/jniLibs/<abi>/libgridpatrol_ffi.so   (arm64-v8a, armeabi-v7a, x86_64)
#   android-demo/shared/src/generated/kotlin/                        (uniffi-bindgen --language kotlin)
# with the `mobile` profile (size first, panic = unwind, symbols kept for uniffi-bindgen), then
# prints each library's stripped size.
#
# Needs: the Android NDK (ANDROID_NDK_HOME, or ANDROID_HOME/ndk/<version> as Android Studio's SDK
# manager installs it), cargo-ndk (installed here with `cargo install` when missing) and the
# three Rust targets (added with rustup when missing). Where one of these cannot be had, the
# script says which and exits 2 without building anything.
#   --abi ABI   build one ABI only (repeatable)
set -euo pipefail
GP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$GP_ROOT"

abis=()
while [ $# -gt 0 ]; do
    case "$1" in
        --abi) abis+=("$2"); shift ;;
        *) echo "build-android: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ ${#abis[@]} -gt 0 ] || abis=(arm64-v8a armeabi-v7a x86_64)

rust_target() {
    case "$1" in
        arm64-v8a) echo aarch64-linux-android ;;
        armeabi-v7a) echo armv7-linux-androideabi ;;
        x86_64) echo x86_64-linux-android ;;
        x86) echo i686-linux-android ;;
        *) echo "build-android: unknown ABI $1" >&2; exit 2 ;;
    esac
}

ndk=${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}
if [ -z "$ndk" ] && [ -n "${ANDROID_HOME:-}" ] && [ -d "$ANDROID_HOME/ndk" ]; then
    ndk=$(find "$ANDROID_HOME/ndk" -mindepth 1 -maxdepth 1 -type d | sort -V | tail -1)
fi
if [ -z "$ndk" ] || [ ! -d "$ndk/toolchains/llvm" ]; then
    cat >&2 <<'MSG'
build-android: no Android NDK found (set ANDROID_NDK_HOME, or install "NDK (Side by side)" with
Android Studio's SDK Manager, which puts it in $ANDROID_HOME/ndk/<version>). Google's download
servers are not reachable from the gridpatrol CI machines, so this step runs on a developer's
machine; nothing was built.
MSG
    exit 2
fi
export ANDROID_NDK_HOME=$ndk

for abi in "${abis[@]}"; do
    target=$(rust_target "$abi")
    if ! rustup target list --installed | grep -qx "$target"; then
        echo "build-android: adding Rust target $target"
        rustup target add "$target" || { echo "build-android: rustup cannot add $target here" >&2; exit 2; }
    fi
done
if ! cargo ndk --version >/dev/null 2>&1; then
    echo "build-android: installing cargo-ndk"
    cargo install --locked cargo-ndk || { echo "build-android: cargo-ndk cannot be installed here" >&2; exit 2; }
fi

jni=android-demo/app/src/main/jniLibs
args=()
for abi in "${abis[@]}"; do args+=(-t "$abi"); done
# API 26 is the app's minSdk.
cargo ndk --platform 26 "${args[@]}" -o "$jni" build -p gridpatrol-ffi --profile mobile

# The bindings come from the library itself (uniffi's library mode reads the metadata symbols
# that the mobile profile keeps).
cargo build --quiet -p gridpatrol-uniffi-bindgen
first=$(rust_target "${abis[0]}")
out=android-demo/shared/src/generated/kotlin
rm -rf "$out"
target/debug/uniffi-bindgen generate --library "target/$first/mobile/libgridpatrol_ffi.so" \
    --language kotlin --no-format --out-dir "$out"

strip_tool=$(find "$ndk/toolchains/llvm/prebuilt" -name llvm-strip | head -1)
echo "build-android: stripped sizes (what the APK carries, before compression):"
for abi in "${abis[@]}"; do
    lib="$jni/$abi/libgridpatrol_ffi.so"
    tmp=$(mktemp)
    "$strip_tool" --strip-all -o "$tmp" "$lib"
    printf '  %-12s %8.2f MB\n' "$abi" "$(awk -v s="$(stat -c %s "$tmp")" 'BEGIN { print s / 1e6 }')"
    rm -f "$tmp"
done
