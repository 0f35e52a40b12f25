package dev.cumulus.functions;

import dev.cumulus.model.event.BuildEvents.QueuedBuild;
import dev.cumulus.model.event.EventJson;
import java.nio.charset.StandardCharsets;
import software.amazon.awssdk.services.sqs.SqsClient;

/** The build-requests queue in SQS (ElasticMQ on the local stack); its URL is looked up on first use. */
public final class SqsBuildQueue implements BuildQueue {
    /** SQS refuses bodies over 256 KiB; a request that large (a huge input closure) fails clearly. */
    static final int MAX_BODY = 256 * 1024;

    private final SqsClient sqs;
    private final String queueName;
    private volatile String url;

    public SqsBuildQueue(SqsClient sqs, String queueName) {
        this.sqs = sqs;
        this.queueName = queueName;
    }

    @Override
    public void send(QueuedBuild build) {
        String body = new String(EventJson.write(build), StandardCharsets.UTF_8);
        if (body.getBytes(StandardCharsets.UTF_8).length > MAX_BODY) {
            throw new StoreException("the build request of " + build.id() + " is larger than SQS's 256 KiB message limit");
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
