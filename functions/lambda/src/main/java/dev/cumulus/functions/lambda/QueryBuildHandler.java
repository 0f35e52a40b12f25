package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.BuildEvents.BuildQuery;
import dev.cumulus.model.event.BuildEvents.BuildState;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-build} function: {@link StoreFunctions#queryBuild}. */
@Named("query-build")
public class QueryBuildHandler implements RequestHandler<BuildQuery, BuildState> {
    @Inject
    StoreFunctions functions;

    @Override
    public BuildState handleRequest(BuildQuery request, Context context) {
        return functions.queryBuild(request);
    }
}
