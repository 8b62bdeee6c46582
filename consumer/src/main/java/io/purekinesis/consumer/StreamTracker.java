package io.purekinesis.consumer;

import java.util.List;

/**
 * The streams a multi-stream application reads now ({@link ConsumerConfig.Builder#streamTracker}). Every worker asks
 * it every {@link ConsumerConfig#streamDiscoveryInterval()}: a stream that appears gets leases (the fleet's leader
 * creates them) and is processed; a stream that disappears is let go by every worker (its processors get
 * {@code shutdownRequested} and may checkpoint), and its lease rows stay in the table, so listing it again resumes
 * from its checkpoints.
 *
 * <p>Called on a consumer thread; it should answer quickly (no remote call per invocation, or a cached one). An
 * exception or a null answer keeps the streams as they were (logged at WARN).
 */
@FunctionalInterface
public interface StreamTracker {

    /** The streams to read now, each by name or by ARN (of the client's account and region); no duplicates. */
    List<String> streams();
}
