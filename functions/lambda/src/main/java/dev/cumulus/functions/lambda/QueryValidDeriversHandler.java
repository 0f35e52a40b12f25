package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Responses.Paths;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-valid-derivers} function: {@link StoreFunctions#queryValidDerivers}. */
@Named("query-valid-derivers")
public class QueryValidDeriversHandler implements RequestHandler<PathQuery, Paths> {
    @Inject
    StoreFunctions functions;

    @Override
    public Paths handleRequest(PathQuery request, Context context) {
        return functions.queryValidDerivers(request);
    }
}
