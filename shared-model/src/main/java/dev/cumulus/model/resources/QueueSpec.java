package dev.cumulus.model.resources;

import java.time.Duration;
import java.util.Optional;

/**
 * An SQS queue: how long a received message stays hidden, how long messages are kept, and where a
 * message goes after {@code maxReceiveCount} failed receives.
 */
public record QueueSpec(String name, Duration visibilityTimeout, Duration retention,
                        Optional<String> deadLetterQueue, int maxReceiveCount) {

    public String physicalName(String prefix) {
        return prefix + name;
    }
}
