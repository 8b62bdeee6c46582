/** Internal: The one memory budget for outstanding bytes and records; FIFO-fair blocking. Not API. */
package io.purekinesis.producer.internal.buffer;
