package dev.cumulus.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * Builds the SDK clients for an {@link AwsConfig}. Every client retries throttling and transient
 * errors with the SDK's standard backoff; against emulators, credentials are fixed placeholders.
 */
public final class AwsClients {
    /**
     * Idle connections the HTTP clients keep open to each server. The URL-connection client leaves
     * them to the JDK's cache, which keeps five unless told otherwise; the store writes dozens of
     * objects and items at once (a registration's narinfos, a substitution's fetches), so all but
     * five of those connections were opened for one request and closed after it: a 1,000-path copy
     * into the local stack opened and closed about 480, each a TCP handshake and a server's set-up.
     */
    static final int KEPT_CONNECTIONS = 128;

    static {
        // The JDK reads it once, when its first connection is kept: before any client here exists.
        if (System.getProperty("http.maxConnections") == null) {
            System.setProperty("http.maxConnections", Integer.toString(KEPT_CONNECTIONS));
        }
    }

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

    public SecretsManagerClient secretsManager() {
        return configure(SecretsManagerClient.builder(), config.secretsManagerEndpoint()).httpClient(http()).build();
    }

    public SqsClient sqs() {
        return configure(SqsClient.builder(), config.sqsEndpoint()).httpClient(http()).build();
    }

    /**
     * Path-style addressing when the endpoint is overridden: emulators serve one host name. Checksums
     * only where S3 requires them: every NAR is checked against its SHA-256 on the way in and on the
     * way out, so the SDK's own CRC or MD5 over each part would only cost a second pass over the bytes.
     */
    public S3Client s3() {
        S3ClientBuilder builder = configure(S3Client.builder(), config.s3Endpoint());
        if (placeholderCredentials()) {
            // The local S3 needs no credentials, and an unsigned request skips the SHA-256 over every
            // byte that SigV4 demands of a signed upload over plain HTTP (S3 proper is reached by HTTPS).
            builder.credentialsProvider(AnonymousCredentialsProvider.create());
        }
        return builder.httpClient(http())
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .forcePathStyle(config.s3Endpoint().isPresent()).build();
    }

    /**
     * A client for the bucket of a Nix {@code s3://BUCKET?region=…&endpoint=…&scheme=…&profile=…}
     * store URL (a substituter): its region (default us-east-1, as Nix's), endpoint (path-style then)
     * and credentials (the profile's, else the default chain, else anonymous, for public buckets).
     */
    public static S3Client s3ForStoreUrl(URI url, Duration socketTimeout) {
        java.util.Map<String, String> params = new java.util.HashMap<>();
        if (url.getRawQuery() != null) {
            for (String pair : url.getRawQuery().split("&")) {
                int eq = pair.indexOf('=');
                if (eq > 0) {
                    params.put(pair.substring(0, eq), java.net.URLDecoder.decode(pair.substring(eq + 1),
                            java.nio.charset.StandardCharsets.UTF_8));
                }
            }
        }
        S3ClientBuilder builder = S3Client.builder().region(Region.of(params.getOrDefault("region", "us-east-1")))
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(socketTimeout).build())
                .overrideConfiguration(ClientOverrideConfiguration.builder().retryStrategy(RetryMode.STANDARD).build())
                .credentialsProvider(params.containsKey("profile")
                        ? software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider.create(params.get("profile"))
                        : software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain.of(
                                DefaultCredentialsProvider.builder().build(), AnonymousCredentialsProvider.create()));
        String endpoint = params.get("endpoint");
        if (endpoint != null && !endpoint.isBlank()) {
            String scheme = params.getOrDefault("scheme", "https");
            builder.endpointOverride(URI.create(endpoint.contains("://") ? endpoint : scheme + "://" + endpoint))
                    .forcePathStyle(true);
        }
        return builder.build();
    }

    AwsCredentialsProvider credentials() {
        return placeholderCredentials()
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create("cumulus", "cumulus"))
                : DefaultCredentialsProvider.builder().build();
    }

    private boolean placeholderCredentials() {
        return config.emulated() && System.getenv("AWS_ACCESS_KEY_ID") == null;
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
        return http(Duration.ofSeconds(60));
    }

    /** An HTTP client that waits up to {@code socketTimeout} for a response's bytes. */
    static SdkHttpClient http(Duration socketTimeout) {
        return UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
                .socketTimeout(socketTimeout).build();
    }
}
