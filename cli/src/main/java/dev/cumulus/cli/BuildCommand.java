package dev.cumulus.cli;

import dev.cumulus.aws.AwsClients;
import dev.cumulus.aws.AwsConfig;
import dev.cumulus.functions.SqsJobQueue;
import dev.cumulus.model.event.FunctionFailedException;
import dev.cumulus.model.event.GraphEvents.SubmissionQuery;
import dev.cumulus.model.event.GraphEvents.SubmissionState;
import dev.cumulus.model.event.GraphEvents.SubmitGraph;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.resources.CloudResources;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code ./cumulus build DRV_PATH}: submits a derivation that is in the store to the build graph
 * as a pipeline would, a message on the {@code build-submissions} queue, then waits for its end
 * and prints the outputs' paths. The graph runs in the store's functions, not in this process:
 * with {@code --no-wait} it prints the submission's id and leaves, and the build goes on.
 */
@Command(name = "build", mixinStandardHelpOptions = true,
        description = "Submits a derivation that is in the store to the build graph, waits for it and prints its outputs.")
final class BuildCommand implements Callable<Integer> {
    /** How long a submission may stay unheard of (the queue's consumer is the running Cumulus). */
    static final Duration PICKUP = Duration.ofSeconds(60);

    @Parameters(paramLabel = "DRV_PATH", description = "The derivation's store path.")
    String drvPath;

    @Option(names = "--outputs", split = ",", description = "The outputs wanted (default: all).")
    List<String> outputs = new ArrayList<>();

    @Option(names = "--no-wait", description = "Print the submission's id and return; the build goes on.")
    boolean noWait;

    @Mixin
    StateDirOption state;

    @Override
    public Integer call() throws Exception {
        ProxyCommand.quietLibraries();
        Map<String, String> env = state.environment();
        AwsConfig aws = AwsConfig.fromEnvironment(env);
        String id = UUID.randomUUID().toString();
        SubmitGraph submission = SubmitGraph.ofEvent(id, drvPath, outputs.isEmpty() ? List.of("*") : outputs);
        new SqsJobQueue<SubmitGraph>(new AwsClients(aws).sqs(), CloudResources.BUILD_SUBMISSIONS.physicalName(aws.resourcePrefix()))
                .send(submission);
        if (noWait) {
            System.out.println(id);
            return 0;
        }
        SubmissionState ended = awaitEnd(state.functions(), id);
        if (SubmissionState.BUILT.equals(ended.status())) {
            ended.outputPaths().values().stream().sorted().forEach(System.out::println);
            return 0;
        }
        System.err.println("error: " + (ended.error() == null ? "building '" + drvPath + "' " + ended.status() : ended.error()));
        if (ended.failingBuild() != null) {
            System.err.println("failing step: " + ended.failingStep() + "; its log: 'cumulus builds log "
                    + ended.failingBuild() + "', or " + ended.failingLog() + " in the store bucket");
        } else if (ended.failingStep() != null) {
            System.err.println("failing step: " + ended.failingStep());
        }
        return 1;
    }

    /** Polls the submission until it ends; it is unknown until the queue's consumer has taken it. */
    private static SubmissionState awaitEnd(StoreFunctionClient functions, String id) throws InterruptedException {
        long unheardUntil = System.nanoTime() + PICKUP.toNanos();
        long wait = 50;
        while (true) {
            try {
                SubmissionState s = functions.call(StoreFunction.QUERY_SUBMISSION, new SubmissionQuery(id));
                if (s.finished()) {
                    return s;
                }
            } catch (FunctionFailedException e) {
                if (e.getMessage() == null || !e.getMessage().startsWith("there is no build submission")) {
                    throw e;
                }
                if (System.nanoTime() > unheardUntil) {
                    throw new IllegalStateException("submission " + id + " was not taken from the build-submissions queue within "
                            + PICKUP.toSeconds() + " s: is Cumulus running?");
                }
            }
            Thread.sleep(wait);
            wait = Math.min(1000, wait * 3 / 2);
        }
    }
}
