package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.Requests.PathsQuery;
import dev.cumulus.model.event.Responses.Paths;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-substitutable-paths} function: {@link StoreFunctions#querySubstitutablePaths}. */
@Named("query-substitutable-paths")
public class QuerySubstitutablePathsHandler implements RequestHandler<PathsQuery, Paths> {
    @Inject
    StoreFunctions functions;

    @Override
    public Paths handleRequest(PathsQuery request, Context context) {
        return functions.querySubstitutablePaths(request);
    }
}
