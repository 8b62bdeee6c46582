package io.purekinesis.benchmarks;

import io.purekinesis.testkit.LocalDynamoDb;

/**
 * DynamoDB Local (testkit) alone in a JVM, for {@link ConsumerRace} and the fleet simulation ({@link DynamoDbEndpoint}):
 * a drain child then measures its own CPU without the emulator's, as against the remote DynamoDB of production, and reads this process's CPU separately. Prints
 * {@code DYNAMODB endpoint pid} when it serves, then runs until killed.
 */
public final class LocalDynamoDbProcess {

    /** How the line it prints once it serves begins: {@code DYNAMODB endpoint pid}. */
    static final String READY = "DYNAMODB ";

    private LocalDynamoDbProcess() {
    }

    /** The endpoint and the pid of a {@link #READY} line. */
    static String[] endpointAndPid(String readyLine) {
        String[] w = readyLine.trim().split("\\s+");
        return new String[] {w[1], w[2]};
    }

    /** @param args {@code --exit-on-stdin-eof}: end when the parent closes (or dies and so closes) stdin */
    public static void main(String[] args) throws Exception {
        LocalDynamoDb dynamo = LocalDynamoDb.start();
        System.out.println(READY + dynamo.endpoint() + " " + ProcessHandle.current().pid());
        System.out.flush();
        if (java.util.List.of(args).contains("--exit-on-stdin-eof")) {
            // a parent killed with SIGKILL runs no shutdown hook: its end is seen as EOF here, not as an orphan
            while (System.in.read() >= 0) {
                // nothing is sent; read until EOF
            }
            System.exit(0);
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
