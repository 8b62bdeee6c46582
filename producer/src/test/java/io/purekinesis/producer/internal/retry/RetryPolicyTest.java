package io.purekinesis.producer.internal.retry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.producer.FailureReason;
import io.purekinesis.testkit.FakeKinesisClient;
import java.util.List;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.profiles.ProfileFile;

/** The one place that classifies failures: authentication and authorization are permanent, not retried. */
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
        assertEquals(FailureReason.STREAM_NOT_FOUND, RetryPolicy.permanentReason("ResourceNotFoundException", null));
        assertEquals(FailureReason.NON_RETRYABLE_ERROR, RetryPolicy.permanentReason("KMSDisabledException", null));
        assertNull(RetryPolicy.permanentReason("ProvisionedThroughputExceededException", null));
        assertNull(RetryPolicy.permanentReason("ResourceInUseException", null), "a stream still CREATING heals");
    }

    @Test
    void credentialsThatCannotBeLoadedAreRecognisedByWhereTheyWereThrownNotByTheirMessage() {
        SdkClientException chain = thrownBy(() -> AwsCredentialsProviderChain.builder().credentialsProviders(() -> {
            throw SdkClientException.create("nothing here");
        }).build().resolveCredentials());
        SdkClientException profile = thrownBy(() -> ProfileCredentialsProvider.builder()
                .profileFile(ProfileFile.builder().content(new java.io.ByteArrayInputStream(new byte[0]))
                        .type(ProfileFile.Type.CREDENTIALS).build())
                .profileName("missing").build().resolveCredentials());
        for (SdkClientException e : List.of(chain, profile)) {
            assertTrue(RetryPolicy.isCredentialsUnavailable(e), e.toString());
            assertTrue(RetryPolicy.isCredentialsUnavailable(new CompletionException(e)), "wrapped");
            assertEquals(FailureReason.NOT_AUTHORIZED, RetryPolicy.permanentReason(RetryPolicy.errorCode(e), e));
        }
        // Same type, same wording, but thrown by an HTTP failure: retryable.
        SdkClientException network = SdkClientException.create("Unable to load credentials? no: Unable to execute "
                + "HTTP request: Connection refused");
        assertFalse(RetryPolicy.isCredentialsUnavailable(network));
        assertTrue(RetryPolicy.isRetryable(RetryPolicy.errorCode(network), network));
        // Without a stack trace only the SDK's wording can tell.
        SdkClientException bare = SdkClientException.create("Unable to load credentials from any of the providers");
        bare.setStackTrace(new StackTraceElement[0]);
        assertTrue(RetryPolicy.isCredentialsUnavailable(bare));
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

    private static SdkClientException thrownBy(Runnable r) {
        try {
            r.run();
        } catch (SdkClientException e) {
            return e;
        }
        throw new AssertionError("did not throw");
    }
}
