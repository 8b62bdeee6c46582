package io.purekinesis.producer.internal.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.internal.aws.AwsErrors;
import io.purekinesis.producer.FailureReason;
import io.purekinesis.testkit.FakeKinesisClient;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * The one place that decides what the producer does with a failure (on the classification of
 * {@link AwsErrors}, tested there): authentication and authorization are permanent, not retried.
 */
class RetryPolicyTest {

    @Test
    void authenticationAndAuthorizationCodesAreNotAuthorized() {
        for (String code : List.of("AccessDeniedException", "UnrecognizedClientException",
                "InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken",
                "ExpiredTokenException", "KMSAccessDeniedException")) {
            assertEquals(FailureReason.NOT_AUTHORIZED, RetryPolicy.permanentReason(code, null), code);
            assertEquals(FailureReason.NOT_AUTHORIZED,
                    RetryPolicy.permanentReason(code, FakeKinesisClient.serviceError(code, 400)), code);
            assertFalse(RetryPolicy.isRetryable(code, null), code);
        }
        assertEquals(FailureReason.NOT_AUTHORIZED, RetryPolicy.permanentReason("Forbidden",
                FakeKinesisClient.serviceError("Forbidden", 403)), "refused by status");
        assertEquals(FailureReason.STREAM_NOT_FOUND, RetryPolicy.permanentReason("ResourceNotFoundException", null));
        assertEquals(FailureReason.NON_RETRYABLE_ERROR, RetryPolicy.permanentReason("KMSDisabledException", null));
        assertNull(RetryPolicy.permanentReason("ProvisionedThroughputExceededException", null));
        assertNull(RetryPolicy.permanentReason("ResourceInUseException", null), "a stream still CREATING heals");
    }

    @Test
    void retriabilityIsDecidedInOnePlace() {
        for (String code : new String[] {"ProvisionedThroughputExceededException", "InternalFailure",
                "KMSThrottlingException", "ThrottlingException", "ServiceUnavailable", "SomethingNew"}) {
            assertTrue(RetryPolicy.isRetryable(code, null), code);
        }
        for (String code : new String[] {"ValidationException", "InvalidArgumentException", "AccessDeniedException",
                "ResourceNotFoundException", "KMSDisabledException", "KMSNotFoundException",
                "KMSAccessDeniedException", "KMSInvalidStateException", "KMSOptInRequired"}) {
            assertFalse(RetryPolicy.isRetryable(code, null), code);
            assertFalse(RetryPolicy.isRetryable(code, FakeKinesisClient.serviceError(code, 400)), code);
        }
        assertTrue(RetryPolicy.isRetryable("InternalFailure", FakeKinesisClient.serviceError("InternalFailure", 500)));
        assertTrue(RetryPolicy.isRetryable(null, new CompletionException(SdkClientException.create("reset"))));
        assertTrue(RetryPolicy.isRetryable(null, new TimeoutException()));
        assertTrue(RetryPolicy.isRetryable(null, new IOException("Connection reset")));
        assertFalse(RetryPolicy.isRetryable(null, new NullPointerException()));
    }

    @Test
    void credentialsThatCannotBeLoadedAreNotAuthorized() {
        SdkClientException none = null;
        try {
            AwsCredentialsProviderChain.builder().credentialsProviders(() -> {
                throw SdkClientException.create("nothing here");
            }).build().resolveCredentials();
        } catch (SdkClientException e) {
            none = e;
        }
        assertEquals(FailureReason.NOT_AUTHORIZED, RetryPolicy.permanentReason(AwsErrors.errorCodeOrType(none), none));
        assertTrue(RetryPolicy.notAuthorizedMessage("s", "PutRecords", "SdkClientException", "none", none)
                .startsWith("no AWS credentials could be loaded for PutRecords on stream 's'"));
    }

    @Test
    void notAuthorizedMessagesNameTheStreamAndWhatToChange() {
        assertTrue(RetryPolicy.notAuthorizedMessage("s", "PutRecords", "AccessDeniedException", "denied", null)
                .contains("kinesis:PutRecords on the stream"));
        assertTrue(RetryPolicy.notAuthorizedMessage("s", "PutRecords", "KMSAccessDeniedException", "denied", null)
                .contains("kms:GenerateDataKey"));
        assertTrue(RetryPolicy.notAuthorizedMessage("s", "ListShards", "ExpiredTokenException", "expired", null)
                .contains("credentials provider"));
    }
}
