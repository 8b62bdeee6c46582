package io.purekinesis.producer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.producer.internal.LibraryApiName;
import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.FakeKinesisClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.core.ApiName;

/** Every request the producer makes names the library (SDK ApiName), also on a client the user supplied. */
@Timeout(90)
class ApiNameTest {

    @Test
    void everyRequestCarriesTheLibrarysApiNameWithItsVersion() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(3);
        fake.listShardsPageSize(1); // ListShards with NextToken too
        fake.thenFailEntries("ProvisionedThroughputExceededException", 0); // a retried PutRecords too
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(fake)
                .retryBaseDelay(Duration.ofMillis(1)).retryMaxDelay(Duration.ofMillis(2)).build())) {
            Await.get(producer.add("s", "k", new byte[] {1}));
        }
        List<AwsRequest> requests = new ArrayList<>(fake.listShardsRequests());
        requests.addAll(fake.putRequests());
        assertEquals(3, fake.listShardsRequests().size());
        assertEquals(2, fake.putRequests().size());
        for (AwsRequest r : requests) {
            List<ApiName> names = r.overrideConfiguration().orElseThrow().apiNames();
            assertEquals(1, names.size(), r.toString());
            assertEquals("purekinesis-producer", names.get(0).name());
            assertEquals(LibraryApiName.VERSION, names.get(0).version());
        }
        assertFalse(LibraryApiName.VERSION.equals("unknown"), "the build filled in the version");
        assertTrue(LibraryApiName.VERSION.matches("\\d+\\.\\d+\\.\\d+.*"), LibraryApiName.VERSION);
    }
}
