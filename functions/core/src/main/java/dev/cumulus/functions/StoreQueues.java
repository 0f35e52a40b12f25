package dev.cumulus.functions;

import dev.cumulus.model.event.BuildEvents.QueuedBuild;
import dev.cumulus.model.event.GraphEvents.BuildFinished;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutionJob;
import dev.cumulus.model.resources.CloudResources;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The queues the store functions send to: builds for the runner pools, substitution jobs for the
 * substitute function, and the announcements of ended build submissions for whoever listens.
 */
public record StoreQueues(JobQueue<QueuedBuild> builds, JobQueue<SubstitutionJob> substitutions,
                          JobQueue<BuildFinished> announcements) {

    /** The installation's queues in SQS. */
    public static StoreQueues of(SqsClient sqs, String prefix) {
        return new StoreQueues(new BuildQueues(sqs, prefix),
                new SqsJobQueue<>(sqs, CloudResources.SUBSTITUTION_JOBS.physicalName(prefix)),
                new SqsJobQueue<>(sqs, CloudResources.BUILD_EVENTS.physicalName(prefix)));
    }

    /** No queues: a store that cannot build, substitute or announce (each says so when asked). */
    public static StoreQueues none() {
        return new StoreQueues(JobQueue.none("build"), JobQueue.none("substitution"), JobQueue.none("build events"));
    }

    /**
     * Also announcing each ended submission on {@code bus} as a {@value #FINISHED} event (EventBridge
     * in AWS): the queue for whoever polls, the bus for rules.
     */
    public StoreQueues announcingOn(dev.cumulus.aws.EventBus bus) {
        JobQueue<BuildFinished> queue = announcements;
        return new StoreQueues(builds, substitutions, finished -> {
            queue.send(finished);
            bus.put(FINISHED, finished);
        });
    }

    /** The detail type of the event announcing an ended build submission. */
    public static final String FINISHED = "Cumulus Build Finished";

    public StoreQueues withBuilds(JobQueue<QueuedBuild> queue) {
        return new StoreQueues(queue, substitutions, announcements);
    }

    public StoreQueues withAnnouncements(JobQueue<BuildFinished> queue) {
        return new StoreQueues(builds, substitutions, queue);
    }

    public StoreQueues withSubstitutions(JobQueue<SubstitutionJob> queue) {
        return new StoreQueues(builds, queue, announcements);
    }
}
