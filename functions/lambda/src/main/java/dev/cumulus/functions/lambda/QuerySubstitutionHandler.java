package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.SubstitutionEvents.QuerySubstitution;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutionState;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code query-substitution} function: {@link StoreFunctions#querySubstitution}. */
@Named("query-substitution")
public class QuerySubstitutionHandler implements RequestHandler<QuerySubstitution, SubstitutionState> {
    @Inject
    StoreFunctions functions;

    @Override
    public SubstitutionState handleRequest(QuerySubstitution request, Context context) {
        return functions.querySubstitution(request);
    }
}
