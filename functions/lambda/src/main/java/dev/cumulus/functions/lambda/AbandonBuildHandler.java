package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.BuildEvents.AbandonBuild;
import dev.cumulus.model.event.BuildEvents.BuildState;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code abandon-build} function: {@link StoreFunctions#abandonBuild}. */
@Named("abandon-build")
public class AbandonBuildHandler implements RequestHandler<AbandonBuild, BuildState> {
    @Inject
    StoreFunctions functions;

    @Override
    public BuildState handleRequest(AbandonBuild request, Context context) {
        return functions.abandonBuild(request);
    }
}
