package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.BuildEvents.BuildStarted;
import dev.cumulus.model.event.BuildEvents.BuildClaim;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code build-started} function: {@link StoreFunctions#buildStarted}. */
@Named("build-started")
public class BuildStartedHandler implements RequestHandler<BuildStarted, BuildClaim> {
    @Inject
    StoreFunctions functions;

    @Override
    public BuildClaim handleRequest(BuildStarted request, Context context) {
        return functions.buildStarted(request);
    }
}
