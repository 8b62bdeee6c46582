#!/usr/bin/env bash
# Runs the consumer benchmark (io.purekinesis.benchmarks.ConsumerBenchmark) in its own JVM. Like run.sh, but on the
# full class path (target/classpath-full.txt, with testkit: DynamoDB Local for the lease table, the Kinesis emulator
# for --failover). Build first, from the repository root:  mvn -B -o -pl benchmarks package -DskipTests
# JAVA_OPTS overrides the harness JVM options (default -Xms1g -Xmx1g). If a kinesis-local main.js is already
# installed, pass it with JAVA_OPTS="... -Dpurekinesis.kinesisLocal.main=<path>/main.js" (else testkit installs it).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -f "$here/target/classpath-full.txt" || ! -d "$here/target/classes" ]]; then
  echo "build first: (cd $here/.. && mvn -B -o -pl benchmarks package -DskipTests)" >&2
  exit 1
fi
exec java ${JAVA_OPTS:--Xms1g -Xmx1g} -cp "$here/target/classes:$(cat "$here/target/classpath-full.txt")" \
  io.purekinesis.benchmarks.ConsumerBenchmark "$@"
