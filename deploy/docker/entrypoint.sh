#!/bin/bash
# Container entrypoint: runs the brook CLI (default `server`) with the image's distribution.
# exec: the JVM replaces this shell as PID 1 and receives SIGTERM directly (clean shutdown).
#   BROOK_HEAP_OPTS  JVM heap flags (image default: -Xms256m -Xmx1g)
#   BROOK_JVM_OPTS   extra JVM flags
set -euo pipefail
if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then java="$JAVA_HOME/bin/java"; else java=java; fi
# Word splitting of the option variables is intended (several flags in one variable).
# shellcheck disable=SC2086
exec "$java" ${BROOK_HEAP_OPTS:--Xms256m -Xmx1g} ${BROOK_JVM_OPTS:-} -cp '/opt/brook/lib/*' io.brook.launcher.Brook "$@"
