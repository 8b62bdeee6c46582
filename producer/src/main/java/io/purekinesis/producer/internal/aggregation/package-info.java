/** Internal: Per-shard KPL aggregation of user records into Kinesis records. Not API. */
package io.purekinesis.producer.internal.aggregation;
