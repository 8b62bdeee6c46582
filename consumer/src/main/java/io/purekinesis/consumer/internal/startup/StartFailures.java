package io.purekinesis.consumer.internal.startup;

import io.purekinesis.consumer.ConsumerConfig;
import io.purekinesis.consumer.KinesisConsumerException;
import io.purekinesis.consumer.internal.Failures;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

/**
 * Words the exception a failed start throws: the consumer, stream and lease table, the failed call and its cause
 * ({@link Failures#describe}), and what to check for a missing stream or an unreachable endpoint.
 */
final class StartFailures {

    private final ConsumerConfig config;
    private final String tableName;
    private final KinesisAsyncClient kinesis;

    StartFailures(ConsumerConfig config, String tableName, KinesisAsyncClient kinesis) {
        this.config = config;
        this.tableName = tableName;
        this.kinesis = kinesis;
    }

    /** The exception for {@code cause}; {@code gaveUp} says how long it was retried, if it was. */
    KinesisConsumerException of(Throwable cause, String gaveUp) {
        if (cause instanceof KinesisConsumerException k) {
            return k; // a LeaseTableException: its message is complete
        }
        StringBuilder m = new StringBuilder("could not start consumer ").append(config.workerId())
                .append(" on ").append(config.describeStreams()).append(" with lease table ")
                .append(tableName).append(": ");
        if (gaveUp != null) {
            m.append(gaveUp).append(": ");
        }
        m.append(Failures.describe(cause));
        Throwable sdk = Failures.sdkCause(cause);
        if (sdk instanceof ResourceNotFoundException) {
            m.append(". Stream ").append(config.streamName()).append(" does not exist ").append(kinesisLocation())
                    .append(": check streamName, and region / kinesisEndpoint (or those of the kinesisClient you "
                            + "pass)");
        } else if (Failures.isConnectionProblem(sdk)) {
            m.append(". Check the endpoints (kinesisEndpoint, dynamoDbEndpoint), the region and the network");
        }
        return new KinesisConsumerException(m.toString(), cause);
    }

    /** "in region R at endpoint E", as far as the Kinesis client says. */
    private String kinesisLocation() {
        try {
            var c = kinesis.serviceClientConfiguration();
            return "in region " + c.region() + c.endpointOverride().map(u -> " at endpoint " + u).orElse("");
        } catch (RuntimeException e) {
            return "in the client's region";
        }
    }
}
