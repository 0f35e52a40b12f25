package dev.cumulus.cli;

import dev.cumulus.model.event.QueueEvents.ItemFailure;
import dev.cumulus.model.event.QueueEvents.MessagesHandled;
import dev.cumulus.model.event.QueueEvents.QueueMessage;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import dev.cumulus.model.event.StoreFunction;
import dev.cumulus.model.event.StoreFunctionClient;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The local stand-in for an SQS event source mapping, which in AWS delivers a queue's messages to a
 * function: it receives batches, sends them to the function in the same shape, and deletes the
 * messages the function handled (the others come back after their visibility timeout).
 */
final class QueueEventSource implements AutoCloseable {
    private final List<Thread> pollers = new ArrayList<>();
    private volatile boolean closed;

    /** Batches of up to ten messages, one invocation at a time. */
    QueueEventSource(SqsClient sqs, String queueName, StoreFunction<QueueMessages, MessagesHandled> function,
                     StoreFunctionClient functions) {
        this(sqs, queueName, function, functions, 1, 10);
    }

    /** Batches of up to {@code batchSize} messages, {@code atOnce} invocations at a time (as a mapping's concurrency). */
    QueueEventSource(SqsClient sqs, String queueName, StoreFunction<QueueMessages, MessagesHandled> function,
                     StoreFunctionClient functions, int atOnce, int batchSize) {
        String url = sqs.getQueueUrl(g -> g.queueName(queueName)).queueUrl();
        for (int i = 0; i < atOnce; i++) {
            pollers.add(Thread.ofVirtual().name(function.name() + "-events-" + i).start(() -> {
                while (!closed) {
                    try {
                        List<Message> messages = sqs.receiveMessage(r -> r.queueUrl(url).waitTimeSeconds(2)
                                .maxNumberOfMessages(batchSize)).messages();
                        if (messages.isEmpty()) {
                            continue;
                        }
                        MessagesHandled handled = functions.call(function, new QueueMessages(
                                messages.stream().map(m -> new QueueMessage(m.messageId(), m.body())).toList()));
                        Set<String> again = handled.batchItemFailures().stream().map(ItemFailure::itemIdentifier)
                                .collect(Collectors.toSet());
                        for (Message m : messages) {
                            if (!again.contains(m.messageId())) {
                                sqs.deleteMessage(d -> d.queueUrl(url).receiptHandle(m.receiptHandle()));
                            }
                        }
                    } catch (RuntimeException e) {
                        if (!closed) {
                            System.err.println("cumulus local: " + function.name() + ": " + e.getMessage());
                        }
                    }
                }
            }));
        }
    }

    @Override
    public void close() {
        closed = true;
        pollers.forEach(Thread::interrupt);
    }
}
