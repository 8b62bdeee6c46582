package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Partition keys must be valid Unicode: an unpaired surrogate would be stored as '?'. */
@Timeout(90)
class PartitionKeyTest {

    private final FakeKinesisClient fake = FakeKinesisClient.withShards(1);
    private final KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
            .aggregationEnabled(false).recordMaxBufferedTime(Duration.ofMillis(1)).build());

    @AfterEach
    void close() {
        producer.close(Duration.ofSeconds(2));
    }

    @Test
    void anUnpairedSurrogateIsRefusedAtAddNamingItsIndex() {
        String[] keys = {"ab\uD83D", "ab\uDE00cd", "\uDE00\uD83D", "x\uD83Dy", "\uD83D\uDE00\uD83D"};
        int[] indexes = {2, 2, 0, 1, 2};
        for (int i = 0; i < keys.length; i++) {
            String key = keys[i];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> producer.add("s", key, new byte[] {1}));
            assertTrue(e.getMessage().contains("unpaired surrogate"), e.getMessage());
            assertTrue(e.getMessage().contains("at index " + indexes[i] + " "), e.getMessage());
        }
        assertEquals(0, producer.outstandingRecords());
    }

    @Test
    void pairedSurrogatesAndOtherNonAsciiKeysAreStoredAsGiven() throws Exception {
        String key = "k\u00e9\u20ac\uD83D\uDE00";
        Await.get(producer.add("s", key, new byte[] {1}));
        assertEquals(key, fake.stored().get(0).partitionKey());
        assertEquals(1 + 2 + 3 + 4, key.getBytes(StandardCharsets.UTF_8).length);
    }
}
