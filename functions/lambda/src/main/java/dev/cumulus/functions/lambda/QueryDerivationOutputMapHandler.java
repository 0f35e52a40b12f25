package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Responses.OutputMap;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-derivation-output-map} function: {@link StoreFunctions#queryDerivationOutputMap}. */
@Named("query-derivation-output-map")
public class QueryDerivationOutputMapHandler implements RequestHandler<PathQuery, OutputMap> {
    @Inject
    StoreFunctions functions;

    @Override
    public OutputMap handleRequest(PathQuery request, Context context) {
        return functions.queryDerivationOutputMap(request);
    }
}
