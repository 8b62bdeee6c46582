/** Internal: The sender thread, the steps of close, and ownership of the Kinesis client. Not API. */
package io.purekinesis.producer.internal.send;
