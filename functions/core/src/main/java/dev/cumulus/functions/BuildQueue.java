package dev.cumulus.functions;

import dev.cumulus.model.event.BuildEvents.QueuedBuild;

/** Where submitted builds wait for a runner: the build-requests SQS queue, in AWS and locally. */
public interface BuildQueue {
    void send(QueuedBuild build);

    /** For a store without builds: every submission fails with a clear error. */
    BuildQueue NONE = build -> {
        throw new StoreException("this Cumulus store has no build queue configured, so it cannot build");
    };
}
