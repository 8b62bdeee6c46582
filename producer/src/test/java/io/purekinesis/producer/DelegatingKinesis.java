package io.purekinesis.producer;

import io.purekinesis.testkit.FakeKinesisClient;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisServiceClientConfiguration;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryRequest;
import software.amazon.awssdk.services.kinesis.model.DescribeStreamSummaryResponse;
import software.amazon.awssdk.services.kinesis.model.ListShardsRequest;
import software.amazon.awssdk.services.kinesis.model.ListShardsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;

/** A fake Kinesis that tests override call by call. */
class DelegatingKinesis implements KinesisAsyncClient {

    private final FakeKinesisClient fake;

    DelegatingKinesis(FakeKinesisClient fake) {
        this.fake = fake;
    }

    @Override
    public CompletableFuture<ListShardsResponse> listShards(ListShardsRequest request) {
        return fake.listShards(request);
    }

    @Override
    public CompletableFuture<PutRecordsResponse> putRecords(PutRecordsRequest request) {
        return fake.putRecords(request);
    }

    @Override
    public CompletableFuture<DescribeStreamSummaryResponse> describeStreamSummary(
            DescribeStreamSummaryRequest request) {
        return fake.describeStreamSummary(request);
    }

    @Override
    public KinesisServiceClientConfiguration serviceClientConfiguration() {
        return fake.serviceClientConfiguration();
    }

    @Override
    public String serviceName() {
        return "kinesis";
    }

    @Override
    public void close() {
    }
}
