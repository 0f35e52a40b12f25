package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.QueueEvents.MessagesHandled;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * The {@code fail-dead-lettered-builds} function, triggered by the build queue's dead-letter
 * queue (its SQS event is a {@link QueueMessages}): {@link StoreFunctions#failDeadLetteredBuilds}.
 */
@Named("fail-dead-lettered-builds")
public class FailDeadLetteredBuildsHandler implements RequestHandler<QueueMessages, MessagesHandled> {
    @Inject
    StoreFunctions functions;

    @Override
    public MessagesHandled handleRequest(QueueMessages request, Context context) {
        return functions.failDeadLetteredBuilds(request);
    }
}
