# Sourced by ./cumulus, ./run-tests, .ci/run and the benchmarks: finds a JDK >= 21 and exports
# JAVA_HOME, so a fresh machine whose default java is older still builds.

java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = \([0-9]*\).*/\1/p'
}

# Sets JAVA_HOME and JAVA_MAJOR to the first JDK >= 21 found; no subshell, so both stay set.
find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-2[1-9]* /usr/lib/jvm/java-2[1-9]-* /usr/lib/jvm/*; do
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(java_major "$candidate")
    if [ "${major:-0}" -ge 21 ] 2>/dev/null; then
      JAVA_HOME=$candidate
      JAVA_MAJOR=$major
      return 0
    fi
  done
  return 1
}

if ! find_jdk; then
  echo "cumulus: no JDK 21 or newer found; install one (e.g. Temurin 25) or set JAVA_HOME" >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# Maven 3.8 on JDK 24+ warns about sun.misc.Unsafe on every run; the warning is not ours to fix.
if [ "$JAVA_MAJOR" -ge 24 ]; then
  case " ${MAVEN_OPTS:-} " in *unsafe-memory-access*) ;; *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;; esac
fi
# File names in NARs are bytes; Java decodes them with the locale's charset, so it must be UTF-8.
case "${LC_ALL:-${LANG:-}}" in
  *UTF-8*|*utf8*) ;;
  *) export LC_ALL=C.UTF-8 ;;
esac
# The JDK's exact build ("25.0.3+9-LTS"): an AOT cache (scripts/aot-cache) works only with the JDK that wrote it.
JAVA_RUNTIME=$(sed -n 's/^JAVA_RUNTIME_VERSION="\(.*\)"$/\1/p' "$JAVA_HOME/release" 2>/dev/null || true)
JAVA_RUNTIME=${JAVA_RUNTIME:-$JAVA_MAJOR}
