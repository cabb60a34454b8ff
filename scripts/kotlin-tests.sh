#!/usr/bin/env bash
# Kotlin tests on the desktop JVM, against the real native library through JNA.
#
# 1. builds libgridpatrol_ffi (dev profile) and the pinned uniffi-bindgen;
# 2. generates the Kotlin and Swift bindings from the library (Swift is generated and checked
#    to exist; no Swift compiler can run on Linux here);
# 3. compiles the generated Kotlin once into a jar cached by the library's interface hash;
# 4. compiles bindings/tests/kotlin/*.kt and runs them; the last line is
#    "kotlin: N passed, M failed" and the exit code is non-zero on any failure.
set -euo pipefail
GP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$GP_ROOT"
source scripts/tools.sh
ensure_kotlin_tools

BUILD="$GP_ROOT/build/kotlin"
mkdir -p "$BUILD"
cargo build --quiet -p gridpatrol-ffi
cargo build --quiet -p gridpatrol-uniffi-bindgen
# The sync test starts a real platform (`gridpatrol serve`) as a child process; GRIDPATROL_BIN
# may name a prebuilt one.
if [ -z "${GRIDPATROL_BIN:-}" ]; then
    cargo build --quiet -p gridpatrol-cli --bin gridpatrol
    GRIDPATROL_BIN="$GP_ROOT/target/debug/gridpatrol"
fi
LIB="$GP_ROOT/target/debug/libgridpatrol_ffi.so"
BINDGEN="$GP_ROOT/target/debug/uniffi-bindgen"

GEN="$BUILD/generated"
rm -rf "$GEN"
"$BINDGEN" generate --library "$LIB" --language kotlin --language swift --no-format --out-dir "$GEN" >/dev/null
mapfile -t KOTLIN_SOURCES < <(find "$GEN" -name '*.kt' | sort)
mapfile -t SWIFT_SOURCES < <(find "$GEN" -name '*.swift' | sort)
if [ "${#KOTLIN_SOURCES[@]}" -eq 0 ] || [ "${#SWIFT_SOURCES[@]}" -eq 0 ]; then
    echo "kotlin: bindgen produced no Kotlin or no Swift sources" >&2
    exit 1
fi
echo "bindings: ${#KOTLIN_SOURCES[@]} Kotlin and ${#SWIFT_SOURCES[@]} Swift files generated"

# The generated sources change exactly when the exported interface changes: key the jar on them.
KEY=$(cat "${KOTLIN_SOURCES[@]}" | sha256sum | cut -c1-16)
BINDINGS_JAR="$BUILD/bindings-$KEY.jar"
if [ ! -f "$BINDINGS_JAR" ]; then
    echo "bindings: compiling the generated Kotlin (cached as $(basename "$BINDINGS_JAR"))"
    rm -f "$BUILD"/bindings-*.jar
    "$KOTLIN_HOME/bin/kotlinc" -nowarn -cp "$KOTLIN_CP" "${KOTLIN_SOURCES[@]}" -d "$BINDINGS_JAR" 2>&1 |
        grep -v '^warning' || true
    [ -f "$BINDINGS_JAR" ] || { echo "kotlin: the generated bindings did not compile" >&2; exit 1; }
fi

TESTS_JAR="$BUILD/tests.jar"
rm -f "$TESTS_JAR"
"$KOTLIN_HOME/bin/kotlinc" -nowarn -cp "$BINDINGS_JAR:$KOTLIN_CP:$KOTLIN_RUNTIME_CP" \
    bindings/tests/kotlin/*.kt -d "$TESTS_JAR"

export GRIDPATROL_TEST_TMP="$BUILD/tmp"
rm -rf "$GRIDPATROL_TEST_TMP" && mkdir -p "$GRIDPATROL_TEST_TMP"
exec java -Djna.library.path="$(dirname "$LIB")" -Dgridpatrol.bin="$GRIDPATROL_BIN" \
    -cp "$TESTS_JAR:$BINDINGS_JAR:$KOTLIN_CP:$KOTLIN_RUNTIME_CP" gridpatrol.tests.HarnessKt "$@"
