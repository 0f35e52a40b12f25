package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.BuildEvents.SubmitBuild;
import dev.cumulus.model.event.BuildEvents.BuildState;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code submit-build} function: {@link StoreFunctions#submitBuild}. */
@Named("submit-build")
public class SubmitBuildHandler implements RequestHandler<SubmitBuild, BuildState> {
    @Inject
    StoreFunctions functions;

    @Override
    public BuildState handleRequest(SubmitBuild request, Context context) {
        return functions.submitBuild(request);
    }
}
