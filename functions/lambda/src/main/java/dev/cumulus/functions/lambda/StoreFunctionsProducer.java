package dev.cumulus.functions.lambda;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.AwsConfig;
import dev.cumulus.aws.S3Bucket;
import dev.cumulus.functions.BinaryCacheIngest;
import dev.cumulus.functions.FunctionsConfig;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.functions.dashboard.Dashboard;
import dev.cumulus.model.metrics.EmbeddedMetricFormat;
import dev.cumulus.model.resources.CloudResources;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.eclipse.microprofile.config.Config;
import org.eclipse.microprofile.config.ConfigProvider;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Builds the one {@link StoreFunctions} of this Lambda from its configuration: the same variables
 * every Cumulus component reads ({@code CUMULUS_DYNAMODB_ENDPOINT}, …), which Quarkus also accepts
 * as properties ({@code cumulus.dynamodb.endpoint}, …).
 */
@ApplicationScoped
public class StoreFunctionsProducer {
    private static final List<String> VARIABLES = List.of("AWS_REGION", "CUMULUS_DYNAMODB_ENDPOINT",
            "CUMULUS_SQS_ENDPOINT", "CUMULUS_S3_ENDPOINT", "CUMULUS_LAMBDA_ENDPOINT", "CUMULUS_SECRETSMANAGER_ENDPOINT",
            "CUMULUS_RESOURCE_PREFIX", "CUMULUS_STORE_DIR", "CUMULUS_TRUSTED_PUBLIC_KEYS", "CUMULUS_SUBSTITUTERS",
            "CUMULUS_BUILD_TIMEOUT", "CUMULUS_BUILD_MAX_SILENT_TIME", "CUMULUS_GC_GRACE", "CUMULUS_SIGNING_KEY_SECRET",
            "CUMULUS_SIGNING_KEY_NAME", "CUMULUS_NAR_COMPRESSION", "CUMULUS_STALLED_DOWNLOAD_TIMEOUT", "CUMULUS_EVENT_BUS",
            "CUMULUS_EVENTS_ENDPOINT");

    private final Map<String, String> env = environment();

    @Produces
    @ApplicationScoped
    StoreFunctions storeFunctions() {
        return StoreFunctions.of(new AwsClients(AwsConfig.fromEnvironment(env)), FunctionsConfig.fromEnvironment(env), env,
                EmbeddedMetricFormat.to(System.out));
    }

    /** The ingest of binary-cache uploads: from the uploads bucket into the store bucket, both named by the resource prefix. */
    @Produces
    @ApplicationScoped
    BinaryCacheIngest binaryCacheIngest(StoreFunctions functions) {
        AwsConfig aws = AwsConfig.fromEnvironment(env);
        S3Client s3 = new AwsClients(aws).s3();
        FunctionsConfig config = FunctionsConfig.fromEnvironment(env);
        return new BinaryCacheIngest(new S3Bucket(s3, CloudResources.UPLOADS_BUCKET.physicalName(aws.resourcePrefix())),
                new S3Bucket(s3, CloudResources.STORE_BUCKET.physicalName(aws.resourcePrefix())), functions, config.storeDir(),
                config.narCompression());
    }

    /** The dashboard over the same installation's tables and bucket. */
    @Produces
    @ApplicationScoped
    Dashboard dashboard() {
        AwsConfig aws = AwsConfig.fromEnvironment(env);
        return Dashboard.of(new AwsClients(aws), aws.resourcePrefix(), FunctionsConfig.fromEnvironment(env).storeDir(),
                Optional.empty());
    }

    private static Map<String, String> environment() {
        Config config = ConfigProvider.getConfig();
        Map<String, String> env = new HashMap<>();
        for (String variable : VARIABLES) {
            config.getOptionalValue(variable.toLowerCase(Locale.ROOT).replace('_', '.'), String.class)
                    .ifPresent(v -> env.put(variable, v));
        }
        return env;
    }
}
