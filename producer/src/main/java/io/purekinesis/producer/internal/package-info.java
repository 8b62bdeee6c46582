/** Internal: the records and entries that flow through the pipeline, and per-stream wiring. Not API. */
package io.purekinesis.producer.internal;
