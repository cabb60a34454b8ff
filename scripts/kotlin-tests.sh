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
source scripts/kotlin-bindings.sh

build_kotlin_bindings

TESTS_JAR="$BUILD/tests.jar"
rm -f "$TESTS_JAR"
"$KOTLIN_HOME/bin/kotlinc" -nowarn -cp "$BINDINGS_JAR:$KOTLIN_CP:$KOTLIN_RUNTIME_CP" \
    bindings/tests/kotlin/*.kt -d "$TESTS_JAR"

export GRIDPATROL_TEST_TMP="$BUILD/tmp"
rm -rf "$GRIDPATROL_TEST_TMP" && mkdir -p "$GRIDPATROL_TEST_TMP"
exec java -Djna.library.path="$(dirname "$LIB")" -Dgridpatrol.bin="$GRIDPATROL_BIN" \
    -cp "$TESTS_JAR:$BINDINGS_JAR:$KOTLIN_CP:$KOTLIN_RUNTIME_CP" gridpatrol.tests.HarnessKt "$@"
