package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.QueueEvents.MessagesHandled;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * The {@code substitute} function, triggered by the substitutions queue (each message a job, its SQS
 * event a {@link QueueMessages}): {@link StoreFunctions#substitute}.
 */
@Named("substitute")
public class SubstituteHandler implements RequestHandler<QueueMessages, MessagesHandled> {
    @Inject
    StoreFunctions functions;

    @Override
    public MessagesHandled handleRequest(QueueMessages request, Context context) {
        return functions.substitute(request);
    }
}
