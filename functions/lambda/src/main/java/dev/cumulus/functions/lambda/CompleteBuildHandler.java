package dev.cumulus.functions.lambda;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.cumulus.functions.StoreFunctions;
import dev.cumulus.model.event.BuildEvents.CompleteBuild;
import dev.cumulus.model.event.BuildEvents.BuildState;
import jakarta.inject.Inject;
import jakarta.inject.Named;

/** The {@code complete-build} function: {@link StoreFunctions#completeBuild}. */
@Named("complete-build")
public class CompleteBuildHandler implements RequestHandler<CompleteBuild, BuildState> {
    @Inject
    StoreFunctions functions;

    @Override
    public BuildState handleRequest(CompleteBuild request, Context context) {
        return functions.completeBuild(request);
    }
}
