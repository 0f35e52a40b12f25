package dev.cumulus.functions;

import dev.cumulus.model.event.BuildEvents.QueuedBuild;
import dev.cumulus.model.event.GraphEvents.BuildFinished;
import dev.cumulus.model.event.RootEvents.CollectionStep;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutionJob;
import dev.cumulus.model.resources.CloudResources;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The queues the store functions send to: builds for the runner pools, substitution jobs for the
 * substitute function, the announcements of ended build submissions for whoever listens, and the
 * steps of garbage collections for the collection-steps function.
 */
public record StoreQueues(JobQueue<QueuedBuild> builds, JobQueue<SubstitutionJob> substitutions,
                          JobQueue<BuildFinished> announcements, JobQueue<CollectionStep> collectionSteps) {

    /** The installation's queues in SQS. */
    public static StoreQueues of(SqsClient sqs, String prefix) {
        return new StoreQueues(new BuildQueues(sqs, prefix),
                new SqsJobQueue<>(sqs, CloudResources.SUBSTITUTION_JOBS.physicalName(prefix)),
                new SqsJobQueue<>(sqs, CloudResources.BUILD_EVENTS.physicalName(prefix)),
                new SqsJobQueue<>(sqs, CloudResources.COLLECTION_STEPS.physicalName(prefix)));
    }

    /** No queues: a store that cannot build, substitute, announce or collect garbage (each says so when asked). */
    public static StoreQueues none() {
        return new StoreQueues(JobQueue.none("build"), JobQueue.none("substitution"), JobQueue.none("build events"),
                JobQueue.none("collection steps"));
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
        }, collectionSteps);
    }

    /** The detail type of the event announcing an ended build submission. */
    public static final String FINISHED = "Cumulus Build Finished";

    public StoreQueues withBuilds(JobQueue<QueuedBuild> queue) {
        return new StoreQueues(queue, substitutions, announcements, collectionSteps);
    }

    public StoreQueues withAnnouncements(JobQueue<BuildFinished> queue) {
        return new StoreQueues(builds, substitutions, queue, collectionSteps);
    }

    public StoreQueues withSubstitutions(JobQueue<SubstitutionJob> queue) {
        return new StoreQueues(builds, queue, announcements, collectionSteps);
    }

    public StoreQueues withCollectionSteps(JobQueue<CollectionStep> queue) {
        return new StoreQueues(builds, substitutions, announcements, queue);
    }
}
