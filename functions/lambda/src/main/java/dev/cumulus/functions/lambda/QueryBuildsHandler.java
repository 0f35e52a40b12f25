package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.BuildEvents.BuildStates;
import dev.cumulus.model.event.BuildEvents.BuildsQuery;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-builds} function: {@link StoreFunctions#queryBuilds}. */
@Named("query-builds")
public class QueryBuildsHandler implements RequestHandler<BuildsQuery, BuildStates> {
    @Inject
    StoreFunctions functions;

    @Override
    public BuildStates handleRequest(BuildsQuery request, Context context) {
        return functions.queryBuilds(request);
    }
}
