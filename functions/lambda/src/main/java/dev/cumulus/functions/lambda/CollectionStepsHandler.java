package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.QueueEvents.MessagesHandled;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * The {@code collection-steps} function, triggered by the collection-steps queue (each message one
 * step of a running collection, its SQS event a {@link QueueMessages}): {@link StoreFunctions#collectionSteps}.
 */
@Named("collection-steps")
public class CollectionStepsHandler implements RequestHandler<QueueMessages, MessagesHandled> {
    @Inject
    StoreFunctions functions;

    @Override
    public MessagesHandled handleRequest(QueueMessages request, Context context) {
        return functions.collectionSteps(request);
    }
}
