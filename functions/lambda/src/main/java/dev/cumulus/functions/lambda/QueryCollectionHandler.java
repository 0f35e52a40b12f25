package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.RootEvents.CollectionReport;
import dev.cumulus.model.event.RootEvents.QueryCollection;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-collection} function: {@link StoreFunctions#queryCollection}. */
@Named("query-collection")
public class QueryCollectionHandler implements RequestHandler<QueryCollection, CollectionReport> {
    @Inject
    StoreFunctions functions;

    @Override
    public CollectionReport handleRequest(QueryCollection request, Context context) {
        return functions.queryCollection(request);
    }
}
