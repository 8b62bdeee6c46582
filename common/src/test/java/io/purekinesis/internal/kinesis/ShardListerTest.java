package io.purekinesis.internal.kinesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.purekinesis.testkit.FakeKinesisClient;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ApiName;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.Shard;

class ShardListerTest {

    private static final ApiName TAG = ApiName.builder().name("purekinesis-test").version("1").build();

    @Test
    void followsPagesAndSendsOnlyTheTokenThePageSizeAndTheTagAfterTheFirst() throws Exception {
        FakeKinesisClient fake = FakeKinesisClient.withShards(7);
        fake.split("shardId-000000000003", "child-a", "child-b");
        fake.listShardsPageSize(3);
        ListShardsRequest first = ListShardsRequest.builder().streamName("s").maxResults(3)
                .overrideConfiguration(o -> o.addApiName(TAG)).build();
        List<Shard> shards = ShardLister.listAll(first, fake::listShards).get(30, TimeUnit.SECONDS);
        assertEquals(fake.shards(), shards, "7 shards, one closed, two children, in order");
        List<ListShardsRequest> requests = fake.listShardsRequests();
        assertEquals(3, requests.size());
        assertSame(first, requests.get(0));
        for (ListShardsRequest next : requests.subList(1, 3)) {
            assertNull(next.streamName());
            assertNull(next.streamARN());
            assertEquals(3, next.maxResults());
            assertEquals(List.of(TAG), next.overrideConfiguration().orElseThrow().apiNames());
        }
        assertEquals("3", requests.get(1).nextToken());
        assertEquals("6", requests.get(2).nextToken());
    }

    @Test
    void aFailedPageFailsTheListingWithItsCause() {
        AwsServiceException throttled = FakeKinesisClient.serviceError("LimitExceededException", 400);
        FakeKinesisClient fake = FakeKinesisClient.withShards(4);
        fake.listShardsPageSize(2);
        CompletableFuture<List<Shard>> listed = ShardLister.listAll(
                ListShardsRequest.builder().streamName("s").build(),
                r -> r.nextToken() == null ? fake.listShards(r) : CompletableFuture.failedFuture(throttled));
        ExecutionException e = assertThrows(ExecutionException.class, () -> listed.get(30, TimeUnit.SECONDS));
        assertSame(throttled, e.getCause());
    }

    @Test
    void aSenderThatThrowsFailsTheFutureInstead() {
        IllegalStateException thrown = new IllegalStateException("client closed");
        CompletableFuture<List<Shard>> listed = ShardLister.listAll(ListShardsRequest.builder().streamName("s")
                .build(), r -> {
                    throw thrown;
                });
        CompletionException e = assertThrows(CompletionException.class, listed::join);
        assertSame(thrown, e.getCause());
    }

    @Test
    void anEmptyTokenEndsTheListing() {
        Shard only = FakeKinesisClient.withShards(1).shards().get(0);
        List<Shard> shards = ShardLister.listAll(ListShardsRequest.builder().streamName("s").build(),
                r -> CompletableFuture.completedFuture(ListShardsResponse.builder().shards(only).nextToken("")
                        .build())).join();
        assertEquals(List.of(only), shards);
    }
}
