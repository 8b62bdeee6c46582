/** Internal, no compatibility promise: the default clock of both libraries. */
package io.purekinesis.internal.time;
