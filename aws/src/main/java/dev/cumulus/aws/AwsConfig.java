package dev.cumulus.aws;

import dev.cumulus.model.resources.CloudResources;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Where Cumulus's AWS services are: a region, an optional endpoint override per service (the local
 * stack, a real LocalStack, {@code moto_server}) and the prefix of its resources' physical names.
 * Without overrides the SDK's own endpoints and credential chain are used, as in Lambda and Fargate.
 */
public record AwsConfig(String region, Optional<URI> dynamoDbEndpoint, Optional<URI> sqsEndpoint,
                        Optional<URI> s3Endpoint, Optional<URI> lambdaEndpoint, Optional<URI> secretsManagerEndpoint,
                        String resourcePrefix) {

    /** Read from {@code CUMULUS_DYNAMODB_ENDPOINT}, …, {@code CUMULUS_SECRETSMANAGER_ENDPOINT}, {@code CUMULUS_RESOURCE_PREFIX} and {@code AWS_REGION}. */
    public static AwsConfig fromEnvironment(Map<String, String> env) {
        Function<String, Optional<URI>> uri = k -> Optional.ofNullable(env.get(k)).filter(v -> !v.isBlank()).map(URI::create);
        return new AwsConfig(env.getOrDefault("AWS_REGION", "us-east-1"), uri.apply("CUMULUS_DYNAMODB_ENDPOINT"),
                uri.apply("CUMULUS_SQS_ENDPOINT"), uri.apply("CUMULUS_S3_ENDPOINT"), uri.apply("CUMULUS_LAMBDA_ENDPOINT"),
                uri.apply("CUMULUS_SECRETSMANAGER_ENDPOINT"), env.getOrDefault("CUMULUS_RESOURCE_PREFIX", CloudResources.DEFAULT_PREFIX));
    }

    /** The variables {@link #fromEnvironment} reads, for handing this configuration to another process. */
    public Map<String, String> toEnvironment() {
        var env = new java.util.TreeMap<String, String>();
        env.put("AWS_REGION", region);
        env.put("CUMULUS_RESOURCE_PREFIX", resourcePrefix);
        dynamoDbEndpoint.ifPresent(u -> env.put("CUMULUS_DYNAMODB_ENDPOINT", u.toString()));
        sqsEndpoint.ifPresent(u -> env.put("CUMULUS_SQS_ENDPOINT", u.toString()));
        s3Endpoint.ifPresent(u -> env.put("CUMULUS_S3_ENDPOINT", u.toString()));
        lambdaEndpoint.ifPresent(u -> env.put("CUMULUS_LAMBDA_ENDPOINT", u.toString()));
        secretsManagerEndpoint.ifPresent(u -> env.put("CUMULUS_SECRETSMANAGER_ENDPOINT", u.toString()));
        return env;
    }

    /** True when every service is an emulator, which takes any credentials. */
    boolean emulated() {
        return dynamoDbEndpoint.isPresent() || sqsEndpoint.isPresent() || s3Endpoint.isPresent()
                || lambdaEndpoint.isPresent() || secretsManagerEndpoint.isPresent();
    }
}
