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

    public static void main(String[] args) throws InterruptedException {
        LocalDynamoDb dynamo = LocalDynamoDb.start();
        System.out.println("DYNAMODB " + dynamo.endpoint() + " " + ProcessHandle.current().pid());
        System.out.flush();
        Thread.sleep(Long.MAX_VALUE);
    }
}
