package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.Requests.HashPartQuery;
import dev.cumulus.model.event.Responses.PathAnswer;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-path-from-hash-part} function: {@link StoreFunctions#queryPathFromHashPart}. */
@Named("query-path-from-hash-part")
public class QueryPathFromHashPartHandler implements RequestHandler<HashPartQuery, PathAnswer> {
    @Inject
    StoreFunctions functions;

    @Override
    public PathAnswer handleRequest(HashPartQuery request, Context context) {
        return functions.queryPathFromHashPart(request);
    }
}
