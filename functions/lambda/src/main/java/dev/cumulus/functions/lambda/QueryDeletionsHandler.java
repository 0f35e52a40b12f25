package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.RootEvents.Deletions;
import dev.cumulus.model.event.RootEvents.QueryDeletions;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-deletions} function: {@link StoreFunctions#queryDeletions}. */
@Named("query-deletions")
public class QueryDeletionsHandler implements RequestHandler<QueryDeletions, Deletions> {
    @Inject
    StoreFunctions functions;

    @Override
    public Deletions handleRequest(QueryDeletions request, Context context) {
        return functions.queryDeletions(request);
    }
}
