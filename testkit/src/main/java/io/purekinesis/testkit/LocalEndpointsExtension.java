package io.purekinesis.testkit;

import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.kinesis.KinesisAsyncClient;

/**
 * Gives tests the {@link LocalEndpoints#shared() shared} local Kinesis and DynamoDB Local: started before the first
 * test class that uses it, shared by all test classes of the run, stopped when the run ends.
 *
 * <p>Use with {@code @ExtendWith(LocalEndpointsExtension.class)}. Constructors, test methods and lifecycle methods
 * (including static {@code @BeforeAll}) may then take parameters of type {@link LocalEndpoints}, {@link LocalKinesis},
 * {@link LocalDynamoDb}, {@link KinesisAsyncClient} or {@link DynamoDbAsyncClient}. The clients are shared: do not
 * close them. Work on your own streams and tables, since other test classes use the same endpoints.
 */
public final class LocalEndpointsExtension implements BeforeAllCallback, ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE =
            ExtensionContext.Namespace.create(LocalEndpointsExtension.class);
    private static final Map<Class<?>, Function<LocalEndpoints, Object>> RESOLVABLE = Map.of(
            LocalEndpoints.class, endpoints -> endpoints,
            LocalKinesis.class, LocalEndpoints::kinesis,
            LocalDynamoDb.class, LocalEndpoints::dynamoDb,
            KinesisAsyncClient.class, LocalEndpoints::kinesisAsyncClient,
            DynamoDbAsyncClient.class, LocalEndpoints::dynamoDbAsyncClient);

    @Override
    public void beforeAll(ExtensionContext context) {
        endpoints(context);
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return RESOLVABLE.containsKey(parameter.getParameter().getType());
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return RESOLVABLE.get(parameter.getParameter().getType()).apply(endpoints(context));
    }

    /**
     * Kept in the root context's store, which JUnit closes once, after the last test of the run. (JUnit closes
     * AutoCloseable store values since 5.13 and has deprecated Store.CloseableResource.)
     */
    private static LocalEndpoints endpoints(ExtensionContext context) {
        return context.getRoot().getStore(NAMESPACE)
                .getOrComputeIfAbsent(SharedEndpoints.class, key -> new SharedEndpoints(LocalEndpoints.shared()),
                        SharedEndpoints.class)
                .endpoints();
    }

    private record SharedEndpoints(LocalEndpoints endpoints) implements AutoCloseable {

        @Override
        public void close() {
            LocalEndpoints.closeShared();
        }
    }
}
