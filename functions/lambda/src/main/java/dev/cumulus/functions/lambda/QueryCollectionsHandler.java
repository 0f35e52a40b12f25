package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.RootEvents.Collections;
import dev.cumulus.model.event.RootEvents.QueryCollections;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-collections} function: {@link StoreFunctions#queryCollections}. */
@Named("query-collections")
public class QueryCollectionsHandler implements RequestHandler<QueryCollections, Collections> {
    @Inject
    StoreFunctions functions;

    @Override
    public Collections handleRequest(QueryCollections request, Context context) {
        return functions.queryCollections(request);
    }
}
