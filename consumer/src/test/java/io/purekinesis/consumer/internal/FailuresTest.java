package io.purekinesis.consumer.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.purekinesis.consumer.internal.Failures.Kind;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.profiles.ProfileFile;
import software.amazon.awssdk.services.dynamodb.model.DynamoDbException;
import software.amazon.awssdk.services.dynamodb.model.ListTablesRequest;
import software.amazon.awssdk.services.kinesis.model.ExpiredIteratorException;
import software.amazon.awssdk.services.kinesis.model.KinesisException;
import software.amazon.awssdk.services.kinesis.model.ProvisionedThroughputExceededException;
import software.amazon.awssdk.services.kinesis.model.ResourceNotFoundException;

class FailuresTest {

    private static DynamoDbException dynamo(String code, int status) {
        return (DynamoDbException) DynamoDbException.builder().statusCode(status).message(code)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).build()).build();
    }

    private static KinesisException kinesis(String code, int status) {
        return (KinesisException) KinesisException.builder().statusCode(status).message(code)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).build()).build();
    }

    @Test
    void oneClassificationForEveryConsumerError() {
        for (String code : new String[] {"AccessDeniedException", "UnrecognizedClientException",
                "ExpiredTokenException", "InvalidSignatureException", "MissingAuthenticationTokenException",
                "KMSAccessDeniedException"}) {
            assertEquals(Kind.AUTH, Failures.classify(dynamo(code, 400)), code);
            assertEquals(Kind.AUTH, Failures.classify(kinesis(code, 400)), code);
        }
        assertEquals(Kind.AUTH, Failures.classify(kinesis("Forbidden", 403)));
        // Credentials that cannot be loaded are known by the provider frames that threw, not by wording (AwsErrors)
        SdkClientException noCredentials = null;
        try {
            ProfileCredentialsProvider.builder().profileFile(ProfileFile.builder()
                    .content(new ByteArrayInputStream(new byte[0])).type(ProfileFile.Type.CREDENTIALS).build())
                    .profileName("prod").build().resolveCredentials();
        } catch (SdkClientException e) {
            noCredentials = e;
        }
        assertEquals(Kind.AUTH, Failures.classify(new CompletionException(noCredentials)));
        assertTrue(Failures.describe(noCredentials).contains("No AWS credentials could be loaded"),
                Failures.describe(noCredentials));
        assertEquals(Kind.TRANSIENT, Failures.classify(SdkClientException.create("Unable to execute HTTP request: "
                + "connect timed out (while fetching credentials? no)")), "a connection error mentioning them");
        assertEquals(Kind.FATAL, Failures.classify(SdkClientException.create("Unable to load region")));
        assertEquals(Kind.TRANSIENT, Failures.classify(SdkClientException.create("connection refused")));
        assertEquals(Kind.TRANSIENT, Failures.classify(ApiCallTimeoutException.create(1000)));
        assertEquals(Kind.TRANSIENT, Failures.classify(ProvisionedThroughputExceededException.builder()
                .statusCode(400).build()));
        assertEquals(Kind.TRANSIENT, Failures.classify(kinesis("LimitExceededException", 400)));
        assertEquals(Kind.TRANSIENT, Failures.classify(dynamo("ThrottlingException", 400)));
        assertEquals(Kind.TRANSIENT, Failures.classify(dynamo("InternalServerError", 500)));
        assertEquals(Kind.TRANSIENT, Failures.classify(new IOException("reset")));
        assertEquals(Kind.FATAL, Failures.classify(ResourceNotFoundException.builder().statusCode(400).build()));
        assertEquals(Kind.FATAL, Failures.classify(dynamo("ValidationException", 400)));
        assertEquals(Kind.FATAL, Failures.classify(kinesis("KMSDisabledException", 400)));
        assertEquals(Kind.FATAL, Failures.classify(ExpiredIteratorException.builder().statusCode(400).build()));
        assertEquals(Kind.FATAL, Failures.classify(dynamo(null, 400)), "no error code");
        assertEquals(Kind.FATAL, Failures.classify(new IllegalStateException("a bug")));
    }

    @Test
    void wrappersAreSeenThroughAndTheCallIsNamed() {
        DynamoDbException denied = dynamo("AccessDeniedException", 400);
        CompletableFuture<Object> f = AwsCalls.call("dynamodb:Scan", "lease table app",
                ListTablesRequest.builder().build(), r -> CompletableFuture.failedFuture(denied));
        CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class, f::join);
        assertSame(denied, Failures.sdkCause(e));
        assertEquals(Kind.AUTH, Failures.classify(e));
        AwsCallException call = Failures.call(e);
        assertEquals("dynamodb:Scan", call.operation());
        assertEquals("lease table app", call.resource());
        String d = Failures.describe(e);
        assertTrue(d.startsWith("dynamodb:Scan on lease table app failed: ") && d.contains("grant dynamodb:Scan on "
                + "lease table app") && d.contains("credentialsProvider"), d);
        assertEquals(Failures.signature(e), Failures.signature(new CompletionException(new AwsCallException(
                "dynamodb:Scan", "lease table app", dynamo("AccessDeniedException", 400)))),
                "the same error, whatever the message and request id");
    }

    @Test
    void aClientThatThrowsInsteadOfFailingTheFutureIsStillNamed() {
        CompletableFuture<Object> f = AwsCalls.call("kinesis:ListShards", "stream s",
                ListTablesRequest.builder().build(), r -> {
                    throw SdkClientException.create("Unable to load region");
                });
        CompletionException e = org.junit.jupiter.api.Assertions.assertThrows(CompletionException.class, f::join);
        assertEquals("kinesis:ListShards", Failures.call(e).operation());
        assertEquals(Kind.FATAL, Failures.classify(e));
    }
}
