package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.SubstitutionEvents.QuerySubstitutableInfos;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutableInfos;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-substitutable-path-infos} function: {@link StoreFunctions#querySubstitutablePathInfos}. */
@Named("query-substitutable-path-infos")
public class QuerySubstitutablePathInfosHandler implements RequestHandler<QuerySubstitutableInfos, SubstitutableInfos> {
    @Inject
    StoreFunctions functions;

    @Override
    public SubstitutableInfos handleRequest(QuerySubstitutableInfos request, Context context) {
        return functions.querySubstitutablePathInfos(request);
    }
}
