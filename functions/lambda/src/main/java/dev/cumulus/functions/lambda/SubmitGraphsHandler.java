package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.QueueEvents.MessagesHandled;
import dev.cumulus.model.event.QueueEvents.QueueMessages;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code submit-graphs} function, triggered by the build-submissions queue: {@link StoreFunctions#submitGraphs}. */
@Named("submit-graphs")
public class SubmitGraphsHandler implements RequestHandler<QueueMessages, MessagesHandled> {
    @Inject
    StoreFunctions functions;

    @Override
    public MessagesHandled handleRequest(QueueMessages request, Context context) {
        return functions.submitGraphs(request);
    }
}
