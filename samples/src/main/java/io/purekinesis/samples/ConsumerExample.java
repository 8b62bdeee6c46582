package io.purekinesis.samples;

import io.purekinesis.consumer.Checkpointer;
import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.InitialPosition;
import io.purekinesis.consumer.InitializationInput;
import io.purekinesis.consumer.KinesisConsumer;
import io.purekinesis.consumer.KinesisUserRecord;
import io.purekinesis.consumer.ProcessRecordsInput;
import io.purekinesis.consumer.RecordProcessor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import software.amazon.awssdk.regions.Region;

/** The consumer example of the README, compiled; {@code ReadmeSnippetsTest} keeps the README's copy identical. */
public final class ConsumerExample {

    private ConsumerExample() {
    }

    // README-SNIPPET-START consumer
    static final class PrintingProcessor implements RecordProcessor {
        public void initialize(InitializationInput input) {
        }

        public void processRecords(ProcessRecordsInput input) {
            for (KinesisUserRecord record : input.records()) {
                System.out.println(record.partitionKey() + ": " + StandardCharsets.UTF_8.decode(record.data()));
            }
            input.checkpointer().checkpoint();          // this shard is done up to the last record delivered
        }

        public void leaseLost() {                       // another worker has the shard now
        }

        public void shardEnded(Checkpointer checkpointer) {
            checkpointer.checkpoint();                  // required: the shard's children start after this
        }

        public void shutdownRequested(Checkpointer checkpointer) {
            checkpointer.checkpoint();                  // the next owner continues from here, no duplicates
        }
    }

    public static void main(String[] args) throws IOException {
        KinesisConsumer consumer = new KinesisConsumer(ConsumerConfig.builder()
                .applicationName("my-app")                  // also the name of the DynamoDB lease table
                .streamName("my-stream")
                .region(Region.US_EAST_1)
                .initialPosition(InitialPosition.trimHorizon())
                .build(), PrintingProcessor::new);
        consumer.start();
        System.in.read();                               // consume until Enter is pressed
        consumer.shutdown().join();                     // shutdownRequested everywhere, then leases released
    }
    // README-SNIPPET-END consumer
}
