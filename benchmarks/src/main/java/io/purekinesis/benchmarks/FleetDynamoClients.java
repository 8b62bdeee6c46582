package io.purekinesis.benchmarks;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.nio.netty.NettyNioAsyncHttpClient;
import software.amazon.awssdk.http.nio.netty.SdkEventLoopGroup;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;

/**
 * The simulated workers' DynamoDB clients, every one metered by the same {@link CapacityMeter}.
 * <ul>
 *   <li>{@code shared}: one client and connection pool for all workers, so 100 workers are not 100 pools against one
 *       DynamoDB Local; but then a worker's heartbeat queues behind every other worker's calls.</li>
 *   <li>{@code per-worker}: each worker its own client and pool, as in production (one process per worker), on one
 *       shared event loop group so that 100 clients are not 100 sets of I/O threads in one JVM.</li>
 * </ul>
 * Acquire timeouts are long: DynamoDB Local serves a few hundred writes a second, and a start-up storm that DynamoDB
 * would absorb in milliseconds must queue here instead of failing.
 */
final class FleetDynamoClients implements AutoCloseable {

    private final URI endpoint;
    private final CapacityMeter meter;
    private final boolean perWorker;
    private final int connections;
    private final SdkEventLoopGroup loops;
    private final List<DynamoDbAsyncClient> built = new ArrayList<>();
    private DynamoDbAsyncClient shared;

    /**
     * @param mode {@code shared} or {@code per-worker}
     * @param connections the pool size: of the one client, or of each worker's
     */
    FleetDynamoClients(URI endpoint, CapacityMeter meter, String mode, int connections) {
        this.endpoint = endpoint;
        this.meter = meter;
        this.perWorker = switch (mode) {
            case "shared" -> false;
            case "per-worker" -> true;
            default -> throw new IllegalArgumentException("--dynamodb-clients: shared or per-worker, not " + mode);
        };
        this.connections = connections;
        this.loops = perWorker ? SdkEventLoopGroup.builder().numberOfThreads(4).build() : null;
    }

    /** The client for the next worker. */
    synchronized DynamoDbAsyncClient next() {
        if (!perWorker) {
            if (shared == null) {
                shared = build();
            }
            return shared;
        }
        return build();
    }

    private DynamoDbAsyncClient build() {
        NettyNioAsyncHttpClient.Builder http = NettyNioAsyncHttpClient.builder().maxConcurrency(connections)
                .maxPendingConnectionAcquires(1_000_000).connectionAcquisitionTimeout(Duration.ofMinutes(5));
        if (loops != null) {
            http.eventLoopGroup(loops);
        }
        DynamoDbAsyncClient client = DynamoDbAsyncClient.builder().endpointOverride(endpoint).region(Region.US_EAST_1)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("dummy", "dummy")))
                .httpClientBuilder(http).overrideConfiguration(o -> o.addExecutionInterceptor(meter)).build();
        built.add(client);
        return client;
    }

    @Override
    public synchronized void close() {
        built.forEach(DynamoDbAsyncClient::close);
        if (loops != null) {
            loops.eventLoopGroup().shutdownGracefully();
        }
    }

    @Override
    public String toString() {
        return perWorker ? "one DynamoDB client per worker, " + connections + " connections each"
                : "one DynamoDB client for all workers, " + connections + " connections";
    }
}
