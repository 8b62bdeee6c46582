#!/usr/bin/env bash
# Runs the producer benchmark in its own JVM (it starts the sink in another JVM with the same class path).
# Build first, from the repository root:  mvn -B -o -pl benchmarks package -DskipTests
# (that compiles the harness and writes target/classpath.txt). Usage: benchmarks/run.sh [options]
# JAVA_OPTS overrides the harness JVM options (default -Xms1g -Xmx1g); MAIN picks another main class.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -f "$here/target/classpath.txt" || ! -d "$here/target/classes" ]]; then
  echo "build first: (cd $here/.. && mvn -B -o -pl benchmarks package -DskipTests)" >&2
  exit 1
fi
exec java ${JAVA_OPTS:--Xms1g -Xmx1g} -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" \
  "${MAIN:-io.purekinesis.benchmarks.ProducerBenchmark}" "$@"
