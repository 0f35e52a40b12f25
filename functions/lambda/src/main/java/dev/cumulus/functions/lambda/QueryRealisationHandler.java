package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.Requests.DrvOutputQuery;
import dev.cumulus.model.event.Responses.RealisationAnswer;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-realisation} function: {@link StoreFunctions#queryRealisation}. */
@Named("query-realisation")
public class QueryRealisationHandler implements RequestHandler<DrvOutputQuery, RealisationAnswer> {
    @Inject
    StoreFunctions functions;

    @Override
    public RealisationAnswer handleRequest(DrvOutputQuery request, Context context) {
        return functions.queryRealisation(request);
    }
}
