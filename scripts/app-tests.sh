#!/usr/bin/env bash
# The app layer (android-demo/shared: plain Kotlin, no Android imports) tested on the desktop
# JVM against the real native library and a real `gridpatrol serve`.
#
# Builds the library and the bindings jar as the Kotlin binding tests do (kotlin-bindings.sh),
# compiles android-demo/shared/src/main + src/test against it and runs the tests' main. The last
# line is "app: N passed, M failed"; the exit code is non-zero on any failure.
set -euo pipefail
GP_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$GP_ROOT"
source scripts/kotlin-bindings.sh
build_kotlin_bindings

APP_JAR="$BUILD/app-layer.jar"
rm -f "$APP_JAR"
mapfile -t APP_SOURCES < <(find android-demo/shared/src/main/kotlin android-demo/shared/src/test/kotlin -name '*.kt' | sort)
"$KOTLIN_HOME/bin/kotlinc" -nowarn -cp "$BINDINGS_JAR:$KOTLIN_CP:$KOTLIN_RUNTIME_CP" "${APP_SOURCES[@]}" -d "$APP_JAR"

export GRIDPATROL_TEST_TMP="$BUILD/app-tmp"
rm -rf "$GRIDPATROL_TEST_TMP" && mkdir -p "$GRIDPATROL_TEST_TMP"
exec java -Djna.library.path="$(dirname "$LIB")" -Dgridpatrol.bin="$GRIDPATROL_BIN" \
    -cp "$APP_JAR:$BINDINGS_JAR:$KOTLIN_CP:$KOTLIN_RUNTIME_CP" cn.gridpatrol.app.AppTestsKt "$@"
