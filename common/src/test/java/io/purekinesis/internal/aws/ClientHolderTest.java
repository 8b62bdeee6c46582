package io.purekinesis.internal.aws;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.testkit.FakeKinesisClient;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

class ClientHolderTest {

    @Test
    void closesOnlyWhatItOwns() {
        FakeKinesisClient shared = FakeKinesisClient.withShards(1);
        ClientHolder<KinesisAsyncClient> sharedHolder = ClientHolder.shared(shared);
        assertSame(shared, sharedHolder.client());
        sharedHolder.close();
        assertFalse(shared.isClosed());

        FakeKinesisClient owned = FakeKinesisClient.withShards(1);
        ClientHolder<KinesisAsyncClient> ownedHolder = ClientHolder.owned(owned);
        assertSame(owned, ownedHolder.client());
        ownedHolder.close();
        assertTrue(owned.isClosed());
    }
}
