package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Responses.Paths;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-referrers} function: {@link StoreFunctions#queryReferrers}. */
@Named("query-referrers")
public class QueryReferrersHandler implements RequestHandler<PathQuery, Paths> {
    @Inject
    StoreFunctions functions;

    @Override
    public Paths handleRequest(PathQuery request, Context context) {
        return functions.queryReferrers(request);
    }
}
