package dev.cumulus.functions;

import dev.cumulus.model.event.BuildEvents.QueuedBuild;
import dev.cumulus.model.resources.CloudResources;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.services.sqs.SqsClient;

/**
 * The runner pools' build queues: a queued build goes to its pool's queue, the batch one when no
 * client waits for it ({@link CloudResources#buildRequests}, {@link CloudResources#batchBuildRequests}).
 */
final class BuildQueues implements JobQueue<QueuedBuild> {
    private final SqsClient sqs;
    private final String prefix;
    private final Map<String, SqsJobQueue<QueuedBuild>> queues = new ConcurrentHashMap<>();

    BuildQueues(SqsClient sqs, String prefix) {
        this.sqs = sqs;
        this.prefix = prefix;
    }

    @Override
    public void send(QueuedBuild job) {
        if (job.pool() == null) {
            throw new StoreException("build " + job.id() + " is routed to no runner pool");
        }
        String name = (job.batch() ? CloudResources.batchBuildRequests(job.pool()) : CloudResources.buildRequests(job.pool()))
                .physicalName(prefix);
        queues.computeIfAbsent(name, n -> new SqsJobQueue<>(sqs, n)).send(job);
    }
}
