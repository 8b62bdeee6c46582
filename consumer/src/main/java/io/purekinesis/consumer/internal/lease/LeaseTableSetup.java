package io.purekinesis.consumer.internal.lease;

import static io.purekinesis.consumer.internal.lease.LeaseAttributes.LEASE_KEY;

import io.purekinesis.consumer.LeaseTableException;
import io.purekinesis.consumer.internal.AwsCalls;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.Time;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableResponse;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;

/**
 * The lease table itself, as the start-up check needs it: created if missing (PAY_PER_REQUEST, KCL's key schema),
 * its key schema checked ({@link LeaseTableSchema}), and waited for until it is ACTIVE, the wait measured and spent
 * on the consumer's {@link Time}. Racing workers may all try to create it: the losers find it in use.
 */
public final class LeaseTableSetup {

    private static final Logger log = LoggerFactory.getLogger(LeaseTableSetup.class);
    private static final Duration TABLE_POLL_INTERVAL = Duration.ofMillis(100);

    private final DynamoDbAsyncClient dynamo;
    private final String tableName;
    private final String resource;
    private final Time time;

    public LeaseTableSetup(DynamoDbAsyncClient dynamo, String tableName, Time time) {
        this.dynamo = dynamo;
        this.tableName = tableName;
        this.resource = "lease table " + tableName;
        this.time = time;
    }

    /**
     * Creates the table (PAY_PER_REQUEST, hash key leaseKey) if missing and waits until it is ACTIVE.
     *
     * @throws LeaseTableException when the table exists with another key schema
     */
    public void ensure(Duration timeout) throws InterruptedException {
        long deadline = time.nanoTime() + timeout.toNanos();
        boolean created = false;
        while (true) {
            Optional<TableDescription> table = describe();
            table.ifPresent(t -> LeaseTableSchema.check(tableName, t));
            Optional<TableStatus> status = table.map(TableDescription::tableStatus);
            if (status.isEmpty() && !created) {
                try {
                    AwsCalls.call("dynamodb:CreateTable", resource, CreateTableRequest.builder().tableName(tableName)
                            .keySchema(KeySchemaElement.builder().attributeName(LEASE_KEY).keyType(KeyType.HASH)
                                    .build())
                            .attributeDefinitions(AttributeDefinition.builder().attributeName(LEASE_KEY)
                                    .attributeType(ScalarAttributeType.S).build())
                            .billingMode(BillingMode.PAY_PER_REQUEST).build(), dynamo::createTable).join();
                    log.info("Created lease table {}", tableName);
                } catch (CompletionException e) {
                    if (!(Failures.sdkCause(e) instanceof ResourceInUseException)) {
                        throw e;
                    }
                }
                created = true;
            } else if (status.isPresent() && status.get() == TableStatus.ACTIVE) {
                return;
            }
            if (time.nanoTime() - deadline > 0) {
                throw new IllegalStateException("lease table " + tableName + " not ACTIVE after " + timeout
                        + " (status " + status.map(Object::toString).orElse("missing") + ")");
            }
            time.sleep(TABLE_POLL_INTERVAL);
        }
    }

    private Optional<TableDescription> describe() {
        try {
            DescribeTableResponse r = AwsCalls.call("dynamodb:DescribeTable", resource,
                    DescribeTableRequest.builder().tableName(tableName).build(), dynamo::describeTable).join();
            return Optional.of(r.table());
        } catch (CompletionException e) {
            if (Failures.sdkCause(e) instanceof ResourceNotFoundException) {
                return Optional.empty();
            }
            throw e;
        }
    }
}
