#!/usr/bin/env bash
# Same-run race of this consumer against KCL 3.5.1 (io.purekinesis.benchmarks.ConsumerRace, issue 16): drain of a
# pre-filled GetRecordsSource stream (aggregated and plain), start-up to first record, takeover after kill -9; each
# run in its own child JVM, libraries alternating. Build first, from the repository root:
#   mvn -B -q -o -pl benchmarks -am package -DskipTests
# Options are passed through (see ConsumerRace's Javadoc or benchmarks/README.md), e.g.
#   benchmarks/run-consumer-race.sh --rounds 3 --window-s 30
# JAVA_OPTS sets the parent JVM's options (sources and, for takeover, DynamoDB Local run there); the children's are
# --child-opts (default "-Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn", the same for both libraries).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -f "$here/target/classpath-full.txt" || ! -d "$here/target/classes" ]]; then
  echo "build first: (cd $here/.. && mvn -B -q -o -pl benchmarks -am package -DskipTests)" >&2
  exit 1
fi
exec java ${JAVA_OPTS:--Xmx1g -Dorg.slf4j.simpleLogger.defaultLogLevel=warn} \
  -cp "$here/target/classes:$(cat "$here/target/classpath-full.txt")" \
  io.purekinesis.benchmarks.ConsumerRace --logs "$here/target/consumer-race" "$@"
