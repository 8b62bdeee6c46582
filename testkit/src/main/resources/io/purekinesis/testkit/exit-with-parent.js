// Preloaded with `node --require` by purekinesis-testkit (LocalKinesis).
// The JVM that started this emulator holds the write end of our stdin. If that JVM dies without running its
// shutdown hooks (kill -9, a surefire fork timeout), stdin reaches end-of-file: stop gracefully then, so no
// orphaned emulator keeps its ports and memory. SIGTERM (not process.exit) lets the emulator persist its data.
'use strict';
const stop = () => process.kill(process.pid, 'SIGTERM');
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
