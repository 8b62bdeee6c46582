/** Internal: The sender thread and ownership of the Kinesis client. Not API. */
package io.purekinesis.producer.internal.send;
