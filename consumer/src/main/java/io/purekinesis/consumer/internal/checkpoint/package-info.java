/** Internal, not API: The checkpointer handed to processors: position checks and conditional checkpoint writes. */
package io.purekinesis.consumer.internal.checkpoint;
