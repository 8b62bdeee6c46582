package io.purekinesis.consumer.internal.lease;

import static io.purekinesis.consumer.internal.lease.LeaseAttributes.LEASE_KEY;
import static io.purekinesis.consumer.internal.lease.LeaseAttributes.LEASE_OWNER;

import io.purekinesis.consumer.LeaseTableException;
import io.purekinesis.consumer.internal.AwsCalls;
import io.purekinesis.consumer.internal.Failures;
import io.purekinesis.consumer.internal.Time;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.services.dynamodb.DynamoDbAsyncClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeDefinition;
import software.amazon.awssdk.services.dynamodb.model.BillingMode;
import software.amazon.awssdk.services.dynamodb.model.CreateGlobalSecondaryIndexAction;
import software.amazon.awssdk.services.dynamodb.model.CreateTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableRequest;
import software.amazon.awssdk.services.dynamodb.model.DescribeTableResponse;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndex;
import software.amazon.awssdk.services.dynamodb.model.GlobalSecondaryIndexUpdate;
import software.amazon.awssdk.services.dynamodb.model.IndexStatus;
import software.amazon.awssdk.services.dynamodb.model.KeySchemaElement;
import software.amazon.awssdk.services.dynamodb.model.KeyType;
import software.amazon.awssdk.services.dynamodb.model.Projection;
import software.amazon.awssdk.services.dynamodb.model.ProjectionType;
import software.amazon.awssdk.services.dynamodb.model.ProvisionedThroughput;
import software.amazon.awssdk.services.dynamodb.model.ResourceInUseException;
import software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException;
import software.amazon.awssdk.services.dynamodb.model.ScalarAttributeType;
import software.amazon.awssdk.services.dynamodb.model.TableDescription;
import software.amazon.awssdk.services.dynamodb.model.TableStatus;
import software.amazon.awssdk.services.dynamodb.model.UpdateTableRequest;

/**
 * The tables, as the start-up check needs them: the lease table created if missing (PAY_PER_REQUEST, KCL's key
 * schema and KCL 3.x's index {@value #OWNER_INDEX}), its key schema checked ({@link LeaseTableSchema}), the index
 * added to a table that lacks it (it is only used once ACTIVE: on AWS its backfill takes minutes, and until then
 * the workers scan instead), and the fleet's worker table created if missing; each waited for until ACTIVE, the
 * wait spent on the consumer's {@link Time}. Racing workers may all try to create them: the losers find them in use.
 */
public final class LeaseTableSetup {

    private static final Logger log = LoggerFactory.getLogger(LeaseTableSetup.class);
    private static final Duration TABLE_POLL_INTERVAL = Duration.ofMillis(100);

    /** KCL 3.x's index of leases by owner (hash leaseOwner, range leaseKey, keys only). */
    public static final String OWNER_INDEX = "LeaseOwnerToLeaseKeyIndex";

    private final DynamoDbAsyncClient dynamo;
    private final String tableName;
    private final String workerTableName;
    private final String resource;
    private final Time time;
    /** A DescribeTable of the lease table started by {@link #describeEarly()}, not used yet; start-up thread only. */
    private CompletableFuture<DescribeTableResponse> early;

    /** @param workerTableName the worker table, or null for the lease table alone */
    public LeaseTableSetup(DynamoDbAsyncClient dynamo, String tableName, String workerTableName, Time time) {
        this.dynamo = dynamo;
        this.tableName = tableName;
        this.workerTableName = workerTableName;
        this.resource = "lease table " + tableName;
        this.time = time;
    }

    /**
     * Creates the tables if missing (the lease table with KCL's hash key leaseKey and its owner index; the worker
     * table), adds the owner index to a lease table without it, and waits until both tables are ACTIVE.
     *
     * @throws LeaseTableException when the lease table exists with another key schema
     */
    public void ensure(Duration timeout) throws InterruptedException {
        long deadline = time.nanoTime() + timeout.toNanos();
        TableDescription leases = ensureTable(tableName, resource, deadline, timeout, this::createLeaseTable);
        LeaseTableSchema.check(tableName, leases);
        if (!hasOwnerIndex(leases)) {
            addOwnerIndex(leases);
        }
        if (workerTableName != null) {
            ensureTable(workerTableName, "worker table " + workerTableName, deadline, timeout,
                    this::createWorkerTable);
        }
    }

    private TableDescription ensureTable(String name, String what, long deadline, Duration timeout,
            Runnable create) throws InterruptedException {
        boolean created = false;
        while (true) {
            Optional<TableDescription> table = describe(name, what);
            if (name.equals(tableName)) {
                table.ifPresent(t -> LeaseTableSchema.check(tableName, t));
            }
            Optional<TableStatus> status = table.map(TableDescription::tableStatus);
            if (status.isEmpty() && !created) {
                try {
                    create.run();
                    log.info("Created {}", what);
                } catch (CompletionException e) {
                    if (!(Failures.sdkCause(e) instanceof ResourceInUseException)) {
                        throw e;
                    }
                }
                created = true;
                continue; // DynamoDB Local creates tables ACTIVE at once: look again before waiting
            } else if (status.isPresent() && status.get() == TableStatus.ACTIVE) {
                return table.get();
            }
            if (time.nanoTime() - deadline > 0) {
                throw new IllegalStateException(what + " not ACTIVE after " + timeout + " (status "
                        + status.map(Object::toString).orElse("missing") + ")");
            }
            time.sleep(TABLE_POLL_INTERVAL);
        }
    }

    private void createLeaseTable() {
        AwsCalls.call("dynamodb:CreateTable", resource, CreateTableRequest.builder().tableName(tableName)
                .keySchema(KeySchemaElement.builder().attributeName(LEASE_KEY).keyType(KeyType.HASH).build())
                .attributeDefinitions(attribute(LEASE_KEY), attribute(LEASE_OWNER))
                .globalSecondaryIndexes(GlobalSecondaryIndex.builder().indexName(OWNER_INDEX)
                        .keySchema(ownerIndexKeys()).projection(keysOnly()).build())
                .billingMode(BillingMode.PAY_PER_REQUEST).build(), dynamo::createTable).join();
    }

    private void createWorkerTable() {
        AwsCalls.call("dynamodb:CreateTable", "worker table " + workerTableName, CreateTableRequest.builder()
                .tableName(workerTableName)
                .keySchema(KeySchemaElement.builder().attributeName(WorkerTable.FLEET).keyType(KeyType.HASH).build(),
                        KeySchemaElement.builder().attributeName(WorkerTable.WORKER_ID).keyType(KeyType.RANGE)
                                .build())
                .attributeDefinitions(attribute(WorkerTable.FLEET), attribute(WorkerTable.WORKER_ID))
                .billingMode(BillingMode.PAY_PER_REQUEST).build(), dynamo::createTable).join();
    }

    /** True when the table has the owner index, whatever its state. */
    static boolean hasOwnerIndex(TableDescription table) {
        return table.hasGlobalSecondaryIndexes() && table.globalSecondaryIndexes().stream()
                .anyMatch(i -> OWNER_INDEX.equals(i.indexName()));
    }

    /** True when the table's owner index is ACTIVE (queries on it see every row). */
    static boolean isOwnerIndexActive(TableDescription table) {
        return table.hasGlobalSecondaryIndexes() && table.globalSecondaryIndexes().stream()
                .anyMatch(i -> OWNER_INDEX.equals(i.indexName()) && i.indexStatus() == IndexStatus.ACTIVE);
    }

    /**
     * Adds the owner index to a table without it (one created by KCL 2.x or an earlier version of this consumer).
     * A failure is not fatal: the workers scan instead until the index is there.
     */
    private void addOwnerIndex(TableDescription table) {
        CreateGlobalSecondaryIndexAction.Builder index = CreateGlobalSecondaryIndexAction.builder()
                .indexName(OWNER_INDEX).keySchema(ownerIndexKeys()).projection(keysOnly());
        boolean provisioned = table.billingModeSummary() == null
                || table.billingModeSummary().billingMode() != BillingMode.PAY_PER_REQUEST;
        if (provisioned && table.provisionedThroughput() != null
                && table.provisionedThroughput().readCapacityUnits() != null
                && table.provisionedThroughput().readCapacityUnits() > 0) {
            index.provisionedThroughput(ProvisionedThroughput.builder()
                    .readCapacityUnits(table.provisionedThroughput().readCapacityUnits())
                    .writeCapacityUnits(table.provisionedThroughput().writeCapacityUnits()).build());
        }
        try {
            AwsCalls.call("dynamodb:UpdateTable", resource, UpdateTableRequest.builder().tableName(tableName)
                    .attributeDefinitions(attribute(LEASE_KEY), attribute(LEASE_OWNER))
                    .globalSecondaryIndexUpdates(GlobalSecondaryIndexUpdate.builder().create(index.build()).build())
                    .build(), dynamo::updateTable).join();
            log.info("Lease table {}: adding index {} (workers scan for their leases until it is ACTIVE)",
                    tableName, OWNER_INDEX);
        } catch (CompletionException e) {
            if (Failures.sdkCause(e) instanceof ResourceInUseException) {
                return; // another worker is adding it, or the table is being updated
            }
            log.warn("Lease table {}: could not add index {}; workers scan for their leases instead: {}", tableName,
                    OWNER_INDEX, Failures.describe(e));
        }
    }

    private static List<KeySchemaElement> ownerIndexKeys() {
        return List.of(KeySchemaElement.builder().attributeName(LEASE_OWNER).keyType(KeyType.HASH).build(),
                KeySchemaElement.builder().attributeName(LEASE_KEY).keyType(KeyType.RANGE).build());
    }

    private static Projection keysOnly() {
        return Projection.builder().projectionType(ProjectionType.KEYS_ONLY).build();
    }

    private static AttributeDefinition attribute(String name) {
        return AttributeDefinition.builder().attributeName(name).attributeType(ScalarAttributeType.S).build();
    }

    /** The lease table's description, or empty when it does not exist. */
    public Optional<TableDescription> describeLeaseTable() {
        return describe(tableName, resource);
    }

    /**
     * Starts the lease table's DescribeTable now, for the next {@link #ensure} to use: the start overlaps the
     * DynamoDB client's first call (on a fresh JVM, most of a second of class loading and TLS set-up) with the
     * stream check, without creating anything before the stream is known to exist.
     */
    public void describeEarly() {
        early = describeCall(tableName, resource);
    }

    private Optional<TableDescription> describe(String name, String what) {
        CompletableFuture<DescribeTableResponse> call = name.equals(tableName) && early != null ? early
                : describeCall(name, what);
        if (name.equals(tableName)) {
            early = null; // used once: a later look (waiting for ACTIVE, a retried start) asks again
        }
        try {
            DescribeTableResponse r = call.join();
            return Optional.of(r.table());
        } catch (CompletionException e) {
            if (Failures.sdkCause(e) instanceof ResourceNotFoundException) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private CompletableFuture<DescribeTableResponse> describeCall(String name, String what) {
        return AwsCalls.call("dynamodb:DescribeTable", what, DescribeTableRequest.builder().tableName(name).build(),
                dynamo::describeTable);
    }
}
