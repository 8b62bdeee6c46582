package io.purekinesis.testkit;

import java.net.SocketException;
import java.nio.ByteBuffer;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.reactivestreams.Publisher;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ClientType;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttribute;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;
import software.amazon.awssdk.http.SdkHttpResponse;
import software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.InternalServerErrorException;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequest;
import software.amazon.awssdk.services.kinesis.model.PutRecordsRequestEntry;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResponse;
import software.amazon.awssdk.services.kinesis.model.PutRecordsResultEntry;

/**
 * Injects the failures AWS produces and the local emulators do not: per-record PutRecords failures, throttling,
 * 500/503 errors, latency, timeouts, connection resets, expired iterators and DynamoDB conditional-check failures.
 * It is an SDK {@link ExecutionInterceptor}, so it fits any SDK v2 client, sync or async:
 * <pre>{@code
 * FaultInjector faults = FaultInjector.builder()
 *         .seed(42)
 *         .failRecords(Fault.RECORD_THROTTLED, 0.3, When.always())     // 30 % of each PutRecords' entries
 *         .fail(Fault.THROTTLING, "GetRecords", When.firstCalls(2))     // the first 2 GetRecords calls
 *         .fail(Fault.INTERNAL_FAILURE, FaultInjector.ANY_OPERATION, When.rate(0.01))
 *         .build();
 * KinesisAsyncClient kinesis = endpoints.kinesisClientBuilder()
 *         .overrideConfiguration(c -> c.addExecutionInterceptor(faults)
 *                 .retryStrategy(AwsRetryStrategy.doNotRetry()))  // optional: see the SDK's retries below
 *         .build();
 * ...
 * System.out.println(faults.injectedCounts());
 * }</pre>
 *
 * <p><b>Plan.</b> The plan is fixed at {@link Builder#build()}; the injector is thread-safe. Each rule names a
 * {@link Fault}, an operation ({@code "PutRecords"}, {@code "GetRecords"}, {@code "UpdateItem"}, ... as the SDK names
 * it, or {@link #ANY_OPERATION}) and a {@link When}. Each rule counts the calls of its operation, from 1; a
 * {@link When} selects calls by those numbers, by time since {@code build()} and/or by a rate. Random choices are
 * derived from the seed, the rule and the call number, so the same seed and the same call order give the same faults,
 * whatever the threads. While {@link #enabled(boolean) disabled}, nothing is injected and calls are not counted.
 *
 * <p><b>Whole-call faults</b> ({@link Fault#THROTTLING}, {@link Fault#INTERNAL_FAILURE},
 * {@link Fault#SERVICE_UNAVAILABLE}, {@link Fault#TIMEOUT}, {@link Fault#CONNECTION_RESET},
 * {@link Fault#EXPIRED_ITERATOR}, {@link Fault#CONDITIONAL_CHECK_FAILED}) are thrown before transmission, so the
 * request never reaches the endpoint, and a call here is one HTTP attempt. The SDK's retry strategy retries the
 * retryable ones (throttling, 5xx, timeouts, resets) as it would on AWS, and each retry is a new call to the rules;
 * tests that want to see the fault itself build the client with
 * {@code overrideConfiguration(c -> c.retryStrategy(AwsRetryStrategy.doNotRetry()))}. {@link Fault#LATENCY} delays
 * the answer: for an async client the response is handed on later by a timer thread, so the caller's thread (for
 * a producer, its one sender loop) is never blocked and other calls go on meanwhile; for a sync client the calling
 * thread sleeps before transmission. Several rules may match a call: all latencies are added, then the first
 * failing rule, in builder order, throws (for an async client a failing call fails at once, without the delay).
 *
 * <p><b>Per-record faults</b> ({@link Fault#RECORD_THROTTLED}, {@link Fault#RECORD_INTERNAL_FAILURE}) apply to
 * PutRecords, once per API call (retries resend the same entries). The chosen entries are removed from the request
 * before it is sent and put back into the response as failed entries (ErrorCode and ErrorMessage, no sequence number
 * or shard), with {@code FailedRecordCount} adjusted. So, as on AWS, an entry reported failed was not stored. If every
 * entry is chosen, the request goes out empty: the emulator accepts that, AWS would not.
 */
public final class FaultInjector implements ExecutionInterceptor {

    /** Operation name matching every operation. */
    public static final String ANY_OPERATION = "*";

    private static final String PUT_RECORDS = "PutRecords";
    private static final String GET_RECORDS = "GetRecords";
    private static final Set<String> CONDITIONAL_WRITES = Set.of("PutItem", "UpdateItem", "DeleteItem");
    private static final String MESSAGE_SUFFIX = " (injected by FaultInjector)";
    private static final AtomicLong INSTANCES = new AtomicLong();

    /** What can be injected; also the keys of the counters. */
    public enum Fault {
        /** PutRecords entries fail with {@code ProvisionedThroughputExceededException}. */
        RECORD_THROTTLED,
        /** PutRecords entries fail with {@code InternalFailure}. */
        RECORD_INTERNAL_FAILURE,
        /** HTTP 400 {@code ProvisionedThroughputExceededException} (Kinesis and DynamoDB), else ThrottlingException. */
        THROTTLING,
        /** HTTP 500: Kinesis {@code InternalFailure}, DynamoDB {@code InternalServerError}. */
        INTERNAL_FAILURE,
        /** HTTP 503 {@code ServiceUnavailable}. */
        SERVICE_UNAVAILABLE,
        /** An {@link SdkClientException} caused by a {@link SocketTimeoutException}, as a read timeout gives. */
        TIMEOUT,
        /** An {@link SdkClientException} caused by {@code SocketException: Connection reset}. */
        CONNECTION_RESET,
        /** Kinesis {@code ExpiredIteratorException} (HTTP 400) on GetRecords. */
        EXPIRED_ITERATOR,
        /** DynamoDB {@code ConditionalCheckFailedException} (HTTP 400) on PutItem, UpdateItem or DeleteItem. */
        CONDITIONAL_CHECK_FAILED,
        /** A delay before the request is sent; not a failure. */
        LATENCY;

        boolean perRecord() {
            return this == RECORD_THROTTLED || this == RECORD_INTERNAL_FAILURE;
        }
    }

    /**
     * Which calls of a rule's operation a fault hits: calls by number (from 1, counted per rule), a time window since
     * {@link Builder#build()}, and a rate (probability per call), all of which must hold. Immutable.
     */
    public static final class When {

        private final long fromCall;
        private final long toCall;
        private final Duration fromTime;
        private final Duration toTime;
        private final double rate;

        private When(long fromCall, long toCall, Duration fromTime, Duration toTime, double rate) {
            this.fromCall = fromCall;
            this.toCall = toCall;
            this.fromTime = fromTime;
            this.toTime = toTime;
            this.rate = rate;
        }

        /** Every call. */
        public static When always() {
            return new When(1, Long.MAX_VALUE, Duration.ZERO, null, 1.0);
        }

        /** Each call with this probability, from 0 to 1. */
        public static When rate(double probability) {
            return always().withRate(probability);
        }

        /** The first {@code n} calls (n &ge; 0). */
        public static When firstCalls(long n) {
            if (n < 0) {
                throw new IllegalArgumentException("n must be at least 0, was " + n);
            }
            return n == 0 ? calls(1, 0) : calls(1, n);
        }

        /** Calls {@code from} to {@code to}, inclusive, counted from 1; {@code to < from} selects none. */
        public static When calls(long from, long to) {
            if (from < 1) {
                throw new IllegalArgumentException("from must be at least 1, was " + from);
            }
            return new When(from, to, Duration.ZERO, null, 1.0);
        }

        /** Calls made from {@code from} until (excluding) {@code until} after {@link Builder#build()}. */
        public static When during(Duration from, Duration until) {
            Objects.requireNonNull(from, "from");
            Objects.requireNonNull(until, "until");
            if (from.isNegative() || until.compareTo(from) < 0) {
                throw new IllegalArgumentException("need 0 <= from <= until, was from " + from + ", until " + until);
            }
            return new When(1, Long.MAX_VALUE, from, until, 1.0);
        }

        /** This selection, each selected call hit with this probability, from 0 to 1. */
        public When withRate(double probability) {
            if (!(probability >= 0 && probability <= 1)) {
                throw new IllegalArgumentException("probability must be in [0, 1], was " + probability);
            }
            return new When(fromCall, toCall, fromTime, toTime, probability);
        }

        boolean selects(long call, Duration sinceBuild) {
            return call >= fromCall && call <= toCall && sinceBuild.compareTo(fromTime) >= 0
                    && (toTime == null || sinceBuild.compareTo(toTime) < 0);
        }

        double rate() {
            return rate;
        }

        @Override
        public String toString() {
            return "When[calls " + fromCall + ".." + (toCall == Long.MAX_VALUE ? "" : toCall)
                    + (toTime == null ? "" : ", from " + fromTime + " until " + toTime) + ", rate " + rate + "]";
        }
    }

    private record Rule(int index, Fault fault, String operation, When when, double fraction, Duration latency) {

        boolean appliesTo(String op) {
            return operation.equals(ANY_OPERATION) || operation.equals(op);
        }
    }

    private final List<Rule> rules;
    private final long seed;
    private final Clock clock;
    private final Instant builtAt;
    private final AtomicLongArray injected = new AtomicLongArray(Fault.values().length);
    /** Calls counted by each rule, by rule index. */
    private final AtomicLongArray calls;
    /** Positions of the entries removed from a PutRecords request, for its response; per injector, so several fit. */
    private final ExecutionAttribute<int[]> failedPositions;
    private final ExecutionAttribute<Fault> failedAs;
    /** Milliseconds to hold an async attempt's response back; 0 for none (set on every attempt). */
    private final ExecutionAttribute<Long> responseDelay;
    private volatile boolean enabled = true;

    private FaultInjector(Builder builder) {
        this.rules = List.copyOf(builder.rules);
        this.seed = builder.seed;
        this.clock = builder.clock;
        this.builtAt = clock.instant();
        this.calls = new AtomicLongArray(rules.size());
        long instance = INSTANCES.incrementAndGet();
        this.failedPositions = new ExecutionAttribute<>(FaultInjector.class.getName() + ".failedPositions." + instance);
        this.failedAs = new ExecutionAttribute<>(FaultInjector.class.getName() + ".failedAs." + instance);
        this.responseDelay = new ExecutionAttribute<>(FaultInjector.class.getName() + ".responseDelay." + instance);
    }

    /** Starts an injector with no faults, seed 0 and all faults enabled once built. */
    public static Builder builder() {
        return new Builder();
    }

    /** Turns all faults on or off, e.g. off while a test sets up its streams; on when built. */
    public void enabled(boolean enabled) {
        this.enabled = enabled;
    }

    /** Whether faults are injected now (see {@link #enabled(boolean)}). */
    public boolean isEnabled() {
        return enabled;
    }

    /**
     * How often this fault was injected: attempts for whole-call faults and latency; for per-record faults, entries
     * reported failed in a response (entries withheld from a call that then failed as a whole are not counted).
     */
    public long injected(Fault fault) {
        return injected.get(Objects.requireNonNull(fault, "fault").ordinal());
    }

    /** A snapshot of {@link #injected(Fault)} for every fault, including zeros, in declaration order. */
    public Map<Fault, Long> injectedCounts() {
        Map<Fault, Long> counts = new EnumMap<>(Fault.class);
        for (Fault fault : Fault.values()) {
            counts.put(fault, injected(fault));
        }
        return counts;
    }

    @Override
    public String toString() {
        return "FaultInjector[seed " + seed + ", " + rules.size() + " rules, " + (enabled ? "enabled" : "disabled")
                + ", injected " + injectedCounts() + "]";
    }

    @Override
    public SdkRequest modifyRequest(Context.ModifyRequest context, ExecutionAttributes attributes) {
        if (!enabled || !(context.request() instanceof PutRecordsRequest request)) {
            return context.request();
        }
        for (Rule rule : rules) {
            if (!rule.fault().perRecord() || !rule.appliesTo(PUT_RECORDS)) {
                continue;
            }
            Optional<SplittableRandom> hit = hit(rule);
            if (hit.isEmpty()) {
                continue;
            }
            int[] positions = choose(request.records().size(), rule.fraction(), hit.get());
            if (positions.length == 0) {
                return request;
            }
            attributes.putAttribute(failedPositions, positions);
            attributes.putAttribute(failedAs, rule.fault());
            List<PutRecordsRequestEntry> kept = new ArrayList<>(request.records());
            for (int i = positions.length - 1; i >= 0; i--) {
                kept.remove(positions[i]);
            }
            return request.toBuilder().records(kept).build();
        }
        return request;
    }

    @Override
    public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
        int[] positions = attributes.getAttribute(failedPositions);
        if (positions == null || !(context.response() instanceof PutRecordsResponse response)) {
            return context.response();
        }
        Fault fault = attributes.getAttribute(failedAs);
        boolean throttled = fault == Fault.RECORD_THROTTLED;
        PutRecordsResultEntry failed = PutRecordsResultEntry.builder()
                .errorCode(throttled ? "ProvisionedThroughputExceededException" : "InternalFailure")
                .errorMessage((throttled ? "Rate exceeded for shard in stream under account."
                        : "Internal service failure.") + MESSAGE_SUFFIX)
                .build();
        List<PutRecordsResultEntry> sent = response.records();
        List<PutRecordsResultEntry> all = new ArrayList<>(sent.size() + positions.length);
        int next = 0;
        int sentIndex = 0;
        for (int i = 0; i < sent.size() + positions.length; i++) {
            if (next < positions.length && positions[next] == i) {
                all.add(failed);
                next++;
            } else {
                all.add(sent.get(sentIndex++));
            }
        }
        injected.addAndGet(fault.ordinal(), positions.length);
        int alreadyFailed = response.failedRecordCount() == null ? 0 : response.failedRecordCount();
        return response.toBuilder().records(all).failedRecordCount(alreadyFailed + positions.length).build();
    }

    @Override
    public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
        attributes.putAttribute(responseDelay, 0L); // attributes outlive an attempt: clear the last one's delay
        if (!enabled) {
            return;
        }
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        RuntimeException failure = null;
        long sleepMillis = 0;
        for (Rule rule : rules) {
            if (rule.fault().perRecord() || !rule.appliesTo(operation) || hit(rule).isEmpty()) {
                continue;
            }
            if (rule.fault() == Fault.LATENCY) {
                sleepMillis += rule.latency().toMillis();
                injected.incrementAndGet(Fault.LATENCY.ordinal());
            } else if (failure == null) {
                failure = exception(rule.fault(), attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME),
                        operation);
                injected.incrementAndGet(rule.fault().ordinal());
            }
        }
        boolean async = attributes.getAttribute(SdkExecutionAttribute.CLIENT_TYPE) == ClientType.ASYNC;
        if (sleepMillis > 0 && async) {
            attributes.putAttribute(responseDelay, sleepMillis);
        } else if (sleepMillis > 0) {
            sleep(sleepMillis);
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** An async attempt with {@link Fault#LATENCY}: its response reaches the SDK that much later, off any caller. */
    @Override
    public Optional<Publisher<ByteBuffer>> modifyAsyncHttpResponseContent(Context.ModifyHttpResponse context,
            ExecutionAttributes attributes) {
        Optional<Publisher<ByteBuffer>> body = context.responsePublisher();
        Long delay = attributes.getAttribute(responseDelay);
        if (delay == null || delay <= 0 || body.isEmpty()) {
            return body;
        }
        Publisher<ByteBuffer> publisher = body.get();
        return Optional.of(subscriber -> DelayTimer.INSTANCE.schedule(() -> publisher.subscribe(subscriber), delay,
                TimeUnit.MILLISECONDS));
    }

    /** One daemon timer thread for every injector's delayed responses, started on first use. */
    private static final class DelayTimer {
        static final ScheduledExecutorService INSTANCE = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "purekinesis-fault-injector-delay");
            t.setDaemon(true);
            return t;
        });
    }

    /** Counts the call for the rule; if it is hit, a random source for this rule and call. */
    private Optional<SplittableRandom> hit(Rule rule) {
        long call = calls.incrementAndGet(rule.index());
        Duration sinceBuild = Duration.between(builtAt, clock.instant());
        if (!rule.when().selects(call, sinceBuild)) {
            return Optional.empty();
        }
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + rule.index() * 0xBF58476D1CE4E5B9L
                + call);
        double rate = rule.when().rate();
        if (rate < 1.0 && random.nextDouble() >= rate) {
            return Optional.empty();
        }
        return Optional.of(random);
    }

    /** round(fraction * size) distinct positions, ascending, picked by a partial Fisher-Yates shuffle. */
    private static int[] choose(int size, double fraction, SplittableRandom random) {
        int count = (int) Math.round(fraction * size);
        int[] order = new int[size];
        for (int i = 0; i < size; i++) {
            order[i] = i;
        }
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(size - i);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        int[] chosen = Arrays.copyOf(order, count);
        Arrays.sort(chosen);
        return chosen;
    }

    private static RuntimeException exception(Fault fault, String service, String operation) {
        // The SDK names them "Kinesis" and "DynamoDb".
        boolean kinesis = "Kinesis".equalsIgnoreCase(service);
        boolean dynamoDb = "DynamoDb".equalsIgnoreCase(service);
        return switch (fault) {
            case THROTTLING -> kinesis
                    ? service(software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException
                            .builder(), service, "ProvisionedThroughputExceededException", 400,
                            "Rate exceeded for shard in stream under account.")
                    : dynamoDb
                    ? service(software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughputExceededException
                            .builder(), service, "ProvisionedThroughputExceededException", 400,
                            "The level of configured provisioned throughput for the table was exceeded.")
                    : service(AwsServiceException.builder(), service, "ThrottlingException", 400, "Rate exceeded");
            case INTERNAL_FAILURE -> kinesis
                    ? service(KinesisException.builder(), service, "InternalFailure", 500, "Internal service failure.")
                    : dynamoDb
                    ? service(InternalServerErrorException.builder(), service, "InternalServerError", 500,
                            "Internal server error")
                    : service(AwsServiceException.builder(), service, "InternalFailure", 500,
                            "Internal service failure.");
            case SERVICE_UNAVAILABLE -> service(kinesis ? KinesisException.builder()
                    : dynamoDb ? DynamoDbException.builder() : AwsServiceException.builder(),
                    service, "ServiceUnavailable", 503, "Service unavailable");
            case EXPIRED_ITERATOR -> service(ExpiredIteratorException.builder(), service, "ExpiredIteratorException",
                    400, "Iterator expired.");
            case CONDITIONAL_CHECK_FAILED -> service(ConditionalCheckFailedException.builder(), service,
                    "ConditionalCheckFailedException", 400, "The conditional request failed");
            case TIMEOUT -> SdkClientException.builder()
                    .message("Unable to execute HTTP request: Read timed out" + MESSAGE_SUFFIX)
                    .cause(new SocketTimeoutException("Read timed out")).build();
            case CONNECTION_RESET -> SdkClientException.builder()
                    .message("Unable to execute HTTP request: Connection reset" + MESSAGE_SUFFIX)
                    .cause(new SocketException("Connection reset")).build();
            default -> throw new IllegalStateException("Not a whole-call failure: " + fault + " on " + operation);
        };
    }

    private static AwsServiceException service(AwsServiceException.Builder builder, String service, String code,
                                               int status, String message) {
        String text = message + MESSAGE_SUFFIX;
        return builder.message(text).statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(text).serviceName(service)
                        .sdkHttpResponse(SdkHttpResponse.builder().statusCode(status).build()).build())
                .build();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw SdkClientException.create("Interrupted during injected latency", e);
        }
    }

    /** Collects rules; each method rejects a bad argument at once. Not thread-safe. */
    public static final class Builder {

        private final List<Rule> rules = new ArrayList<>();
        private long seed;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** Seed for every random choice; default 0. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Clock for {@link When#during(Duration, Duration)} windows; default the system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Fails the selected calls of {@code operation} (or {@link #ANY_OPERATION}) with a whole-call fault.
         * {@link Fault#EXPIRED_ITERATOR} needs {@code GetRecords}; {@link Fault#CONDITIONAL_CHECK_FAILED} one of
         * {@code PutItem}, {@code UpdateItem}, {@code DeleteItem}.
         */
        public Builder fail(Fault fault, String operation, When when) {
            Objects.requireNonNull(fault, "fault");
            requireOperation(operation);
            Objects.requireNonNull(when, "when");
            if (fault.perRecord()) {
                throw new IllegalArgumentException(fault + " is a per-record fault: use failRecords");
            }
            if (fault == Fault.LATENCY) {
                throw new IllegalArgumentException("LATENCY needs a duration: use delay");
            }
            if (fault == Fault.EXPIRED_ITERATOR && !operation.equals(GET_RECORDS)) {
                throw new IllegalArgumentException("EXPIRED_ITERATOR applies to GetRecords only, was " + operation);
            }
            if (fault == Fault.CONDITIONAL_CHECK_FAILED && !CONDITIONAL_WRITES.contains(operation)) {
                throw new IllegalArgumentException("CONDITIONAL_CHECK_FAILED applies to " + CONDITIONAL_WRITES
                        + ", was " + operation);
            }
            return add(fault, operation, when, 0, Duration.ZERO);
        }

        /** Delays the selected calls of {@code operation} (or {@link #ANY_OPERATION}) by {@code latency}. */
        public Builder delay(String operation, Duration latency, When when) {
            requireOperation(operation);
            Objects.requireNonNull(latency, "latency");
            Objects.requireNonNull(when, "when");
            if (latency.isNegative()) {
                throw new IllegalArgumentException("latency must not be negative, was " + latency);
            }
            return add(Fault.LATENCY, operation, when, 0, latency);
        }

        /**
         * In the selected PutRecords calls, fails {@code round(fraction * entries)} entries, picked at random, with
         * {@link Fault#RECORD_THROTTLED} or {@link Fault#RECORD_INTERNAL_FAILURE}. Only the first matching
         * per-record rule applies to a call. Mind the rounding with an aggregating producer, whose calls carry one or
         * two entries per shard: a fraction below 0.5 then fails nothing in a one-entry call.
         */
        public Builder failRecords(Fault fault, double fraction, When when) {
            Objects.requireNonNull(fault, "fault");
            Objects.requireNonNull(when, "when");
            if (!fault.perRecord()) {
                throw new IllegalArgumentException(fault + " is not a per-record fault: use fail");
            }
            if (!(fraction >= 0 && fraction <= 1)) {
                throw new IllegalArgumentException("fraction must be in [0, 1], was " + fraction);
            }
            return add(fault, PUT_RECORDS, when, fraction, Duration.ZERO);
        }

        /** The injector with the faults added so far; register it on a client's override configuration. */
        public FaultInjector build() {
            return new FaultInjector(this);
        }

        private Builder add(Fault fault, String operation, When when, double fraction, Duration latency) {
            rules.add(new Rule(rules.size(), fault, operation, when, fraction, latency));
            return this;
        }

        private static void requireOperation(String operation) {
            if (Objects.requireNonNull(operation, "operation").isBlank()) {
                throw new IllegalArgumentException("operation must not be blank");
            }
        }
    }
}
