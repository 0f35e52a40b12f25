package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.Requests.PathQuery;
import dev.cumulus.model.event.Responses.Validity;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code is-valid-path} function: {@link StoreFunctions#isValidPath}. */
@Named("is-valid-path")
public class IsValidPathHandler implements RequestHandler<PathQuery, Validity> {
    @Inject
    StoreFunctions functions;

    @Override
    public Validity handleRequest(PathQuery request, Context context) {
        return functions.isValidPath(request);
    }
}
