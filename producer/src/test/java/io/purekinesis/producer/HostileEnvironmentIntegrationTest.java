package io.purekinesis.producer;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.aggregation.AggregateDecoder;
import io.purekinesis.aggregation.DecodedRecord;
import io.purekinesis.producer.internal.LibraryApiName;
import io.purekinesis.testkit.Await;
import io.purekinesis.testkit.LocalEndpointsExtension;
import io.purekinesis.testkit.LocalKinesis;
import io.purekinesis.testkit.Streams;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * The producer against the local emulator in the environments users get wrong: no credentials, a wrong endpoint,
 * a stream named by name and by ARN (and by another account's ARN), a stream deleted while producing, a stream
 * still being created. Also checks that every request names the library in its User-Agent.
 */
@ExtendWith(LocalEndpointsExtension.class)
@Timeout(180)
class HostileEnvironmentIntegrationTest {

    private final List<String> streams = new ArrayList<>();
    private final List<FailedRecord> deadLetters = new CopyOnWriteArrayList<>();

    @AfterEach
    void deleteStreams(KinesisAsyncClient kinesis) {
        for (String stream : streams) {
            try {
                Streams.deleteStream(kinesis, stream);
            } catch (RuntimeException e) {
                // already deleted by the test
            }
        }
    }

    private String createStream(KinesisAsyncClient kinesis, String prefix, int shards) {
        String stream = Streams.uniqueStreamName(prefix);
        Streams.createStream(kinesis, stream, shards);
        streams.add(stream);
        return stream;
    }

    private static RecordFailedException failure(CompletableFuture<?> f) {
        return assertInstanceOf(RecordFailedException.class,
                assertThrows(ExecutionException.class, () -> f.get(60, TimeUnit.SECONDS)).getCause());
    }

    /** Counts calls per operation and keeps each request's User-Agent. */
    private static final class Calls implements ExecutionInterceptor {
        final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
        final List<String> userAgents = new CopyOnWriteArrayList<>();

        @Override
        public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
            executions.computeIfAbsent(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME),
                    k -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            userAgents.add(attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME) + " "
                    + context.httpRequest().firstMatchingHeader("User-Agent").orElse(""));
        }

        int count(String operation) {
            AtomicInteger n = executions.get(operation);
            return n == null ? 0 : n.get();
        }
    }

    @Test
    void missingCredentialsFailTheRecordsAtOnceNamingTheStreamAndTheSetting(LocalKinesis local,
            KinesisAsyncClient admin) throws Exception {
        String stream = createStream(admin, "no-credentials", 1);
        AtomicInteger resolutions = new AtomicInteger();
        // What the default chain does when nothing is configured: every provider fails, the chain says so.
        AwsCredentialsProviderChain nothingConfigured = AwsCredentialsProviderChain.builder()
                .reuseLastProviderEnabled(false).credentialsProviders(() -> {
                    resolutions.incrementAndGet();
                    throw SdkClientException.create("Unable to load credentials from system settings. Access key "
                            + "must be specified either via environment variable (AWS_ACCESS_KEY_ID) or system "
                            + "property (aws.accessKeyId).");
                }).build();
        try (KinesisAsyncClient client = local.asyncClientBuilder().credentialsProvider(nothingConfigured).build();
                KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(client)
                        .recordTtl(Duration.ofMinutes(10)).deadLetterHandler(deadLetters::add).build())) {
            RecordFailedException e = failure(producer.add(stream, "k", new byte[] {1}));
            assertEquals(FailureReason.NOT_AUTHORIZED, e.reason());
            assertTrue(e.errorMessage().contains("no AWS credentials could be loaded for ListShards on stream '"
                    + stream + "'"), e.errorMessage());
            assertTrue(e.errorMessage().contains("ProducerConfig.credentialsProvider"), e.errorMessage());
            assertEquals(1, resolutions.get(), "one ListShards, not retried");
            assertTrue(producer.flushSync(Await.DEADLINE));
            assertEquals(1, deadLetters.size());
            assertEquals(FailureReason.NOT_AUTHORIZED, deadLetters.get(0).reason());
        }
    }

    @Test
    void aWrongEndpointFailsTheRecordsWithTheConnectionErrorNotWithoutACause(LocalKinesis local) throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort();
        }
        try (KinesisAsyncClient client = local.asyncClientBuilder()
                .endpointOverride(URI.create("http://127.0.0.1:" + closedPort)).build();
                // The TTL leaves a busy machine time for a first ListShards to fail before the record expires.
                KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(client)
                        .recordTtl(Duration.ofSeconds(10)).requestTimeout(Duration.ofSeconds(1))
                        .deadLetterHandler(deadLetters::add).build())) {
            RecordFailedException e = failure(producer.add("anywhere", "k", new byte[] {1}));
            assertEquals(FailureReason.TTL_EXPIRED, e.reason());
            assertNotNull(e.errorCode(), "the last shard-map error's code");
            assertTrue(e.errorMessage().contains("last ListShards error"), e.errorMessage());
            assertNotNull(e.getCause(), "the last shard-map error");
            assertTrue(producer.flushSync(Await.DEADLINE));
            assertEquals(e.errorCode(), deadLetters.get(0).lastErrorCode());
            assertEquals(e.errorMessage(), deadLetters.get(0).lastErrorMessage());
        }
    }

    @Test
    void anUntrustedTlsCertificateFailsTheRecordsWithTheHandshakeError(LocalKinesis local) throws Exception {
        // The emulator's TLS endpoint has a self-signed certificate: the default trust store refuses it.
        try (KinesisAsyncClient client = local.asyncClientBuilder().endpointOverride(local.tlsEndpoint()).build();
                // The TTL leaves a busy machine time for a first TLS handshake to fail before the record expires.
                KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(client)
                        .recordTtl(Duration.ofSeconds(10)).requestTimeout(Duration.ofSeconds(1))
                        .deadLetterHandler(deadLetters::add).build())) {
            RecordFailedException e = failure(producer.add("anywhere", "k", new byte[] {1}));
            assertEquals(FailureReason.TTL_EXPIRED, e.reason());
            assertTrue(e.errorMessage().contains("last ListShards error"), e.errorMessage());
            Throwable root = e;
            StringBuilder chain = new StringBuilder();
            for (Throwable c = e; c != null; c = c.getCause()) {
                chain.append(c).append(" / ");
                root = c;
            }
            assertTrue(chain.toString().toLowerCase(java.util.Locale.ROOT).matches(".*(ssl|certificate|pkix).*"),
                    "the handshake failure is in the cause chain: " + chain + " (root " + root + ")");
        }
    }

    @Test
    void aNameAndAnArnOfOneStreamShareOnePipelineAnotherAccountsArnIsRefused(LocalKinesis local,
            KinesisAsyncClient admin) throws Exception {
        String stream = createStream(admin, "name-and-arn", 2);
        String arn = admin.describeStreamSummary(b -> b.streamName(stream)).join().streamDescriptionSummary()
                .streamARN();
        Calls calls = new Calls();
        List<CompletableFuture<RecordResult>> futures = new ArrayList<>();
        try (KinesisAsyncClient client = local.asyncClientBuilder()
                .overrideConfiguration(o -> o.addExecutionInterceptor(calls)).build();
                KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(client)
                        .recordMaxBufferedTime(Duration.ofMillis(20)).deadLetterHandler(deadLetters::add)
                        .build())) {
            for (int i = 0; i < 400; i++) {
                futures.add(producer.add(i % 2 == 0 ? stream : arn, "key-" + (i % 4),
                        String.format("%04d", i).getBytes(UTF_8)));
            }
            for (CompletableFuture<RecordResult> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertEquals(1, producer.streams().pipelines().size());
            String foreign = arn.replaceFirst(":\\d{12}:", ":111111111111:");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> producer.add(foreign, "k", new byte[] {1}));
            assertTrue(e.getMessage().contains("another account") && e.getMessage().contains(arn), e.getMessage());
        }
        assertEquals(1, calls.count("DescribeStreamSummary"), "the ARN verified once");
        int[] last = {-1, -1, -1, -1};
        int seen = 0;
        for (Streams.ShardRecord s : Streams.readAll(admin, stream, Duration.ofSeconds(60))) {
            for (DecodedRecord d : AggregateDecoder.decode(s.data(), s.partitionKey(), null)) {
                int i = Integer.parseInt(new String(d.data(), UTF_8));
                assertTrue(i > last[i % 4], "per-key order across spellings: " + i + " after " + last[i % 4]);
                last[i % 4] = i;
                seen++;
            }
        }
        assertEquals(400, seen);
        for (String ua : calls.userAgents) {
            assertTrue(ua.contains(LibraryApiName.NAME + "/" + LibraryApiName.VERSION), ua);
        }
        assertTrue(calls.userAgents.size() >= 3);
    }

    @Test
    void aStreamDeletedWhileProducingFailsItsRecordsAsNotFound(KinesisAsyncClient admin) throws Exception {
        String stream = createStream(admin, "deleted", 1);
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(admin)
                .recordMaxBufferedTime(Duration.ofMillis(10)).deadLetterHandler(deadLetters::add).build())) {
            producer.add(stream, "k", new byte[] {1}).get(60, TimeUnit.SECONDS);
            Streams.deleteStream(admin, stream);
            RecordFailedException e = failure(producer.add(stream, "k", new byte[] {2}));
            assertEquals(FailureReason.STREAM_NOT_FOUND, e.reason());
            assertEquals(FailureReason.STREAM_NOT_FOUND, failure(producer.add(stream, "k", new byte[] {3})).reason());
        }
    }

    @Test
    void recordsAddedWhileTheStreamIsStillBeingCreatedAreStored(KinesisAsyncClient admin) throws Exception {
        String stream = Streams.uniqueStreamName("creating");
        streams.add(stream);
        admin.createStream(b -> b.streamName(stream).shardCount(1)).join();
        try (KinesisProducer producer = KinesisProducer.create(ProducerConfig.builder().kinesisClient(admin)
                .recordMaxBufferedTime(Duration.ofMillis(10)).deadLetterHandler(deadLetters::add).build())) {
            RecordResult r = producer.add(stream, "k", new byte[] {1}).get(60, TimeUnit.SECONDS);
            assertNotNull(r.sequenceNumber());
        }
    }
}
