package io.purekinesis.producer.internal.send;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.purekinesis.internal.aws.ClientHolder;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.testkit.FakeKinesisClient;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

class KinesisClientsTest {

    @Test
    void aSuppliedClientIsSharedNeverClosedByTheProducer() {
        FakeKinesisClient fake = FakeKinesisClient.withShards(1);
        ClientHolder<KinesisAsyncClient> holder = KinesisClients.forConfig(ProducerConfig.builder()
                .kinesisClient(fake).build());
        assertSame(fake, holder.client());
        holder.close();
        assertFalse(fake.isClosed());
    }

    @Test
    void theRegionIsTheClientsOrNullWhenItCannotTell() {
        assertEquals("us-east-1", KinesisClients.region(FakeKinesisClient.withShards(1)));
        KinesisAsyncClient silent = new KinesisAsyncClient() { // serviceClientConfiguration() throws by default
            @Override
            public String serviceName() {
                return "kinesis";
            }

            @Override
            public void close() {
            }
        };
        assertNull(KinesisClients.region(silent));
    }
}
