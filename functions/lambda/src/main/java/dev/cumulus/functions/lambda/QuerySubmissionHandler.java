package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.GraphEvents.SubmissionQuery;
import dev.cumulus.model.event.GraphEvents.SubmissionState;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-submission} function: {@link StoreFunctions#querySubmission}. */
@Named("query-submission")
public class QuerySubmissionHandler implements RequestHandler<SubmissionQuery, SubmissionState> {
    @Inject
    StoreFunctions functions;

    @Override
    public SubmissionState handleRequest(SubmissionQuery request, Context context) {
        return functions.querySubmission(request);
    }
}
