/** Internal: the records and entries that flow through the stages, their completion, and shared helpers. Not API. */
package io.purekinesis.producer.internal;
