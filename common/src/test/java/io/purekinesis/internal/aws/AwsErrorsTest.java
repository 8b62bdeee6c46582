package io.purekinesis.internal.aws;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.internal.aws.AwsErrors.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

/** One classification of failures for both libraries. */
class AwsErrorsTest {

    private static AwsServiceException service(String code, int status) {
        return AwsServiceException.builder().statusCode(status).message(code + " (message)")
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code + " (details)").build())
                .build();
    }

    private static KinesisException kinesis(String code, int status) {
        return (KinesisException) KinesisException.builder().statusCode(status).message(code)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).build()).build();
    }

    @Test
    void refusedCallersAreAuthWhetherAsAnEntryCodeAServiceErrorOrAStatus() {
        for (String code : List.of("AccessDeniedException", "UnrecognizedClientException",
                "InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken",
                "MissingAuthenticationTokenException", "ExpiredTokenException", "KMSAccessDeniedException")) {
            assertEquals(Kind.AUTH, AwsErrors.classify(code, null), code);
            assertEquals(Kind.AUTH, AwsErrors.classify(service(code, 400)), code);
            assertEquals(Kind.AUTH, AwsErrors.classify(kinesis(code, 400)), code);
        }
        assertEquals(Kind.AUTH, AwsErrors.classify(kinesis("Forbidden", 403)));
        assertEquals(Kind.AUTH, AwsErrors.classify(service("Whatever", 401)));
    }

    @Test
    void permanentAndTransientCodes() {
        assertEquals(Kind.NOT_FOUND, AwsErrors.classify("ResourceNotFoundException", null));
        assertEquals(Kind.NOT_FOUND, AwsErrors.classify(ResourceNotFoundException.builder().statusCode(400).build()),
                "no error details: its type says it");
        for (String code : List.of("ValidationException", "InvalidArgumentException", "KMSDisabledException",
                "KMSNotFoundException", "KMSInvalidStateException", "KMSOptInRequired")) {
            assertEquals(Kind.INVALID, AwsErrors.classify(code, null), code);
            assertEquals(Kind.INVALID, AwsErrors.classify(code, service(code, 400)), code);
        }
        for (String code : List.of("ProvisionedThroughputExceededException", "InternalFailure",
                "KMSThrottlingException", "ThrottlingException", "ServiceUnavailable", "LimitExceededException")) {
            assertEquals(Kind.TRANSIENT, AwsErrors.classify(code, null), code);
        }
        assertEquals(Kind.TRANSIENT, AwsErrors.classify(ProvisionedThroughputExceededException.builder()
                .statusCode(400).build()));
        assertEquals(Kind.TRANSIENT, AwsErrors.classify(service("InternalServerError", 500)));
        assertEquals(Kind.TRANSIENT, AwsErrors.classify(service("SlowDown", 429)), "throttled by status");
        assertEquals(Kind.UNRECOGNIZED, AwsErrors.classify("ResourceInUseException", null));
        assertEquals(Kind.UNRECOGNIZED, AwsErrors.classify(service("ResourceInUseException", 400)),
                "a stream still CREATING: the library decides");
        assertEquals(Kind.UNRECOGNIZED, AwsErrors.classify(ExpiredIteratorException.builder().statusCode(400)
                .build()));
        assertEquals(Kind.UNRECOGNIZED, AwsErrors.classify(service(null, 400)), "no error code");
    }

    @Test
    void clientSideFailures() {
        assertEquals(Kind.TRANSIENT, AwsErrors.classify(new CompletionException(SdkClientException.create("reset"))));
        assertEquals(Kind.TRANSIENT, AwsErrors.classify(ApiCallTimeoutException.create(1000)));
        assertEquals(Kind.TRANSIENT, AwsErrors.classify(new TimeoutException()));
        assertEquals(Kind.TRANSIENT, AwsErrors.classify(new IOException("Connection reset")));
        assertEquals(Kind.INVALID, AwsErrors.classify(SdkClientException.create("Unable to load region from any "
                + "of the providers in the chain")));
        assertEquals(Kind.INVALID, AwsErrors.classify(new NullPointerException()), "a bug does not heal");
        assertEquals(Kind.INVALID, AwsErrors.classify(new ExecutionException(new IllegalStateException("a bug"))));
    }

    @Test
    void credentialsThatCannotBeLoadedAreRecognisedByWhereTheyWereThrownNotByTheirMessage() {
        SdkClientException chain = thrownBy(() -> AwsCredentialsProviderChain.builder().credentialsProviders(() -> {
            throw SdkClientException.create("nothing here");
        }).build().resolveCredentials());
        SdkClientException profile = thrownBy(() -> ProfileCredentialsProvider.builder()
                .profileFile(ProfileFile.builder().content(new ByteArrayInputStream(new byte[0]))
                        .type(ProfileFile.Type.CREDENTIALS).build())
                .profileName("missing").build().resolveCredentials());
        for (SdkClientException e : List.of(chain, profile)) {
            assertTrue(AwsErrors.isCredentialsUnavailable(e), e.toString());
            assertTrue(AwsErrors.isCredentialsUnavailable(new CompletionException(e)), "wrapped");
            assertEquals(Kind.AUTH, AwsErrors.classify(AwsErrors.errorCodeOrType(e), e));
            assertEquals(Kind.AUTH, AwsErrors.classify(new CompletionException(e)));
        }
        // Same type, a message about credentials, but thrown by an HTTP failure: transient.
        SdkClientException network = SdkClientException.create("Unable to load credentials? no: Unable to execute "
                + "HTTP request: Connection refused");
        assertFalse(AwsErrors.isCredentialsUnavailable(network));
        assertEquals(Kind.TRANSIENT, AwsErrors.classify(network));
        // Without a stack trace only the SDK's wording can tell.
        SdkClientException bare = SdkClientException.create("Unable to load credentials from any of the providers");
        bare.setStackTrace(new StackTraceElement[0]);
        assertTrue(AwsErrors.isCredentialsUnavailable(bare));
    }

    @Test
    void codesAndMessagesOfFailedCalls() {
        AwsServiceException e = service("InternalFailure", 500);
        assertEquals("InternalFailure", AwsErrors.errorCode(new CompletionException(e)));
        assertEquals("InternalFailure", AwsErrors.errorCodeOrType(new CompletionException(e)));
        assertEquals("InternalFailure (details)", AwsErrors.errorMessage(e), "AWS's message, no request id");
        assertNull(AwsErrors.errorCode(new TimeoutException()));
        assertEquals("TimeoutException", AwsErrors.errorCodeOrType(new TimeoutException()));
        assertEquals("null", AwsErrors.errorMessage(new TimeoutException()));
        assertEquals("reset", AwsErrors.errorMessage(new IOException("reset")));
        IOException inner = new IOException();
        assertEquals(inner, AwsErrors.unwrap(new CompletionException(new ExecutionException(inner))));
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
