#!/usr/bin/env bash
# Same-run comparison of this producer with the real KPL 1.1.1: alternating runs (ours, KPL, ours, KPL, ...), each
# in its own child JVM, against PutRecordsSink over TLS (started once in a third JVM) or --endpoint https://...
# Build first, from the repository root:  mvn -B -q -o -pl benchmarks -am package -DskipTests
# Usage: benchmarks/run-race.sh [options]   (see benchmarks/README.md, "Producer race with KPL")
# JAVA_OPTS: options of the coordinating JVM (default -Xmx256m); --child-jvm-opts sets the children's.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if [[ ! -f "$here/target/classpath-full.txt" || ! -d "$here/target/classes" ]]; then
  echo "build first: (cd $here/.. && mvn -B -q -o -pl benchmarks -am package -DskipTests)" >&2
  exit 1
fi
# The full class path (it has KPL, in provided scope): the same for both libraries' children. Built with -am, it
# names the reactor's own jars in their target/ folders, not ~/.m2.
classpath="$(cat "$here/target/classpath-full.txt")"
exec java ${JAVA_OPTS:--Xmx256m} -cp "$here/target/classes:$classpath" io.purekinesis.benchmarks.ProducerRace "$@"
