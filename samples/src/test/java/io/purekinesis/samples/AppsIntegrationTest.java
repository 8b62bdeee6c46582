package io.purekinesis.samples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.LocalEndpoints;
import io.purekinesis.testkit.Streams;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** ProducerApp fills a local stream through its --endpoint flag; ConsumerApp reads all of it back. */
class AppsIntegrationTest {

    @Test
    @Timeout(90)
    void producerAppThenConsumerApp() throws Exception {
        LocalEndpoints endpoints = LocalEndpoints.shared();
        String stream = Streams.uniqueStreamName("apps");
        Streams.createStream(endpoints.kinesisAsyncClient(), stream, 2);
        String kinesis = endpoints.kinesis().endpoint().toString();
        String dynamoDb = endpoints.dynamoDb().endpoint().toString();

        ByteArrayOutputStream producerOut = new ByteArrayOutputStream();
        boolean allStored = ProducerApp.run(ProducerApp.Options.parse(new String[] {"--stream", stream,
                "--endpoint", kinesis, "--rate", "1000", "--record-size", "200", "--records", "1500"}),
                new PrintStream(producerOut, true, StandardCharsets.UTF_8));
        String produced = producerOut.toString(StandardCharsets.UTF_8);
        System.out.print(produced);
        assertTrue(allStored, produced);
        assertTrue(produced.contains("producer closed: 1500 added, 1500 stored, 0 failed, 0 undelivered"),
                produced);

        ByteArrayOutputStream consumerOut = new ByteArrayOutputStream();
        long processed = ConsumerApp.run(ConsumerApp.Options.parse(new String[] {"--stream", stream,
                "--application-name", Streams.uniqueStreamName("apps-reader"), "--endpoint", kinesis,
                "--dynamodb-endpoint", dynamoDb, "--initial-position", "trim-horizon", "--records", "1500"}),
                new PrintStream(consumerOut, true, StandardCharsets.UTF_8));
        String consumed = consumerOut.toString(StandardCharsets.UTF_8);
        System.out.print(consumed);
        assertEquals(1500, processed, consumed);
        assertTrue(consumed.contains("consumer stopped: 1500 records processed"), consumed);
    }

    @Test
    @Timeout(90)
    void consumerAppReadsSeveralStreamsInMultiStreamMode() throws Exception {
        LocalEndpoints endpoints = LocalEndpoints.shared();
        String first = Streams.uniqueStreamName("apps-a");
        String second = Streams.uniqueStreamName("apps-b");
        Streams.createStream(endpoints.kinesisAsyncClient(), first, 1);
        Streams.createStream(endpoints.kinesisAsyncClient(), second, 2);
        String kinesis = endpoints.kinesis().endpoint().toString();
        String dynamoDb = endpoints.dynamoDb().endpoint().toString();
        for (String[] stream : new String[][] {{first, "300"}, {second, "500"}}) {
            ByteArrayOutputStream producerOut = new ByteArrayOutputStream();
            assertTrue(ProducerApp.run(ProducerApp.Options.parse(new String[] {"--stream", stream[0], "--endpoint",
                    kinesis, "--rate", "1000", "--record-size", "100", "--records", stream[1]}),
                    new PrintStream(producerOut, true, StandardCharsets.UTF_8)), producerOut.toString());
        }

        ByteArrayOutputStream consumerOut = new ByteArrayOutputStream();
        long processed = ConsumerApp.run(ConsumerApp.Options.parse(new String[] {"--streams", first + "," + second,
                "--application-name", Streams.uniqueStreamName("apps-multi"), "--endpoint", kinesis,
                "--dynamodb-endpoint", dynamoDb, "--initial-position", "trim-horizon", "--records", "800"}),
                new PrintStream(consumerOut, true, StandardCharsets.UTF_8));
        String consumed = consumerOut.toString(StandardCharsets.UTF_8);
        System.out.print(consumed);
        assertEquals(800, processed, consumed);
        assertTrue(consumed.contains("(multi-stream mode)"), consumed);
        assertTrue(consumed.contains("consumer stopped: 800 records processed"), consumed);
    }
}
