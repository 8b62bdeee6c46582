#!/usr/bin/env bash
# Runs the fleet simulation (io.purekinesis.benchmarks.FleetSimulation) in its own JVM, on the full class path
# (target/classpath-full.txt: testkit starts DynamoDB Local in this JVM). Build first, from the repository root:
#   mvn -B -o -pl benchmarks -am package -DskipTests
# JAVA_OPTS overrides the JVM options (default -Xms1g -Xmx2g). The workers log at WARN (LOG_LEVEL=info for more):
# the simulation counts the WARN and ERROR lines of each phase.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -f "$here/target/classpath-full.txt" || ! -d "$here/target/classes" ]]; then
  echo "build first: (cd $here/.. && mvn -B -o -pl benchmarks -am package -DskipTests)" >&2
  exit 1
fi
exec java ${JAVA_OPTS:--Xms1g -Xmx2g} \
  -Dorg.slf4j.simpleLogger.defaultLogLevel="${LOG_LEVEL:-warn}" \
  -Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS \
  -Dorg.slf4j.simpleLogger.log.org.eclipse.jetty=warn \
  -cp "$here/target/classes:$(cat "$here/target/classpath-full.txt")" \
  io.purekinesis.benchmarks.FleetSimulation "$@"
