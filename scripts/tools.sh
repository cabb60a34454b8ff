# Sourced by the test scripts: installs what the Kotlin tests need when it is missing, and
# exports where it is. Idempotent: a second run installs nothing.
#   JNA            Debian's libjna-java            /usr/share/java/jna.jar
#   Kotlin 2.4.20  npm kotlin-compiler@2.4.20      .tools/kotlin (git-ignored)
#   Java           Debian's default-jdk-headless   only if no java is on PATH

GP_ROOT=${GP_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
KOTLIN_VERSION=2.4.20
KOTLIN_HOME="$GP_ROOT/.tools/kotlin/node_modules/kotlin-compiler"
JNA_JAR=/usr/share/java/jna.jar

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
