/**
 * Local Kinesis and DynamoDB endpoints for tests and demos.
 *
 * <p>In a JUnit 5 test, take the shared endpoints or their clients as parameters:
 * <pre>{@code
 * @ExtendWith(LocalEndpointsExtension.class)
 * class MyIntegrationTest {
 *     @Test
 *     void roundTrip(KinesisAsyncClient kinesis, DynamoDbAsyncClient dynamoDb) {
 *         String stream = Streams.uniqueStreamName("my-test");
 *         Streams.createStream(kinesis, stream, 2);
 *         ...
 *         List<Streams.ShardRecord> records = Streams.readAll(kinesis, stream);
 *     }
 * }
 * }</pre>
 * Elsewhere (a demo, a test that restarts the emulator), start a private pair:
 * {@code try (LocalEndpoints endpoints = LocalEndpoints.start()) { ... }}, or one endpoint alone with
 * {@link io.purekinesis.testkit.LocalKinesis#builder()} or {@link io.purekinesis.testkit.LocalDynamoDb#builder()}.
 *
 * <p>Needs Node.js 18 or later with npm on the PATH: the pinned emulator (npm {@code kinesis-local}) is installed on
 * first use. Clients built here talk JSON to the emulator, whose CBOR breaks on records over about 8 KB.
 *
 * <p>The emulators never throttle or fail; add a {@link io.purekinesis.testkit.FaultInjector} to a client to get
 * per-record PutRecords failures, throttling, 5xx errors, latency, timeouts and the like.
 *
 * <p>For unit tests that need no endpoint: {@link io.purekinesis.testkit.FakeKinesisClient} (an in-memory, scriptable
 * Kinesis for a producer), {@link io.purekinesis.testkit.ManualClock} (hand it to a configuration's {@code clock} and
 * advance time instead of sleeping) and {@link io.purekinesis.testkit.Await} (wait for an event with a deadline fit
 * for a busy CI machine, never for an amount of time).
 */
package io.purekinesis.testkit;
