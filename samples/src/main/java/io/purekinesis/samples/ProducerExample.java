package io.purekinesis.samples;

import io.purekinesis.producer.FailedRecord;
import io.purekinesis.producer.KinesisProducer;
import io.purekinesis.producer.ProducerConfig;
import io.purekinesis.producer.RecordResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.regions.Region;

/** The producer example of the README, compiled; {@code ReadmeSnippetsTest} keeps the README's copy identical. */
public final class ProducerExample {

    private ProducerExample() {
    }

    public static void main(String[] args) {
        // README-SNIPPET-START producer
        KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder()
                .region(Region.US_EAST_1)              // credentials: the SDK's default chain
                .build());
        byte[] data = "{\"order\":42}".getBytes(StandardCharsets.UTF_8);
        CompletableFuture<RecordResult> future = producer.add("my-stream", "customer-7", data);
        future.whenComplete((result, error) -> {
            if (error != null) {                       // also handed to the dead-letter handler
                System.err.println("not stored: " + error.getMessage());
            } else {
                System.out.println("stored in " + result.shardId() + " at " + result.sequenceNumber());
            }
        });
        // close() sends what is still buffered and waits for it, at most 30 s here
        List<FailedRecord> undelivered = producer.close(Duration.ofSeconds(30));
        System.out.println(undelivered.size() + " records undelivered");
        // README-SNIPPET-END producer
    }
}
