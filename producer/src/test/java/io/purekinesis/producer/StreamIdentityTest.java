package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;

/** One pipeline per stream, whatever its spelling: a name and an ARN of the same stream share it. */
@Timeout(60)
class StreamIdentityTest {

    private static final String STREAM = "identity";
    private static final String ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/" + STREAM;
    private KinesisProducer producer;

    @AfterEach
    void close() {
        if (producer != null) {
            producer.close(Duration.ofSeconds(2));
        }
    }

    private KinesisProducer create(FakeKinesisClient fake) {
        return KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .recordMaxBufferedTime(Duration.ofHours(1)).deadLetterHandler(r -> { }).build());
    }

    @Test
    void aNameAndAnArnOfTheSameStreamShareOnePipelineAndKeepPerKeyOrder() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        producer = create(fake);
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            futures.add(producer.add(i % 2 == 0 ? STREAM : ARN, "same-key",
                    ("r" + i).getBytes(StandardCharsets.UTF_8)));
        }
        producer.flush();
        for (CompletableFuture<RecordResult> f : futures) {
            f.get(20, TimeUnit.SECONDS);
        }
        assertEquals(1, fake.putRequests().size(), "one pipeline: one aggregate, one call");
        PutRecordsRequest request = fake.putRequests().get(0);
        assertEquals(STREAM, request.streamName());
        assertNull(request.streamARN());
        List<DecodedRecord> stored = AggregateDecoder.decode(fake.stored().get(0).data(), "a", null);
        for (int i = 0; i < 20; i++) {
            assertEquals("r" + i, new String(stored.get(i).data(), StandardCharsets.UTF_8), "add order");
        }
        assertEquals(1, producer.streams().pipelines().size());
        assertEquals(1, fake.describeRequests().size(), "the ARN is verified once");
        assertEquals(STREAM, fake.describeRequests().get(0).streamName());
    }

    @Test
    void anArnOfAnotherRegionIsRefusedAtAddNamingBothRegions() {
        producer = create(FakeKinesisClient.withShards(1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> producer.add(
                "arn:aws:kinesis:eu-west-1:123456789012:stream/" + STREAM, "k", new byte[] {1}));
        assertTrue(e.getMessage().contains("is in region eu-west-1"), e.getMessage());
        assertTrue(e.getMessage().contains("for region us-east-1"), e.getMessage());
        assertEquals(0, producer.outstandingRecords());
    }

    @Test
    void anArnOfAnotherAccountFailsItsRecordsThenIsRefusedAtAddWhileTheNameWorks() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        producer = create(fake);
        String foreign = "arn:aws:kinesis:us-east-1:999999999999:stream/" + STREAM;
        CompletableFuture<RecordResult> first = producer.add(foreign, "k", new byte[] {1});
        CompletableFuture<RecordResult> byName = producer.add(STREAM, "k", new byte[] {2});
        producer.flush();
        RecordFailedException e = assertInstanceOf(RecordFailedException.class,
                assertThrows(ExecutionException.class, () -> first.get(20, TimeUnit.SECONDS)).getCause());
        assertTrue(e.getMessage().contains(foreign) && e.getMessage().contains(ARN), e.getMessage());
        assertTrue(e.getMessage().contains("another account"), e.getMessage());
        byName.get(20, TimeUnit.SECONDS);
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> producer.add(foreign, "k", new byte[] {3}));
        assertTrue(refused.getMessage().contains("999999999999"), refused.getMessage());
        producer.add(ARN, "k", new byte[] {4});
        producer.flush();
        assertTrue(producer.flushSync(Await.DEADLINE));
        assertEquals(0, producer.outstandingRecords());
    }

    @Test
    void aNameOnlyProducerNeverCallsDescribeStreamSummary() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(2);
        producer = create(fake);
        producer.add(STREAM, "k", new byte[] {1});
        producer.flush();
        assertTrue(producer.flushSync(Await.DEADLINE));
        assertEquals(0, fake.describeRequests().size());
    }
}
