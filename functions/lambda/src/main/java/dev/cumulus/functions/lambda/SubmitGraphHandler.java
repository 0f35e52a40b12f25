package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.GraphEvents.SubmissionState;
import dev.cumulus.model.event.GraphEvents.SubmitGraph;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code submit-graph} function: {@link StoreFunctions#submitGraph}. */
@Named("submit-graph")
public class SubmitGraphHandler implements RequestHandler<SubmitGraph, SubmissionState> {
    @Inject
    StoreFunctions functions;

    @Override
    public SubmissionState handleRequest(SubmitGraph request, Context context) {
        return functions.submitGraph(request);
    }
}
