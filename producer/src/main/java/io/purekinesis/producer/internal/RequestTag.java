package io.purekinesis.producer.internal;

import software.amazon.awssdk.awscore.AwsRequest;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.ApiName;

/**
 * Marks every request the producer sends with the SDK {@link ApiName} {@value #API_NAME}. It shows in the
 * User-Agent, so the producer's calls can be told apart in CloudTrail and by an interceptor (the test kit's
 * {@code AwsCallRecorder} checks the README's IAM policy against them), also on a client the user passed in.
 */
public final class RequestTag {

    public static final String API_NAME = "purekinesis-producer";
    private static final AwsRequestOverrideConfiguration TAG = AwsRequestOverrideConfiguration.builder()
            .addApiName(ApiName.builder().name(API_NAME).version(version()).build())
            .build();

    private RequestTag() {
    }

    /** Returns {@code request} with the tag set; requests carry no other override configuration. */
    public static <B extends AwsRequest.Builder> B tag(B request) {
        request.overrideConfiguration(TAG);
        return request;
    }

    private static String version() {
        String version = RequestTag.class.getPackage().getImplementationVersion();
        return version != null ? version : "dev";
    }
}
