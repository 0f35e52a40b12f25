package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.GraphEvents.AbandonSubmission;
import dev.cumulus.model.event.GraphEvents.SubmissionState;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code abandon-submission} function: {@link StoreFunctions#abandonSubmission}. */
@Named("abandon-submission")
public class AbandonSubmissionHandler implements RequestHandler<AbandonSubmission, SubmissionState> {
    @Inject
    StoreFunctions functions;

    @Override
    public SubmissionState handleRequest(AbandonSubmission request, Context context) {
        return functions.abandonSubmission(request);
    }
}
