/** Internal, no compatibility promise: Kinesis naming rules and reading a stream's shards, for both libraries. */
package io.purekinesis.internal.kinesis;
