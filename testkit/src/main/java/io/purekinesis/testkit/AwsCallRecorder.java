package io.purekinesis.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ApiName;
import software.amazon.awssdk.core.SdkRequest;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Records which AWS operations the purekinesis libraries call, so that an IAM policy can be checked against them:
 * a policy that misses one gives AccessDenied in production, and nothing on the local endpoints would show it.
 *
 * <p>The libraries mark each request with an SDK {@link ApiName} {@code purekinesis-<library>}
 * ({@code purekinesis-producer}, {@code purekinesis-consumer}); requests without such a name (the test's own calls,
 * KCL's) are not recorded. For each marked request one line is written, once per distinct line and JVM:
 * <pre>
 * consumer	dynamodb:UpdateItem	table/TABLE
 * producer	kinesis:PutRecords	stream/STREAM
 * </pre>
 * the library, the IAM action ({@code <service>:<operation>}) and the kind of resource the action is authorized on,
 * as the path of its ARN with placeholders: {@code stream/STREAM}, {@code stream/STREAM/consumer/CONSUMER} (a request
 * naming a {@code ConsumerARN}), {@code table/TABLE}, {@code table/TABLE/index/INDEX} (a request naming an
 * {@code IndexName}), {@code *} for other services.
 *
 * <p><b>Opt-in.</b> Register it for every client of a test JVM through the SDK's global interceptor file, a test
 * resource {@code software/amazon/awssdk/global/handlers/execution.interceptors} containing this class's name, and
 * name a directory in the system property {@value #DIR_PROPERTY}: each JVM then appends to its own file
 * {@code calls-<pid>.tsv} there. Without the property it records nothing. Lines are written as they are first seen,
 * so a JVM killed with SIGKILL (a {@link JvmProcess} worker, which inherits the property) loses none.
 */
public final class AwsCallRecorder implements ExecutionInterceptor {

    /** The system property naming the directory to write to; unset, nothing is recorded. */
    public static final String DIR_PROPERTY = "purekinesis.awsCalls.dir";
    /** Requests whose ApiName starts with this are recorded; the rest of the name is the library. */
    public static final String API_NAME_PREFIX = "purekinesis-";

    private static final Logger LOG = LoggerFactory.getLogger(AwsCallRecorder.class);

    private final Sink sink;

    /** The instance the SDK creates from the global interceptor file: writes where {@value #DIR_PROPERTY} says. */
    public AwsCallRecorder() {
        this(JvmSink.INSTANCE);
    }

    /** Writes to {@code file}, whatever the system property says; for tests. */
    AwsCallRecorder(Path file) {
        this(new Sink(file));
    }

    /** As the SDK's instance would be with {@value #DIR_PROPERTY} set to {@code dir} (null: unset). */
    static AwsCallRecorder forDirectory(String dir) {
        return new AwsCallRecorder(JvmSink.forDirectory(dir));
    }

    private AwsCallRecorder(Sink sink) {
        this.sink = sink;
    }

    /** Where this instance writes; null when it records nothing. */
    Path sinkFile() {
        return sink == null ? null : sink.file;
    }

    /** Records the request as the caller built it (before another interceptor could fail it). */
    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        record(context.request(), attributes);
    }

    /** Records it again after every interceptor's {@code modifyRequest}, in case one of them added the ApiName. */
    @Override
    public void beforeMarshalling(Context.BeforeMarshalling context, ExecutionAttributes attributes) {
        record(context.request(), attributes);
    }

    private void record(SdkRequest request, ExecutionAttributes attributes) {
        if (sink == null) {
            return;
        }
        Optional<String> library = library(request);
        if (library.isEmpty()) {
            return;
        }
        String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME).toLowerCase(Locale.ROOT);
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        sink.add(library.get() + '\t' + service + ':' + operation + '\t' + resource(service, request));
    }

    /** The library named by the request's {@code purekinesis-*} ApiName, if it has one. */
    static Optional<String> library(SdkRequest request) {
        return request.overrideConfiguration().stream()
                .flatMap(c -> c.apiNames().stream())
                .map(ApiName::name)
                .filter(name -> name.startsWith(API_NAME_PREFIX) && name.length() > API_NAME_PREFIX.length())
                .map(name -> name.substring(API_NAME_PREFIX.length()))
                .findFirst();
    }

    /** The path of the ARN the action is authorized on, with placeholders for the names. */
    static String resource(String service, SdkRequest request) {
        return switch (service) {
            case "kinesis" -> names(request, "ConsumerARN") ? "stream/STREAM/consumer/CONSUMER" : "stream/STREAM";
            case "dynamodb" -> names(request, "IndexName") ? "table/TABLE/index/INDEX" : "table/TABLE";
            default -> "*";
        };
    }

    private static boolean names(SdkRequest request, String field) {
        return request.getValueForField(field, Object.class).isPresent();
    }

    /** Appends each distinct line once to one file. */
    private static final class Sink {

        private final Path file;
        private final Set<String> seen = ConcurrentHashMap.newKeySet();
        private boolean failed; // guarded by this

        Sink(Path file) {
            this.file = file;
        }

        void add(String line) {
            if (seen.add(line)) {
                write(line);
            }
        }

        private synchronized void write(String line) {
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.writeString(file, line + '\n', StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                        StandardOpenOption.APPEND);
            } catch (IOException e) {
                if (!failed) {
                    failed = true;
                    LOG.warn("Could not record an AWS call to {} (set by -D{}); the IAM policy check will miss it",
                            file, DIR_PROPERTY, e);
                }
            }
        }
    }

    /** The JVM's one sink, or null when {@value #DIR_PROPERTY} is unset: read once, at the first client built. */
    private static final class JvmSink {

        static final Sink INSTANCE = forDirectory(System.getProperty(DIR_PROPERTY));

        static Sink forDirectory(String dir) {
            if (dir == null || dir.isBlank()) {
                return null;
            }
            Path file = Path.of(dir).resolve("calls-" + ProcessHandle.current().pid() + ".tsv");
            LOG.info("Recording the AWS calls of the purekinesis libraries to {}", file);
            return new Sink(file);
        }
    }
}
