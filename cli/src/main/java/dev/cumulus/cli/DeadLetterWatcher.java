package dev.cumulus.cli;

import dev.cumulus.model.event.BuildEvents.DeadLetter;
import dev.cumulus.model.event.BuildEvents.DeadLetters;
import dev.cumulus.model.event.BuildEvents.DeadLettersHandled;
import dev.cumulus.model.event.BuildEvents.ItemFailure;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import dev.cumulus.model.resources.CloudResources;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The local stand-in for the event source mapping that, in AWS, delivers the build queue's
 * dead-letter queue to the fail-dead-lettered-builds function: it receives batches, sends them in
 * the same shape, and deletes the messages the function handled.
 */
final class DeadLetterWatcher implements AutoCloseable {
    private final Thread thread;
    private volatile boolean closed;

    DeadLetterWatcher(SqsClient sqs, String prefix, StoreFunctionClient functions) {
        String url = sqs.getQueueUrl(g -> g.queueName(CloudResources.BUILD_REQUESTS_DEAD.physicalName(prefix))).queueUrl();
        this.thread = Thread.ofVirtual().start(() -> {
            while (!closed) {
                try {
                    List<Message> messages = sqs.receiveMessage(r -> r.queueUrl(url).waitTimeSeconds(2).maxNumberOfMessages(10))
                            .messages();
                    if (messages.isEmpty()) {
                        continue;
                    }
                    DeadLettersHandled handled = functions.call(StoreFunction.FAIL_DEAD_LETTERED_BUILDS, new DeadLetters(
                            messages.stream().map(m -> new DeadLetter(m.messageId(), m.body())).toList()));
                    Set<String> again = handled.batchItemFailures().stream().map(ItemFailure::itemIdentifier)
                            .collect(Collectors.toSet());
                    for (Message m : messages) {
                        if (!again.contains(m.messageId())) {
                            sqs.deleteMessage(d -> d.queueUrl(url).receiptHandle(m.receiptHandle()));
                        }
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
