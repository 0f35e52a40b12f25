package dev.cumulus.cli;

import dev.cumulus.localstack.LocalStack;
import dev.cumulus.model.resources.CloudResources;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./cumulus localstack}: the emulated AWS services alone, for running components against them. */
@Command(name = "localstack", mixinStandardHelpOptions = true,
        description = {"Starts DynamoDB Local, ElasticMQ (SQS) and S3Proxy on 127.0.0.1 with Cumulus's tables, queues "
                + "and bucket, prints the environment that points Cumulus at them, and runs until Ctrl-C."})
final class LocalStackCommand implements Callable<Integer> {
    @Option(names = "--state-dir", paramLabel = "DIR",
            description = "Keep tables and objects here across restarts (default: in memory).")
    Path stateDir;

    @Option(names = "--prefix", paramLabel = "P", defaultValue = CloudResources.DEFAULT_PREFIX,
            description = "Prefix of the resources' names (default: ${DEFAULT-VALUE}).")
    String prefix;

    @Override
    public Integer call() throws Exception {
        LocalStack stack = LocalStack.start(Optional.ofNullable(stateDir).map(d -> d.resolve("aws")), prefix);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.close();
            stopped.countDown();
        }));
        stack.config().toEnvironment().forEach((k, v) -> System.out.println("export " + k + "=" + v));
        System.out.println("# binary cache: " + stack.bucketUrl());
        System.out.flush();
        stopped.await();
        return 0;
    }
}
