package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Responses.PathInfoAnswer;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-path-info} function: {@link StoreFunctions#queryPathInfo}. */
@Named("query-path-info")
public class QueryPathInfoHandler implements RequestHandler<PathQuery, PathInfoAnswer> {
    @Inject
    StoreFunctions functions;

    @Override
    public PathInfoAnswer handleRequest(PathQuery request, Context context) {
        return functions.queryPathInfo(request);
    }
}
