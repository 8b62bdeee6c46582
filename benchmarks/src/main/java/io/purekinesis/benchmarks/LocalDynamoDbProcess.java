package io.purekinesis.benchmarks;

import io.purekinesis.testkit.LocalDynamoDb;

/**
 * DynamoDB Local (testkit) alone in a JVM, for {@link ConsumerRace}: a drain child then measures its own CPU without
 * the emulator's, as against the remote DynamoDB of production, and reads this process's CPU separately. Prints
 * {@code DYNAMODB endpoint pid} when it serves, then runs until killed.
 */
public final class LocalDynamoDbProcess {

    private LocalDynamoDbProcess() {
    }

    /** @param args {@code --exit-on-stdin-eof}: end when the parent closes (or dies and so closes) stdin */
    public static void main(String[] args) throws Exception {
        LocalDynamoDb dynamo = LocalDynamoDb.start();
        System.out.println("DYNAMODB " + dynamo.endpoint() + " " + ProcessHandle.current().pid());
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
