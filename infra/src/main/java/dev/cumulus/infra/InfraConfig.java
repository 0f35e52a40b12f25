package dev.cumulus.infra;

import dev.cumulus.model.build.RunnerPools;
import dev.cumulus.model.resources.CloudResources;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import software.amazon.awscdk.Aws;
import software.amazon.awscdk.services.logs.RetentionDays;
import software.constructs.Node;

/**
 * What one installation is configured with: CDK context values ({@code -c key=value}, cdk.json or
 * cdk.context.json), each with a default. {@link #KEYS} lists them; README.md "Deploy to AWS" explains them.
 *
 * @param prefix              physical names' prefix ({@code prefix} + {@code paths}, …, + {@code store} for
 *                            the bucket, whose name is global: the default carries the account and region)
 * @param repositoryRoot      the checkout: the function zip and the container image come from its build output
 * @param publicCache         who may read the bucket as a binary cache besides Cumulus itself
 * @param authorizedKeys      SSH public keys allowed to connect to the proxy, as authorized_keys lines
 * @param substituters        binary caches the store fetches what it lacks from (http(s):// or s3://), in
 *                            priority order; none by default
 * @param collectionMemoryMb the collection-steps function's memory: a collection's plan holds the store's
 *                            scan (550 to 660 bytes a path at its peak), so 10,240 MB (Lambda's most, a heap of 85 %)
 *                            plans about 10^7 paths; billed only while a collection runs
 * @param runnerPools         the build-runner pools ({@link RunnerPools#parse}, with {@link RunnerPoolSize}'s
 *                            settings), {@link #DEFAULT_RUNNER_POOLS} by default
 */
public record InfraConfig(String prefix, Optional<String> region, Path repositoryRoot, String storeDir,
                          int lambdaMemoryMb, int collectionMemoryMb, int proxyCpu, int proxyMemoryMb, int proxyTasks, int sshPort,
                          String sshAllowedCidr, List<String> authorizedKeys, RunnerPools runnerPools, PublicCache publicCache,
                          Optional<String> cacheDomain, Optional<String> cacheCertificateArn, RetentionDays logRetention,
                          int buildLogRetentionDays, List<String> trustedPublicKeys, List<String> substituters,
                          String signingKeyName,
                          Optional<String> alarmEmail, String narCompression) {

    /** Who reads the store bucket as a Nix binary cache. */
    public enum PublicCache {
        /** Only Cumulus (and whoever is granted access in IAM). */
        NONE,
        /** Anyone, straight from the bucket's HTTPS endpoint: {@code nix-cache-info}, narinfos, NARs, realisations. */
        BUCKET,
        /** Anyone, through a CloudFront distribution in front of the private bucket. */
        CLOUDFRONT
    }

    /** The context keys: one per component, named as it is. */
    public static final List<String> KEYS = Arrays.stream(InfraConfig.class.getRecordComponents())
            .map(RecordComponent::getName).toList();

    public InfraConfig {
        authorizedKeys = List.copyOf(authorizedKeys);
        trustedPublicKeys = List.copyOf(trustedPublicKeys);
        substituters = List.copyOf(substituters);
        if (!prefix.contains("${Token") && !prefix.matches("[a-z0-9][a-z0-9.-]*-")) {
            throw new IllegalArgumentException("prefix '" + prefix + "' must be lower-case letters, digits and '-', ending in '-'"
                    + " (it starts bucket, table, queue and function names)");
        }
        if (cacheDomain.isPresent() != cacheCertificateArn.isPresent()) {
            throw new IllegalArgumentException("cacheDomain and cacheCertificateArn go together (the certificate, in "
                    + "us-east-1, must cover the domain)");
        }
        if (cacheDomain.isPresent() && publicCache != PublicCache.CLOUDFRONT) {
            throw new IllegalArgumentException("cacheDomain needs publicCache=cloudfront");
        }
        runnerPools.pools().forEach(RunnerPoolSize::of); // each pool's deployment settings are checked here
    }

    /**
     * The runner pools unless {@code runnerPools} says otherwise: x86_64 (and i686) and aarch64 on
     * 2 vCPU Fargate tasks (Graviton costs less), and big-parallel builds on 8 vCPU tasks. The
     * general x86_64 pool comes first, so only builds that require big-parallel get the large tasks.
     */
    public static final String DEFAULT_RUNNER_POOLS = "x86_64 systems=x86_64-linux,i686-linux features=benchmark max=10; "
            + "aarch64 systems=aarch64-linux features=benchmark max=10; "
            + "big-parallel systems=x86_64-linux,i686-linux features=benchmark,big-parallel cpu=8192 memoryMb=32768 max=4";

    /** The configuration the context of {@code node} gives, defaults elsewhere. */
    public static InfraConfig fromContext(Node node) {
        Function<String, Optional<String>> text = key -> Optional.ofNullable(node.tryGetContext(key))
                .map(InfraConfig::asText).filter(v -> !v.isBlank());
        Function<String, Optional<Integer>> number = key -> text.apply(key).map(v -> {
            try {
                return Integer.parseInt(v.trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("context '" + key + "' must be a whole number, not '" + v + "'");
            }
        });
        Function<String, List<String>> lines = key -> text.apply(key)
                .map(v -> Arrays.stream(v.split("[\\n,]")).map(String::trim).filter(l -> !l.isEmpty()).toList())
                .orElse(List.of());
        return new InfraConfig(
                text.apply("prefix").orElse("cumulus-" + Aws.ACCOUNT_ID + "-" + Aws.REGION + "-"),
                text.apply("region"),
                Path.of(text.apply("repositoryRoot").orElse(System.getProperty("cumulus.root", ".."))).toAbsolutePath().normalize(),
                text.apply("storeDir").orElse("/nix/store"),
                number.apply("lambdaMemoryMb").orElse(1024),
                number.apply("collectionMemoryMb").orElse(10240),
                number.apply("proxyCpu").orElse(512),
                number.apply("proxyMemoryMb").orElse(1024),
                number.apply("proxyTasks").orElse(1),
                number.apply("sshPort").orElse(22),
                text.apply("sshAllowedCidr").orElse("0.0.0.0/0"),
                lines.apply("authorizedKeys"),
                RunnerPools.parse(text.apply("runnerPools").orElse(DEFAULT_RUNNER_POOLS), RunnerPoolSize::defaultCores),
                PublicCache.valueOf(text.apply("publicCache").orElse("none").toUpperCase(Locale.ROOT)),
                text.apply("cacheDomain"),
                text.apply("cacheCertificateArn"),
                RetentionDays.valueOf(text.apply("logRetention").orElse("ONE_MONTH").toUpperCase(Locale.ROOT)),
                number.apply("buildLogRetentionDays").orElse(90),
                text.apply("trustedPublicKeys").map(v -> List.of(v.trim().split("\\s+"))).orElse(List.of()),
                text.apply("substituters").map(v -> List.of(v.trim().split("\\s+"))).orElse(List.of()),
                text.apply("signingKeyName").orElse(CloudResources.DEFAULT_SIGNING_KEY_NAME),
                text.apply("alarmEmail"),
                text.apply("narCompression").orElse("zstd"));
    }

    /** The functions' zip as {@code mvn package} leaves it. */
    public Path functionsZip() {
        return repositoryRoot.resolve("functions/lambda/target/function.zip");
    }

    /** The folder the container image builds from: its Dockerfile and the cumulus jar. */
    public Path imageDirectory() {
        return repositoryRoot.resolve("cli");
    }

    private static String asText(Object value) {
        if (value instanceof List<?> list) {
            return String.join("\n", list.stream().map(String::valueOf).toList());
        }
        return String.valueOf(value);
    }
}
