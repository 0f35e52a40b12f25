package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.Requests.PageQuery;
import dev.cumulus.model.event.Responses.Page;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-all-valid-paths} function: {@link StoreFunctions#queryAllValidPaths}. */
@Named("query-all-valid-paths")
public class QueryAllValidPathsHandler implements RequestHandler<PageQuery, Page> {
    @Inject
    StoreFunctions functions;

    @Override
    public Page handleRequest(PageQuery request, Context context) {
        return functions.queryAllValidPaths(request);
    }
}
