package dev.cumulus.cli;

import dev.cumulus.model.event.BuildEvents.FailBuild;
import dev.cumulus.model.event.BuildEvents.QueuedBuild;
import dev.cumulus.model.event.EventJson;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.resources.CloudResources;
import dev.cumulus.model.wire.BuildStatus;
import java.nio.charset.StandardCharsets;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Fails the builds whose messages reached the dead-letter queue (no runner finished them in
 * {@code maxReceiveCount} attempts), so that their clients get an error instead of waiting forever.
 * In AWS the dead-letter queue triggers the fail-build function the same way.
 */
final class DeadLetterWatcher implements AutoCloseable {
    private final Thread thread;
    private volatile boolean closed;

    DeadLetterWatcher(SqsClient sqs, String prefix, StoreFunctionClient functions) {
        String url = sqs.getQueueUrl(g -> g.queueName(CloudResources.BUILD_REQUESTS_DEAD.physicalName(prefix))).queueUrl();
        int attempts = CloudResources.BUILD_REQUESTS.maxReceiveCount();
        this.thread = Thread.ofVirtual().start(() -> {
            while (!closed) {
                try {
                    for (Message m : sqs.receiveMessage(r -> r.queueUrl(url).waitTimeSeconds(2).maxNumberOfMessages(10)).messages()) {
                        QueuedBuild build = EventJson.read(m.body().getBytes(StandardCharsets.UTF_8), QueuedBuild.class);
                        functions.call(StoreFunction.FAIL_BUILD, new FailBuild(build.id(), BuildStatus.MISC_FAILURE.jsonName(),
                                "failed: no build-runner finished it in " + attempts + " attempts"));
                        sqs.deleteMessage(d -> d.queueUrl(url).receiptHandle(m.receiptHandle()));
                    }
                } catch (RuntimeException e) {
                    if (!closed) {
                        System.err.println("cumulus local: handling dead-lettered builds: " + e.getMessage());
                    }
                }
            }
        });
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
    }
}
