package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.BuildEvents.FailBuild;
import dev.cumulus.model.event.BuildEvents.BuildState;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code fail-build} function: {@link StoreFunctions#failBuild}. */
@Named("fail-build")
public class FailBuildHandler implements RequestHandler<FailBuild, BuildState> {
    @Inject
    StoreFunctions functions;

    @Override
    public BuildState handleRequest(FailBuild request, Context context) {
        return functions.failBuild(request);
    }
}
