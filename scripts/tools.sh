# Sourced by the test scripts: installs what the Kotlin tests and the API fuzzer need when it is
# missing, and exports where it is. Idempotent: a second run installs nothing.
#   JNA            Debian's libjna-java            /usr/share/java/jna.jar
#   Kotlin 2.4.20  npm kotlin-compiler@2.4.20      .tools/kotlin (git-ignored)
#   Java           Debian's default-jdk-headless   only if no java is on PATH
#   schemathesis   PyPI schemathesis 4.32.5        .tools/venv (git-ignored), the API fuzzer;
#                  its dependencies pinned in scripts/fuzz-requirements.txt
#   Python 3       Debian's python3, python3-venv  only if python3 cannot make a venv

GP_ROOT=${GP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
KOTLIN_VERSION=2.4.20
KOTLIN_HOME="$GP_ROOT/.tools/kotlin/node_modules/kotlin-compiler"
JNA_JAR=/usr/share/java/jna.jar
FUZZ_VENV="$GP_ROOT/.tools/venv"

apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    if [ -z "${GP_APT_UPDATED:-}" ]; then
        $sudo apt-get update -qq >/dev/null
        GP_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

ensure_kotlin_tools() {
    if ! command -v java >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
        echo "tools: installing a JDK (apt)"
        apt_install default-jdk-headless
    fi
    if [ ! -f "$JNA_JAR" ]; then
        echo "tools: installing JNA (apt libjna-java)"
        apt_install libjna-java
    fi
    if [ ! -x "$KOTLIN_HOME/bin/kotlinc" ] ||
        ! grep -q "\"version\": \"$KOTLIN_VERSION\"" "$KOTLIN_HOME/package.json" 2>/dev/null; then
        if ! command -v npm >/dev/null 2>&1; then
            echo "tools: installing npm (apt)"
            apt_install npm
        fi
        echo "tools: installing kotlin-compiler@$KOTLIN_VERSION (npm, into .tools/kotlin)"
        npm install --silent --no-audit --no-fund --prefix "$GP_ROOT/.tools/kotlin" \
            "kotlin-compiler@$KOTLIN_VERSION" >/dev/null
    fi
    export KOTLIN_HOME JNA_JAR
    export KOTLIN_CP="$JNA_JAR:$KOTLIN_HOME/lib/kotlinx-coroutines-core-jvm.jar"
    export KOTLIN_RUNTIME_CP="$KOTLIN_HOME/lib/kotlin-stdlib.jar:$KOTLIN_HOME/lib/kotlin-test.jar"
}

ensure_fuzz_tools() {
    # The venv records the requirements it was made from: a changed pin reinstalls.
    local wanted="$GP_ROOT/scripts/fuzz-requirements.txt" stamp="$FUZZ_VENV/gp-requirements.txt"
    if [ ! -x "$FUZZ_VENV/bin/schemathesis" ] || ! cmp -s "$wanted" "$stamp"; then
        if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then
            echo "tools: installing python3 and python3-venv (apt)"
            apt_install python3 python3-venv
        fi
        echo "tools: installing schemathesis (pip, scripts/fuzz-requirements.txt, into .tools/venv)"
        python3 -m venv "$FUZZ_VENV"
        "$FUZZ_VENV/bin/pip" install --quiet --disable-pip-version-check -r "$wanted" >/dev/null
        cp "$wanted" "$stamp"
    fi
    export FUZZ_VENV
}
