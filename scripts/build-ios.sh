#!/usr/bin/env bash
# Builds the core for iOS and regenerates its Swift bindings, on a Mac with Xcode:
#   ios-demo/build/GridPatrolFFI.xcframework   static libraries for aarch64-apple-ios (devices),
#                                               aarch64-apple-ios-sim + x86_64-apple-ios (simulator,
#                                               merged with lipo), the uniffi headers and module map
#   ios-demo/GridPatrolKit/Sources/GridPatrolCore/*.swift   uniffi-bindgen --language swift
# with the `mobile` profile, then prints each library's size. Where this machine cannot build for
# iOS (not macOS, no Xcode, a Rust target that rustup cannot add), it says so and exits 2.
set -euo pipefail
GP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$GP_ROOT"

if [ "$(uname -s)" != Darwin ] || ! command -v xcodebuild >/dev/null 2>&1; then
    echo "build-ios: iOS libraries need macOS with Xcode (xcodebuild, the iOS SDKs); this is $(uname -s) without them. Nothing was built." >&2
    exit 2
fi
targets=(aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios)
for target in "${targets[@]}"; do
    if ! rustup target list --installed | grep -qx "$target"; then
        echo "build-ios: adding Rust target $target"
        rustup target add "$target" || { echo "build-ios: rustup cannot add $target" >&2; exit 2; }
    fi
done

export IPHONEOS_DEPLOYMENT_TARGET=16.0
for target in "${targets[@]}"; do
    cargo build -p gridpatrol-ffi --profile mobile --target "$target"
done

out=ios-demo/build
gen=$out/generated
rm -rf "$gen" "$out/GridPatrolFFI.xcframework"
mkdir -p "$gen" "$out/sim"
# The bindings come from the library's metadata symbols (kept by the mobile profile).
cargo build --quiet -p gridpatrol-uniffi-bindgen
target/debug/uniffi-bindgen generate --library target/aarch64-apple-ios/mobile/libgridpatrol_ffi.a \
    --language swift --no-format --out-dir "$gen"

# One module map for the C side of both crates' bindings.
mkdir -p "$gen/headers"
cp "$gen"/*.h "$gen/headers/"
cat "$gen"/*.modulemap > "$gen/headers/module.modulemap"

lipo -create target/aarch64-apple-ios-sim/mobile/libgridpatrol_ffi.a target/x86_64-apple-ios/mobile/libgridpatrol_ffi.a \
    -output "$out/sim/libgridpatrol_ffi.a"
xcodebuild -create-xcframework \
    -library target/aarch64-apple-ios/mobile/libgridpatrol_ffi.a -headers "$gen/headers" \
    -library "$out/sim/libgridpatrol_ffi.a" -headers "$gen/headers" \
    -output "$out/GridPatrolFFI.xcframework"

swift_out=ios-demo/GridPatrolKit/Sources/GridPatrolCore
rm -f "$swift_out"/*.swift
cp "$gen"/*.swift "$swift_out/"

echo "build-ios: static library sizes (before the app's link and dead-code stripping):"
for target in "${targets[@]}"; do
    printf '  %-22s %8.2f MB\n' "$target" "$(awk -v s="$(stat -f %z "target/$target/mobile/libgridpatrol_ffi.a")" 'BEGIN { print s / 1e6 }')"
done
