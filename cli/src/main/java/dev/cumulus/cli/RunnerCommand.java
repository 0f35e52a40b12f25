package dev.cumulus.cli;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.AwsConfig;
import dev.cumulus.aws.S3Bucket;
import dev.cumulus.aws.StoreSigningKey;
import dev.cumulus.functions.FunctionsConfig;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.store.StoreDir;
import dev.cumulus.runner.BuildRunner;
import dev.cumulus.runner.ScaleInProtection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code ./cumulus runner}: one build-runner, as the Fargate task runs it. AWS endpoints and the
 * functions' settings come from the environment ({@code CUMULUS_SQS_ENDPOINT}, …), the store's
 * signing key from {@code CUMULUS_SIGNING_KEY_FILE}; {@code cumulus local} starts these itself.
 */
@Command(name = "runner", mixinStandardHelpOptions = true,
        description = "Runs a build-runner of one runner pool: takes builds off the pool's queues and runs them under "
                + "bubblewrap until stopped.")
final class RunnerCommand implements Callable<Integer> {
    @Option(names = "--work-dir", paramLabel = "DIR", defaultValue = "runner",
            description = "Where inputs are cached and builds run (default: ${DEFAULT-VALUE}).")
    Path workDir;

    @Option(names = "--pool", paramLabel = "NAME", defaultValue = dev.cumulus.model.build.RunnerPools.DEFAULT_NAME,
            description = "The runner pool whose builds to take (default: ${DEFAULT-VALUE}).")
    String pool;

    @Option(names = "--name", paramLabel = "NAME", description = "The runner's name in the builds table (default: host and pid).")
    String name;

    @Option(names = "--sandbox-path", paramLabel = "PATH", split = ",",
            defaultValue = "/bin,/usr,/lib,/lib64",
            description = "Host paths builders see read-only, as Nix's sandbox-paths (default: ${DEFAULT-VALUE}).")
    List<String> sandboxPaths;

    @Option(names = "--visibility", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long a taken build stays hidden from other runners between the runner's renewals "
                    + "(default: ${DEFAULT-VALUE}).")
    int visibilitySeconds;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "1",
            description = "How many builds to run at once, each from its own message (default: ${DEFAULT-VALUE}).")
    int jobs;

    @Option(names = "--functions", paramLabel = "WHERE", defaultValue = "in-process",
            converter = StoreFunctionsOption.Converter.class,
            description = "Where the store functions run: in-process (against DynamoDB) or lambda (default: ${DEFAULT-VALUE}).")
    StoreFunctionsOption functionsOption;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (functionsOption == StoreFunctionsOption.NONE) {
            throw new ParameterException(spec.commandLine(), "a runner needs the store functions: --functions in-process or lambda");
        }
        // A line per build (where its time went) belongs in the runner's log.
        ProxyCommand.quietLibrariesBut("dev.cumulus.runner");
        Map<String, String> env = System.getenv();
        AwsClients clients = new AwsClients(AwsConfig.fromEnvironment(env));
        StoreDir storeDir = FunctionsConfig.fromEnvironment(env).storeDir();
        String prefix = clients.config().resourcePrefix();
        BuildRunner.PoolQueues queues = new BuildRunner.PoolQueues(
                queueUrl(clients, CloudResources.buildRequests(pool).physicalName(prefix)),
                queueUrl(clients, CloudResources.batchBuildRequests(pool).physicalName(prefix)));
        BuildRunner.Config config = new BuildRunner.Config(
                name != null ? name : java.net.InetAddress.getLocalHost().getHostName() + "-" + ProcessHandle.current().pid(),
                workDir.toAbsolutePath(), sandboxPaths, Duration.ofSeconds(visibilitySeconds),
                StoreFunctionsOption.compression(env),
                StoreSigningKey.fromEnvironment(env), jobs);
        try (BuildRunner runner = new BuildRunner(clients.sqs(), queues,
                new S3Bucket(clients.s3(), CloudResources.STORE_BUCKET.physicalName(prefix)),
                new StoreFunctionClient(functionsOption.invoker(clients, storeDir, env)), config,
                ScaleInProtection.fromEnvironment(env))) {
            Runtime.getRuntime().addShutdownHook(new Thread(runner::close));
            System.err.println("cumulus runner " + config.name() + " of pool " + pool + ": taking builds from "
                    + queues.clientBuilds() + ", then " + queues.batchBuilds());
            runner.run();
        }
        return 0;
    }

    private String queueUrl(AwsClients clients, String name) {
        try {
            return clients.sqs().getQueueUrl(g -> g.queueName(name)).queueUrl();
        } catch (software.amazon.awssdk.services.sqs.model.QueueDoesNotExistException e) {
            throw new ParameterException(spec.commandLine(), "runner pool '" + pool + "' has no queue " + name
                    + ": the store has no such pool");
        }
    }
}
