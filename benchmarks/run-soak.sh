#!/usr/bin/env bash
# Soak (not CI): runs io.purekinesis.benchmarks.SoakBenchmark, the chaos workload for N minutes under a fault mix,
# with the producer in this JVM and each consumer worker in a child JVM; prints the heap after GC of each over time
# and a reconciliation (RECONCILIATION ... missing=0 ...) at the end; exits 1 if anything acknowledged was lost.
# Build first, from the repository root:  mvn -B -o -pl benchmarks -am package -DskipTests
# (writes target/classpath-full.txt, which includes testkit: the Kinesis emulator and DynamoDB Local).
# Usage: benchmarks/run-soak.sh [--minutes 5] [--rate 300] [--workers 2] [--shards 4] [--keys 200]
#        [--record-size 200] [--sample-seconds 30]
# JAVA_OPTS overrides the producer JVM's options (default -Xmx512m). If a kinesis-local main.js is already installed,
# pass it with JAVA_OPTS="... -Dpurekinesis.kinesisLocal.main=<path>/main.js" (else testkit installs it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -f "$here/target/classpath-full.txt" || ! -d "$here/target/classes" ]]; then
  echo "build first: (cd $here/.. && mvn -B -o -pl benchmarks -am package -DskipTests)" >&2
  exit 1
fi
cd "$here"
exec java ${JAVA_OPTS:--Xmx512m} -Daws.cborEnabled=false -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$here/target/classes:$(cat "$here/target/classpath-full.txt")" \
  io.purekinesis.benchmarks.SoakBenchmark "$@"
