package dev.cumulus.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds the SDK clients for an {@link AwsConfig}. Every client retries throttling and transient
 * errors with the SDK's standard backoff; against emulators, credentials are fixed placeholders.
 */
public final class AwsClients {
    private final AwsConfig config;

    public AwsClients(AwsConfig config) {
        this.config = config;
    }

    public AwsConfig config() {
        return config;
    }

    public DynamoDbClient dynamoDb() {
        return configure(DynamoDbClient.builder(), config.dynamoDbEndpoint()).httpClient(http()).build();
    }

    public SqsClient sqs() {
        return configure(SqsClient.builder(), config.sqsEndpoint()).httpClient(http()).build();
    }

    /** Path-style addressing when the endpoint is overridden: emulators serve one host name. */
    public S3Client s3() {
        return configure(S3Client.builder(), config.s3Endpoint()).httpClient(http())
                .forcePathStyle(config.s3Endpoint().isPresent()).build();
    }

    AwsCredentialsProvider credentials() {
        return config.emulated() && System.getenv("AWS_ACCESS_KEY_ID") == null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create("cumulus", "cumulus"))
                : DefaultCredentialsProvider.builder().build();
    }

    private <B extends AwsClientBuilder<B, ?>> B configure(B builder, Optional<URI> endpoint) {
        endpoint.ifPresent(builder::endpointOverride);
        return builder.region(Region.of(config.region())).credentialsProvider(credentials())
                .overrideConfiguration(ClientOverrideConfiguration.builder()
                        .retryStrategy(RetryMode.STANDARD)
                        .apiCallTimeout(Duration.ofSeconds(60))
                        .build());
    }

    static SdkHttpClient http() {
        return UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(Duration.ofSeconds(60)).build();
    }
}
