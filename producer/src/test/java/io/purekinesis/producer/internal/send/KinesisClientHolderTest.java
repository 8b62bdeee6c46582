package io.purekinesis.producer.internal.send;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.FakeKinesisClient;
import org.junit.jupiter.api.Test;

class KinesisClientHolderTest {

    @Test
    void closesOnlyWhatItOwns() {
        FakeKinesisClient shared = FakeKinesisClient.withShards(1);
        KinesisClientHolder sharedHolder = KinesisClientHolder.shared(shared);
        assertSame(shared, sharedHolder.client());
        sharedHolder.close();
        assertFalse(shared.isClosed());

        FakeKinesisClient owned = FakeKinesisClient.withShards(1);
        KinesisClientHolder.owned(owned).close();
        assertTrue(owned.isClosed());
    }
}
