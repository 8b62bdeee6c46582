/** Internal: The sender thread, the steps of close, and the Kinesis client (common's {@code ClientHolder}). Not API. */
package io.purekinesis.producer.internal.send;
