package dev.cumulus.infra;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.IgnoreMode;
import software.amazon.awscdk.services.ecr.assets.DockerImageAsset;
import software.amazon.awscdk.services.ecr.assets.Platform;
import software.constructs.Construct;

/**
 * The one container image of the proxy and the build-runners: cli/Dockerfile around the cumulus
 * jar, built by {@code cdk deploy} on the deploying machine (synth needs no Docker). Only the
 * Dockerfile and the jar are sent to Docker.
 */
public final class StoreImage extends Construct {
    private final DockerImageAsset asset;

    public StoreImage(Construct scope, String id, InfraConfig config) {
        super(scope, id);
        if (!Files.isRegularFile(config.imageDirectory().resolve("target/cumulus.jar"))) {
            throw new IllegalStateException(config.imageDirectory().resolve("target/cumulus.jar") + " is missing: build it "
                    + "first (mvn -B package -DskipTests -pl cli -am; ./cumulus synth does)");
        }
        asset = DockerImageAsset.Builder.create(this, "Asset")
                .directory(config.imageDirectory().toString())
                .ignoreMode(IgnoreMode.DOCKER)
                .exclude(List.of("*", "!Dockerfile", "!target", "target/*", "!target/cumulus.jar"))
                .platform(Platform.LINUX_AMD64)
                .build();
    }

    /** What every container of the image is told: where the installation is and which key signs. */
    public static Map<String, String> environment(InfraConfig config, StoreKeys keys) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CUMULUS_RESOURCE_PREFIX", config.prefix());
        env.put("CUMULUS_STORE_DIR", config.storeDir());
        env.put("CUMULUS_LAMBDA_ALIAS", StoreLambdas.ALIAS);
        env.put("CUMULUS_NAR_COMPRESSION", config.narCompression());
        env.put("CUMULUS_SIGNING_KEY_SECRET", keys.signingKey().getSecretArn());
        env.put("CUMULUS_SIGNING_KEY_NAME", config.signingKeyName());
        return env;
    }

    public DockerImageAsset asset() {
        return asset;
    }
}
