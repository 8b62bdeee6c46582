#!/usr/bin/env bash
# Runs the producer benchmark in its own JVM (it starts the sink in another JVM with the same class path).
# Build first, from the repository root:  mvn -B -o -pl benchmarks package -DskipTests
# (that compiles the harness and writes target/classpath.txt). Usage: benchmarks/run.sh [options]
# JAVA_OPTS overrides the harness JVM options (default -Xms1g -Xmx1g); MAIN picks another main class.
# PRODUCER_JARS=dir runs with the producer and aggregation-format jars found in dir instead of the built ones
# (to compare two versions back to back under the same conditions: copy each version's jars to its own dir).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -f "$here/target/classpath.txt" || ! -d "$here/target/classes" ]]; then
  echo "build first: (cd $here/.. && mvn -B -o -pl benchmarks package -DskipTests)" >&2
  exit 1
fi
classpath="$(cat "$here/target/classpath.txt")"
if [[ -n "${PRODUCER_JARS:-}" ]]; then
  jars=("$PRODUCER_JARS"/purekinesis-producer-*.jar "$PRODUCER_JARS"/purekinesis-aggregation-format-*.jar)
  for jar in "${jars[@]}"; do
    [[ -f "$jar" ]] || { echo "PRODUCER_JARS: no $jar" >&2; exit 1; }
  done
  others="$(tr ':' '\n' <<<"$classpath" | grep -v -e '/purekinesis-producer-' -e '/purekinesis-aggregation-format-' \
    | paste -sd: -)"
  classpath="$(IFS=:; echo "${jars[*]}"):$others"
fi
exec java ${JAVA_OPTS:--Xms1g -Xmx1g} -cp "$here/target/classes:$classpath" \
  "${MAIN:-io.purekinesis.benchmarks.ProducerBenchmark}" "$@"
