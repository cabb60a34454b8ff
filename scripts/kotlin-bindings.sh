# Sourced by kotlin-tests.sh and app-tests.sh: `build_kotlin_bindings` builds libgridpatrol_ffi
# (dev profile), the pinned uniffi-bindgen and `gridpatrol` (for the tests that start a
# platform), generates the Kotlin and Swift bindings into build/kotlin/generated, and compiles
# the Kotlin once into a jar keyed by the generated sources' hash. It sets BUILD, LIB, GEN,
# BINDINGS_JAR, GRIDPATROL_BIN and the KOTLIN_* paths of tools.sh.
source "$GP_ROOT/scripts/tools.sh"

build_kotlin_bindings() {
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
}
