package dev.cumulus.model.event;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A batch of queue messages for a function, in the shape of SQS's Lambda event (an event source
 * mapping delivers exactly this; {@code cumulus local} polls the queue and sends the same), and the
 * partial batch answer.
 */
public final class QueueEvents {
    private static final Logger LOG = Logger.getLogger(QueueEvents.class.getName());

    private QueueEvents() {}

    public record QueueMessages(@JsonProperty("Records") List<QueueMessage> records) {
        public QueueMessages {
            records = records == null ? List.of() : List.copyOf(records);
        }

        /**
         * Hands each message's body, read as a {@code type}, to {@code handle}: a body that is not one
         * is dropped (it can never be handled), a message whose handling throws must come back.
         */
        public <T> MessagesHandled each(Class<T> type, Consumer<T> handle) {
            return each(type, (m, event) -> handle.accept(event), (m, error) -> LOG.warning(() -> "dropped message "
                    + m.messageId() + ": not a " + type.getSimpleName() + ": " + error));
        }

        /**
         * As {@link #each(Class, Consumer)}, with each message beside its event, and a body that is not
         * a {@code type} handed to {@code rejected} (with why) before it is dropped.
         */
        public <T> MessagesHandled each(Class<T> type, BiConsumer<QueueMessage, T> handle,
                                        BiConsumer<QueueMessage, String> rejected) {
            List<ItemFailure> again = new ArrayList<>();
            for (QueueMessage m : records) {
                try {
                    T event;
                    try {
                        event = EventJson.read(m.body() == null ? new byte[0] : m.body().getBytes(StandardCharsets.UTF_8), type);
                    } catch (IllegalArgumentException e) {
                        rejected.accept(m, e.getMessage());
                        continue;
                    }
                    handle.accept(m, event);
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "message " + m.messageId() + " comes back: " + e.getMessage(), e);
                    again.add(new ItemFailure(m.messageId()));
                }
            }
            return new MessagesHandled(again);
        }
    }

    public record QueueMessage(String messageId, String body) {}

    /** The messages that could not be handled and must come back (the mapping reports batch item failures). */
    public record MessagesHandled(List<ItemFailure> batchItemFailures) {
        public MessagesHandled {
            batchItemFailures = batchItemFailures == null ? List.of() : List.copyOf(batchItemFailures);
        }
    }

    public record ItemFailure(String itemIdentifier) {}
}
