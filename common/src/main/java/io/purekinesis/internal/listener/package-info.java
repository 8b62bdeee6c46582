/** Internal, no compatibility promise: calling users' listeners so that nothing they throw reaches a library loop. */
package io.purekinesis.internal.listener;
