/**
 * Internal plumbing shared by the purekinesis producer and consumer (module {@code purekinesis-common}): backoff,
 * client ownership, AWS error classification and request tagging, ListShards paging, stream names, the monotonic
 * clock, guarded calls of users' listeners. Not API: no type here carries a compatibility promise, and any of them
 * may change or go in any release. Applications use the producer's and consumer's API packages only.
 */
package io.purekinesis.internal;
