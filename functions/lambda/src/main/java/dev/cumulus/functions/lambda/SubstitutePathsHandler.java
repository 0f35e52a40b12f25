package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutePaths;
import dev.cumulus.model.event.SubstitutionEvents.SubstitutionState;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code substitute-paths} function: {@link StoreFunctions#substitutePaths}. */
@Named("substitute-paths")
public class SubstitutePathsHandler implements RequestHandler<SubstitutePaths, SubstitutionState> {
    @Inject
    StoreFunctions functions;

    @Override
    public SubstitutionState handleRequest(SubstitutePaths request, Context context) {
        return functions.substitutePaths(request);
    }
}
