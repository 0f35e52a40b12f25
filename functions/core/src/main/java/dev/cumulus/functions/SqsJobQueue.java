package dev.cumulus.functions;

import dev.cumulus.model.event.EventJson;
import java.nio.charset.StandardCharsets;
import software.amazon.awssdk.services.sqs.SqsClient;

/** A queue in SQS (ElasticMQ on the local stack) whose messages are jobs as JSON; its URL is looked up on first use. */
public final class SqsJobQueue<T> implements JobQueue<T> {
    /** SQS refuses bodies over 256 KiB; a job that large (a build's huge input closure) fails clearly. */
    static final int MAX_BODY = 256 * 1024;

    private final SqsClient sqs;
    private final String queueName;
    private volatile String url;

    public SqsJobQueue(SqsClient sqs, String queueName) {
        this.sqs = sqs;
        this.queueName = queueName;
    }

    @Override
    public void send(T job) {
        String body = new String(EventJson.write(job), StandardCharsets.UTF_8);
        if (body.getBytes(StandardCharsets.UTF_8).length > MAX_BODY) {
            throw new StoreException("a job for the " + queueName + " queue is larger than SQS's 256 KiB message limit");
        }
        sqs.sendMessage(m -> m.queueUrl(url()).messageBody(body));
    }

    private String url() {
        if (url == null) {
            url = sqs.getQueueUrl(g -> g.queueName(queueName)).queueUrl();
        }
        return url;
    }
}
