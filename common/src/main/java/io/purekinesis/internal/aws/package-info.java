/**
 * Internal, no compatibility promise: what both libraries do with AWS clients, requests and errors (ownership,
 * the library's name on every request, the one classification of failures).
 */
package io.purekinesis.internal.aws;
