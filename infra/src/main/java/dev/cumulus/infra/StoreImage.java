package dev.cumulus.infra;

import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import software.amazon.awscdk.IgnoreMode;
import software.amazon.awscdk.RemovalPolicy;
import software.amazon.awscdk.services.ecr.assets.DockerImageAsset;
import software.amazon.awscdk.services.ecr.assets.Platform;
import software.amazon.awscdk.services.ecs.AwsLogDriverProps;
import software.amazon.awscdk.services.ecs.ContainerDefinition;
import software.amazon.awscdk.services.ecs.ContainerDefinitionOptions;
import software.amazon.awscdk.services.ecs.ContainerImage;
import software.amazon.awscdk.services.ecs.CpuArchitecture;
import software.amazon.awscdk.services.ecs.LinuxParameters;
import software.amazon.awscdk.services.ecs.LogDrivers;
import software.amazon.awscdk.services.ecs.TaskDefinition;
import software.amazon.awscdk.services.logs.LogGroup;
import software.constructs.Construct;

/**
 * The one container image of the proxy and the build-runners: cli/Dockerfile around the cumulus
 * jar, built by {@code cdk deploy} on the deploying machine (synth needs no Docker), for amd64 and,
 * when a runner pool runs on Graviton, for arm64 too (Docker's buildx on the deploying machine
 * builds the other architecture's image under emulation). Only the
 * Dockerfile and the jar are sent to Docker. {@link #addContainer} gives every container of it the
 * same footing: the installation's environment, logs with retention, the bucket and the signing key.
 */
public final class StoreImage extends Construct {
    private final Map<CpuArchitecture, DockerImageAsset> assets = new LinkedHashMap<>();
    private final InfraConfig config;
    private final StoreData data;
    private final StoreKeys keys;

    public StoreImage(Construct scope, String id, InfraConfig config, StoreData data, StoreKeys keys) {
        super(scope, id);
        if (!Files.isRegularFile(config.imageDirectory().resolve("target/cumulus.jar"))) {
            throw new IllegalStateException(config.imageDirectory().resolve("target/cumulus.jar") + " is missing: build it "
                    + "first (mvn -B package -DskipTests -pl cli -am; ./cumulus synth does)");
        }
        this.config = config;
        this.data = data;
        this.keys = keys;
        asset(CpuArchitecture.X86_64);
    }

    /** The image for {@code architecture}, made on first use. */
    private DockerImageAsset asset(CpuArchitecture architecture) {
        return assets.computeIfAbsent(architecture, arch -> DockerImageAsset.Builder
                .create(this, arch.equals(CpuArchitecture.X86_64) ? "Asset" : "AssetArm64")
                .directory(config.imageDirectory().toString())
                .ignoreMode(IgnoreMode.DOCKER)
                .exclude(List.of("*", "!Dockerfile", "!target", "target/*", "!target/cumulus.jar"))
                .platform(arch.equals(CpuArchitecture.X86_64) ? Platform.LINUX_AMD64 : Platform.LINUX_ARM64)
                .build());
    }

    /**
     * Adds to {@code task} (whose CPUs are {@code architecture}; with {@code linux}'s devices) the container {@code name} running {@code cumulus <command>}, told where
     * the installation is and which key signs (plus {@code moreEnvironment}), logging to a log group
     * {@code Logs} in {@code scope}; the task may read and write the bucket and the signing key (the
     * first task to start makes the key).
     */
    public ContainerDefinition addContainer(Construct scope, TaskDefinition task, CpuArchitecture architecture, String name,
                                            List<String> command, Map<String, String> moreEnvironment,
                                            java.util.Optional<LinuxParameters> linux) {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("CUMULUS_RESOURCE_PREFIX", config.prefix());
        env.put("CUMULUS_STORE_DIR", config.storeDir());
        env.put("CUMULUS_LAMBDA_ALIAS", StoreLambdas.ALIAS);
        env.put("CUMULUS_NAR_COMPRESSION", config.narCompression());
        env.put("CUMULUS_SIGNING_KEY_SECRET", keys.signingKey().getSecretArn());
        env.put("CUMULUS_SIGNING_KEY_NAME", config.signingKeyName());
        env.putAll(moreEnvironment);
        LogGroup logs = LogGroup.Builder.create(scope, "Logs").retention(config.logRetention())
                .removalPolicy(RemovalPolicy.DESTROY).build();
        ContainerDefinitionOptions.Builder options = ContainerDefinitionOptions.builder()
                .image(ContainerImage.fromDockerImageAsset(asset(architecture)))
                .command(command)
                .environment(env)
                .logging(LogDrivers.awsLogs(AwsLogDriverProps.builder().logGroup(logs).streamPrefix(name).build()));
        linux.ifPresent(options::linuxParameters);
        ContainerDefinition container = task.addContainer(name, options.build());
        data.bucket().grantReadWrite(task.getTaskRole());
        keys.signingKey().grantRead(task.getTaskRole());
        keys.signingKey().grantWrite(task.getTaskRole());
        return container;
    }
}
