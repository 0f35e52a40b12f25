package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.BuildEvents.DeadLetters;
import dev.cumulus.model.event.BuildEvents.DeadLettersHandled;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/**
 * The {@code fail-dead-lettered-builds} function, triggered by the build queue's dead-letter
 * queue (its SQS event is a {@link DeadLetters}): {@link StoreFunctions#failDeadLetteredBuilds}.
 */
@Named("fail-dead-lettered-builds")
public class FailDeadLetteredBuildsHandler implements RequestHandler<DeadLetters, DeadLettersHandled> {
    @Inject
    StoreFunctions functions;

    @Override
    public DeadLettersHandled handleRequest(DeadLetters request, Context context) {
        return functions.failDeadLetteredBuilds(request);
    }
}
